// Signature verification snippets for a receiver, in Go, Node, Python and
// shell, for both schemes Hookpost signs with (SPEC §6.3): OpenProject's
// X-OP-Signature and Standard Webhooks' webhook-signature.

export interface SignatureHeaders {
  op: string
  id: string
  timestamp: string
  signature: string
}

export const defaultHeaders: SignatureHeaders = {
  op: 'X-OP-Signature',
  id: 'webhook-id',
  timestamp: 'webhook-timestamp',
  signature: 'webhook-signature',
}

/**
 * headersOf takes the signature header names as a webhook's request carried
 * them (the dispatcher's spelling), falling back to the documented ones.
 */
export function headersOf(requestHeaders: Record<string, string> | null | undefined): SignatureHeaders {
  const names = Object.keys(requestHeaders ?? {})
  const find = (want: string) => names.find((n) => n.toLowerCase() === want.toLowerCase()) ?? want
  return {
    op: find(defaultHeaders.op),
    id: find(defaultHeaders.id),
    timestamp: find(defaultHeaders.timestamp),
    signature: find(defaultHeaders.signature),
  }
}

export interface SnippetInput {
  webhookName: string
  /** The webhook's payload URL; its path and port fill the receiver's. */
  url: string
  secretLast4: string
  headers: SignatureHeaders
}

function target(url: string): { path: string; port: number } {
  try {
    const u = new URL(url)
    return { path: u.pathname || '/', port: Number(u.port) || (u.protocol === 'https:' ? 8443 : 8080) }
  } catch {
    return { path: '/', port: 8080 }
  }
}

const envNote = (s: SnippetInput) =>
  `the webhook's signature secret${s.secretLast4 ? ` (ends in ${s.secretLast4})` : ''}, from HOOKPOST_SECRET`

/** nodeVerify is the Node part that checks the signatures (unit-tested against the dispatcher's scheme). */
export function nodeVerify(s: SnippetInput): string {
  return `const crypto = require('node:crypto')
// ${envNote(s)}
const SECRET = process.env.HOOKPOST_SECRET

const same = (a, b) => a.length === b.length && crypto.timingSafeEqual(Buffer.from(a), Buffer.from(b))

// ${s.headers.op}: sha1=<hex HMAC-SHA1 of the raw body, keyed with the secret>
function verifyOP(body, header) {
  const want = 'sha1=' + crypto.createHmac('sha1', SECRET).update(body).digest('hex')
  return same(want, header || '')
}

// ${s.headers.signature}: v1,<base64 HMAC-SHA256 of "<${s.headers.id}>.<${s.headers.timestamp}>.<body>">,
// keyed with the base64-decoded rest of a whsec_ secret; one per active secret.
function verifyStandard(body, id, timestamp, header) {
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return false // replayed or clock skew
  const key = SECRET.startsWith('whsec_') ? Buffer.from(SECRET.slice(6), 'base64') : Buffer.from(SECRET)
  const mac = crypto.createHmac('sha256', key).update(\`\${id}.\${timestamp}.\`).update(body).digest('base64')
  return (header || '').split(' ').some((sig) => same(sig, 'v1,' + mac))
}`
}

export function snippets(s: SnippetInput): { go: string; node: string; python: string; shell: string } {
  const { path, port } = target(s.url)
  const h = s.headers
  const lower = (n: string) => n.toLowerCase()
  const go = `// A receiver for the Hookpost webhook "${s.webhookName}" that checks both signatures.
package main

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"io"
	"math"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// secret is ${envNote(s)}.
var secret = os.Getenv("HOOKPOST_SECRET")

// verifyOP checks ${h.op}: sha1=<hex HMAC-SHA1 of the raw body>.
func verifyOP(body []byte, header string) bool {
	m := hmac.New(sha1.New, []byte(secret))
	m.Write(body)
	return hmac.Equal([]byte("sha1="+hex.EncodeToString(m.Sum(nil))), []byte(header))
}

// verifyStandard checks ${h.signature}: v1,<base64 HMAC-SHA256 of "id.timestamp.body">.
func verifyStandard(body []byte, id, timestamp, header string) bool {
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil || math.Abs(time.Since(time.Unix(ts, 0)).Seconds()) > 300 {
		return false // replayed or clock skew
	}
	key := []byte(secret)
	if rest, ok := strings.CutPrefix(secret, "whsec_"); ok {
		if k, err := base64.StdEncoding.DecodeString(rest); err == nil {
			key = k
		}
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id + "." + timestamp + "."))
	m.Write(body)
	want := "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
	for _, sig := range strings.Fields(header) {
		if hmac.Equal([]byte(sig), []byte(want)) {
			return true
		}
	}
	return false
}

func main() {
	http.HandleFunc("${path}", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil ||
			!verifyOP(body, r.Header.Get("${h.op}")) ||
			!verifyStandard(body, r.Header.Get("${h.id}"), r.Header.Get("${h.timestamp}"), r.Header.Get("${h.signature}")) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		// ${h.id} is the same on every retry: use it to drop duplicates.
		w.WriteHeader(http.StatusNoContent)
	})
	http.ListenAndServe(":${port}", nil)
}
`
  const node = `// A receiver for the Hookpost webhook "${s.webhookName}" that checks both signatures.
const http = require('node:http')
${nodeVerify(s)}

http.createServer((req, res) => {
  const chunks = []
  req.on('data', (c) => chunks.push(c))
  req.on('end', () => {
    const body = Buffer.concat(chunks) // the raw bytes: never re-serialize the JSON
    const ok = req.url === '${path}' &&
      verifyOP(body, req.headers['${lower(h.op)}']) &&
      verifyStandard(body, req.headers['${lower(h.id)}'], req.headers['${lower(h.timestamp)}'], req.headers['${lower(h.signature)}'])
    // ${h.id} is the same on every retry: use it to drop duplicates.
    res.writeHead(ok ? 204 : 401).end()
  })
}).listen(${port})
`
  const python = `# A receiver for the Hookpost webhook "${s.webhookName}" that checks both signatures.
import base64, hashlib, hmac, os, time
from http.server import BaseHTTPRequestHandler, HTTPServer

# ${envNote(s)}
SECRET = os.environ["HOOKPOST_SECRET"]


def verify_op(body: bytes, header: str) -> bool:
    """${h.op}: sha1=<hex HMAC-SHA1 of the raw body>."""
    want = "sha1=" + hmac.new(SECRET.encode(), body, hashlib.sha1).hexdigest()
    return hmac.compare_digest(want, header or "")


def verify_standard(body: bytes, msg_id: str, timestamp: str, header: str) -> bool:
    """${h.signature}: v1,<base64 HMAC-SHA256 of "id.timestamp.body">."""
    if abs(time.time() - int(timestamp or 0)) > 300:
        return False  # replayed or clock skew
    key = base64.b64decode(SECRET[6:]) if SECRET.startswith("whsec_") else SECRET.encode()
    mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    want = "v1," + base64.b64encode(mac).decode()
    return any(hmac.compare_digest(want, sig) for sig in (header or "").split())


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        ok = (self.path == "${path}"
              and verify_op(body, self.headers.get("${h.op}"))
              and verify_standard(body, self.headers.get("${h.id}"), self.headers.get("${h.timestamp}"),
                                  self.headers.get("${h.signature}")))
        # ${h.id} is the same on every retry: use it to drop duplicates.
        self.send_response(204 if ok else 401)
        self.end_headers()


HTTPServer(("", ${port}), Receiver).serve_forever()
`
  const shell = `#!/bin/sh
# Checks a delivery of the Hookpost webhook "${s.webhookName}" saved from a receiver's log:
# the raw body in body.json, the headers in the variables below.
#   HOOKPOST_SECRET: ${envNote(s).replace(/, from HOOKPOST_SECRET$/, '')}
#   OP_SIGNATURE=<${h.op}>  MSG_ID=<${h.id}>  MSG_TIMESTAMP=<${h.timestamp}>  MSG_SIGNATURE=<${h.signature}>
BODY=\${BODY:-body.json}

# ${h.op}: sha1=<hex HMAC-SHA1 of the raw body>
want="sha1=$(openssl dgst -sha1 -hmac "$HOOKPOST_SECRET" < "$BODY" | sed 's/^.* //')"
[ "$want" = "$OP_SIGNATURE" ] && echo "${h.op}: valid" || echo "${h.op}: INVALID"

# ${h.signature}: v1,<base64 HMAC-SHA256 of "id.timestamp.body">, keyed with the
# base64-decoded rest of a whsec_ secret (or the secret itself otherwise)
case "$HOOKPOST_SECRET" in
  whsec_*) key=$(printf %s "\${HOOKPOST_SECRET#whsec_}" | base64 -d | od -An -v -tx1 | tr -d ' \\n') ;;
  *) key=$(printf %s "$HOOKPOST_SECRET" | od -An -v -tx1 | tr -d ' \\n') ;;
esac
want="v1,$( { printf '%s.%s.' "$MSG_ID" "$MSG_TIMESTAMP"; cat "$BODY"; } |
  openssl dgst -sha256 -mac HMAC -macopt "hexkey:$key" -binary | base64 | tr -d '\\n')"
case " $MSG_SIGNATURE " in
  *" $want "*) echo "${h.signature}: valid" ;;
  *) echo "${h.signature}: INVALID" ;;
esac
`
  return { go, node, python, shell }
}
