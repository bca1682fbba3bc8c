package httpapi

import (
	"github.com/hookpost/hookpost/backend/auth"
	"github.com/hookpost/hookpost/backend/dispatch"
	"github.com/hookpost/hookpost/backend/live"
)

// liveSchemas are the bodies of the live updates, the chart's statistics,
// the delivery look-up and the password change, reflected from their types.
func liveSchemas() (obj, error) {
	specs := []struct {
		name string
		v    any
		o    reflectOpts
	}{
		{"PasswordChange", auth.PasswordChange{}, reflectOpts{strict: true, required: []string{"newPassword"},
			refine: map[string]obj{"newPassword": {"minLength": auth.MinPasswordLength}}}},
		{"DeliveryStats", dispatch.Stats{}, reflectOpts{response: true}},
		{"DeliveryStatsBucket", dispatch.Bucket{}, reflectOpts{response: true}},
		{"DeliveryDetail", dispatch.Delivery{}, reflectOpts{response: true,
			refine: map[string]obj{"status": {"enum": []string{"pending", "succeeded", "failed"}}}}},
		{"LiveDelivery", live.Delivery{}, reflectOpts{response: true,
			refine:      map[string]obj{"outcome": {"enum": []string{"succeeded", "failed", "retrying"}}},
			description: "The data of a delivery event on GET /api/admin/stream."}},
		{"LiveWebhook", live.WebhookChange{}, reflectOpts{response: true,
			refine:      map[string]obj{"change": {"enum": []string{live.WebhookCreated, live.WebhookUpdated, live.WebhookDisabled, live.WebhookDeleted}}},
			description: "The data of a webhook event on GET /api/admin/stream."}},
	}
	out := obj{}
	for _, s := range specs {
		schema, err := reflectSchema(s.v, s.o)
		if err != nil {
			return nil, err
		}
		out[s.name] = schema
	}
	return out, nil
}
