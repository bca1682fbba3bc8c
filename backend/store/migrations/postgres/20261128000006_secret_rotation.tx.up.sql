-- The secret a rotation replaced keeps signing (beside the new one) until
-- previous_secret_until, so receivers can switch without losing deliveries.
ALTER TABLE webhooks ADD COLUMN IF NOT EXISTS previous_secret TEXT NOT NULL DEFAULT '';
--bun:split
ALTER TABLE webhooks ADD COLUMN IF NOT EXISTS previous_secret_until TIMESTAMPTZ;
