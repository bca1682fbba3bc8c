/// <reference types="node" />
import { describe, expect, it } from 'vitest'
import { createHmac } from 'node:crypto'
import { createRequire } from 'node:module'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateSecret } from './secret'
import { headersOf, nodeVerify, snippets, defaultHeaders } from './snippets'
import { ago, localToISO, outcome, responseLabel } from './outcome'
import { parseRoute } from './routes'
import { ApiError, byLabel } from './errors'

// A delivery signed as SPEC §6.3 says, computed here independently of the snippets.
function signed(secret: string) {
  const body = Buffer.from('{"action":"work_package:created","work_package":{"id":7,"subject":"Ünïcode ✓"}}')
  const id = 'msg_12_3'
  const ts = String(Math.floor(Date.now() / 1000))
  const key = secret.startsWith('whsec_') ? Buffer.from(secret.slice(6), 'base64') : Buffer.from(secret)
  const op = 'sha1=' + createHmac('sha1', secret).update(body).digest('hex')
  const std = 'v1,' + createHmac('sha256', key).update(`${id}.${ts}.`).update(body).digest('base64')
  return { body, id, ts, op, std }
}

const input = { webhookName: 'CI', url: 'http://127.0.0.1:9000/hooks/op', secretLast4: 'abcd', headers: defaultHeaders }

describe('generateSecret', () => {
  it('is whsec_ and the base64 of 24 random bytes', () => {
    const s = generateSecret((b) => b.fill(0xfb))
    expect(s).toBe('whsec_' + Buffer.alloc(24, 0xfb).toString('base64'))
    expect(Buffer.from(s.slice(6), 'base64')).toHaveLength(24)
    expect(generateSecret()).not.toBe(generateSecret())
  })
})

describe('verification snippets', () => {
  for (const secret of [generateSecret(), 'plain-secret']) {
    it(`Node accepts a good delivery and refuses a tampered one (${secret.slice(0, 6)}…)`, () => {
      const d = signed(secret)
      const load = new Function('require', 'process', nodeVerify(input) + '\nreturn { verifyOP, verifyStandard }')
      const v = load(createRequire(import.meta.url), { env: { HOOKPOST_SECRET: secret } })
      expect(v.verifyOP(d.body, d.op)).toBe(true)
      expect(v.verifyStandard(d.body, d.id, d.ts, `v1,b2xk ${d.std}`)).toBe(true)
      const tampered = Buffer.concat([d.body, Buffer.from(' ')])
      expect(v.verifyOP(tampered, d.op)).toBe(false)
      expect(v.verifyStandard(tampered, d.id, d.ts, d.std)).toBe(false)
      expect(v.verifyStandard(d.body, d.id, String(Number(d.ts) - 3600), d.std)).toBe(false)
    })

    it(`shell says valid for a good delivery (${secret.slice(0, 6)}…)`, () => {
      const d = signed(secret)
      const dir = mkdtempSync(join(tmpdir(), 'snip-'))
      writeFileSync(join(dir, 'body.json'), d.body)
      writeFileSync(join(dir, 'check.sh'), snippets(input).shell)
      const env = { PATH: process.env.PATH, HOOKPOST_SECRET: secret, OP_SIGNATURE: d.op, MSG_ID: d.id, MSG_TIMESTAMP: d.ts, MSG_SIGNATURE: d.std }
      expect(execFileSync('sh', ['check.sh'], { cwd: dir, env }).toString()).toBe('X-OP-Signature: valid\nwebhook-signature: valid\n')
      const bad = { ...env, MSG_SIGNATURE: 'v1,' + Buffer.alloc(32).toString('base64'), OP_SIGNATURE: 'sha1=00' }
      expect(execFileSync('sh', ['check.sh'], { cwd: dir, env: bad }).toString()).toBe('X-OP-Signature: INVALID\nwebhook-signature: INVALID\n')
    })

    it(`Python's functions accept a good delivery (${secret.slice(0, 6)}…)`, () => {
      const d = signed(secret)
      const code = snippets(input).python.split('\nclass Receiver')[0] +
        `\nimport sys\nbody = open(sys.argv[1], 'rb').read()\nprint(verify_op(body, sys.argv[2]), verify_standard(body, sys.argv[3], sys.argv[4], sys.argv[5]), verify_op(body + b' ', sys.argv[2]))\n`
      const dir = mkdtempSync(join(tmpdir(), 'snip-'))
      writeFileSync(join(dir, 'body.json'), d.body)
      writeFileSync(join(dir, 'check.py'), code)
      const out = execFileSync('python3', ['check.py', join(dir, 'body.json'), d.op, d.id, d.ts, d.std], { cwd: dir, env: { ...process.env, HOOKPOST_SECRET: secret } })
      expect(out.toString().trim()).toBe('True True False')
    })
  }

  it('uses the header names and path of this webhook', () => {
    const h = headersOf({ 'X-Op-Signature': 'sha1=…', 'Webhook-Id': 'msg_1', 'Webhook-Timestamp': '1', 'Webhook-Signature': 'v1,…', 'Content-Type': 'application/json' })
    expect(h).toEqual({ op: 'X-Op-Signature', id: 'Webhook-Id', timestamp: 'Webhook-Timestamp', signature: 'Webhook-Signature' })
    const s = snippets({ ...input, headers: h })
    expect(s.go).toContain('r.Header.Get("X-Op-Signature")')
    expect(s.go).toContain('http.HandleFunc("/hooks/op"')
    expect(s.go).toContain('ListenAndServe(":9000"')
    expect(s.node).toContain("req.headers['webhook-signature']")
    expect(s.python).toContain('self.headers.get("Webhook-Timestamp")')
    expect(headersOf(undefined)).toEqual(defaultHeaders)
  })
})

describe('attempt outcome', () => {
  it('classifies attempts', () => {
    expect(outcome({ responseCode: 204, nextRetryAt: null })).toBe('succeeded')
    expect(outcome({ responseCode: 200, nextRetryAt: null, error: 'body cut off' })).toBe('failed')
    expect(outcome({ responseCode: 200, nextRetryAt: '2026-01-01T00:00:00Z', error: 'timeout' })).toBe('retrying')
    expect(outcome({ responseCode: 503, nextRetryAt: '2026-01-01T00:00:00Z' })).toBe('retrying')
    expect(outcome({ responseCode: -1, nextRetryAt: null })).toBe('failed')
    expect(outcome({ responseCode: 302, nextRetryAt: null })).toBe('failed')
    expect(responseLabel(-1)).toBe('(none)')
    expect(responseLabel(200)).toBe('200')
  })
  it('says how long ago', () => {
    const now = Date.parse('2026-01-01T12:00:00Z')
    expect(ago('2026-01-01T11:57:00Z', now)).toBe('3 min ago')
    expect(ago('2026-01-01T09:00:00Z', now)).toBe('3 h ago')
    expect(ago(null, now)).toBe('')
  })
  it('turns a datetime-local value into UTC ISO 8601', () => {
    expect(localToISO('2026-01-31T12:00')).toBe(new Date(2026, 0, 31, 12, 0).toISOString().replace('.000Z', 'Z'))
  })
})

describe('routes', () => {
  it('parses the hash routes', () => {
    expect(parseRoute('#/webhooks')).toEqual({ page: 'webhooks' })
    expect(parseRoute('#/webhooks/new')).toEqual({ page: 'webhook-new' })
    expect(parseRoute('#/webhooks/12')).toEqual({ page: 'webhook', id: 12 })
    expect(parseRoute('#/webhooks/12/edit')).toEqual({ page: 'webhook-edit', id: 12 })
    expect(parseRoute('#/account')).toEqual({ page: 'account' })
    expect(parseRoute('#/settings/api')).toEqual({ page: 'settings' })
    expect(parseRoute('#/nope')).toEqual({ page: 'unknown' })
  })
})

describe('field errors by label', () => {
  it('names the field by its label', () => {
    expect(byLabel('projectIds was attempted to be written but is not writable.', 'projectIds', 'Projects')).toBe('Projects was attempted to be written but is not writable.')
    expect(byLabel('Name can\'t be blank.', 'name', 'Name')).toBe('Name can\'t be blank.')
    const err = new ApiError({ _type: 'Error', message: 'x', _embedded: { details: { attribute: 'secret' } } } as never)
    expect(new ApiError({ message: 'secret is too long', _embedded: { details: { attribute: 'secret' } } }).at('secret', 'Signature secret')).toEqual(['Signature secret is too long'])
    expect(err.forField('secret')).toEqual(['x'])
  })
})
