// Package dispatch delivers the outbox's events to the webhooks: hold a
// webhook's lease → read its due deliveries → build and sign each request →
// send it through the SSRF guard → record the attempt → schedule the retry.
package dispatch

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Sign adds the signature headers of SPEC §6.3 to h for body: OpenProject's
// X-OP-Signature (HMAC-SHA1 of the body, hex) and the Standard Webhooks
// headers (HMAC-SHA256 of "<id>.<timestamp>.<body>", base64), one v1
// signature per active secret. Without a secret only webhook-id and
// webhook-timestamp are set.
func Sign(h http.Header, body []byte, msgID string, at time.Time, secrets ...string) {
	ts := strconv.FormatInt(at.Unix(), 10)
	h.Set("webhook-id", msgID)
	h.Set("webhook-timestamp", ts)
	var sigs []string
	for i, secret := range secrets {
		if secret == "" {
			continue
		}
		if i == 0 {
			m := hmac.New(sha1.New, []byte(secret))
			m.Write(body)
			h.Set("X-OP-Signature", "sha1="+hex.EncodeToString(m.Sum(nil)))
		}
		m := hmac.New(sha256.New, StandardKey(secret))
		m.Write([]byte(msgID + "." + ts + "."))
		m.Write(body)
		sigs = append(sigs, "v1,"+base64.StdEncoding.EncodeToString(m.Sum(nil)))
	}
	if len(sigs) > 0 {
		h.Set("webhook-signature", strings.Join(sigs, " "))
	}
}

// StandardKey is the Standard Webhooks signing key of a secret: the
// base64-decoded rest of a whsec_ secret, or the secret's bytes otherwise.
func StandardKey(secret string) []byte {
	if rest, ok := strings.CutPrefix(secret, "whsec_"); ok {
		if key, err := base64.StdEncoding.DecodeString(rest); err == nil {
			return key
		}
	}
	return []byte(secret)
}
