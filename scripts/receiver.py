#!/usr/bin/env python3
"""A local webhook receiver for trying Hookpost out: it answers every POST
with 200 and prints the event, the webhook-id and whether both signatures
verify with the secret it is given (X-OP-Signature, HMAC-SHA1 of the body;
webhook-signature, Standard Webhooks). Python standard library only.

  python3 scripts/receiver.py [--port 9000] [--secret SECRET] [--log FILE]

Hookpost refuses loopback destinations unless allowed, so run the server
with --webhook-allow 127.0.0.1/32. The desktop test (scripts/desktop-flow.py)
uses the same receiver.
"""

import argparse
import base64
import hashlib
import hmac
import http.server
import json
import sys
import threading


def verify_op(secret, body, header):
    """X-OP-Signature: "sha1=" + hex HMAC-SHA1 of the body, keyed with the secret string."""
    if not secret or not header:
        return False
    want = "sha1=" + hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()
    return hmac.compare_digest(want, header)


def verify_standard(secret, body, msg_id, timestamp, header):
    """webhook-signature: space-separated "v1,<base64 HMAC-SHA256 of id.timestamp.body>"; the
    key is the base64-decoded rest of a whsec_ secret (the secret's bytes otherwise)."""
    if not secret or not (msg_id and timestamp and header):
        return False
    key = secret.encode()
    if secret.startswith("whsec_"):
        try:
            key = base64.b64decode(secret[len("whsec_"):], validate=True)
        except ValueError:
            pass
    mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    want = "v1," + base64.b64encode(mac).decode()
    return any(hmac.compare_digest(want, s) for s in header.split())


class Receiver(http.server.ThreadingHTTPServer):
    """Records every request (with its signature checks) in .requests and,
    when given, as one JSON line per request in log."""

    daemon_threads = True

    def __init__(self, host="127.0.0.1", port=0, secret=None, log=None, echo=False):
        super().__init__((host, port), _Handler)
        self.secret = secret
        self.requests = []
        self.lock = threading.Lock()
        self.log = log
        self.echo = echo

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}/hook"


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        srv = self.server
        h = self.headers
        rec = {
            "path": self.path,
            "headers": dict(h.items()),
            "body": body.decode("utf-8", "replace"),
            "opSignatureValid": verify_op(srv.secret, body, h.get("X-OP-Signature")),
            "standardSignatureValid": verify_standard(srv.secret, body, h.get("webhook-id"),
                                                      h.get("webhook-timestamp"), h.get("webhook-signature")),
        }
        with srv.lock:
            srv.requests.append(rec)
            if srv.log:
                srv.log.write(json.dumps(rec) + "\n")
                srv.log.flush()
        if srv.echo:
            if not srv.secret:
                sig = "signatures not checked (no --secret)"
            else:
                sig = (f"X-OP-Signature {'ok' if rec['opSignatureValid'] else 'WRONG'}, "
                       f"webhook-signature {'ok' if rec['standardSignatureValid'] else 'WRONG'}")
            print(f"POST {self.path} {h.get('X-Hookpost-Event')} webhook-id={h.get('webhook-id')}: {sig}", flush=True)
        reply = json.dumps({"received": True}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):
        pass


def main():
    p = argparse.ArgumentParser(description="A local webhook receiver that checks Hookpost's signatures.")
    p.add_argument("--port", type=int, default=9000)
    p.add_argument("--secret", help="the webhook's signature secret")
    p.add_argument("--log", help="append each request as a JSON line to this file")
    args = p.parse_args()
    log = open(args.log, "a", encoding="utf-8") if args.log else None
    srv = Receiver(port=args.port, secret=args.secret, log=log, echo=True)
    print(f"receiving on {srv.url} (Ctrl-C stops)", flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
