import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { writeFileSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startHookpost } from './harness.mjs'

let hp
before(async () => (hp = await startHookpost()))
after(async () => hp?.stop())

test('the served OpenAPI document passes redocly lint with no errors', async () => {
  const res = await fetch(hp.base + '/api/v3/openapi.json')
  assert.equal(res.status, 200)
  const file = join(mkdtempSync(join(tmpdir(), 'hookpost-spec-')), 'openapi.json')
  writeFileSync(file, await res.text())
  const lint = spawnSync(join(import.meta.dirname, '..', 'node_modules', '.bin', 'redocly'), ['lint', file, '--format', 'stylish'], { encoding: 'utf8' })
  const out = lint.stdout + lint.stderr
  assert.equal(lint.status, 0, `redocly lint failed:\n${out}`)
  assert.match(out, /Your API description is valid/)
  assert.doesNotMatch(out, /\berror\b/)
  const yml = await fetch(hp.base + '/api/v3/spec.yml')
  assert.match(yml.headers.get('content-type'), /yaml/)
})
