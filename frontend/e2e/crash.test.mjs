// Crash test: the real binary, a real receiver, thousands of events, and
// SIGKILL at random moments. Every committed change must reach the receiver
// at least once; duplicates (same webhook-id) only for attempts in flight at
// a kill.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import http from 'node:http'
import { spawn, execFileSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from './harness.mjs'

const EVENTS = 3000
const KILLS = 4

test('deliveries survive SIGKILL at random moments', { timeout: 180_000 }, async () => {
  const bin = process.env.HOOKPOST_BIN
  const dir = mkdtempSync(join(tmpdir(), 'hookpost-crash-'))
  const db = join(dir, 'crash.db')

  const received = new Map() // webhook-id → count
  const wpIds = new Set()
  const recvPort = await freePort()
  const receiver = http.createServer((req, res) => {
    let body = ''
    req.on('data', (c) => (body += c))
    req.on('end', () => {
      const id = req.headers['webhook-id']
      received.set(id, (received.get(id) ?? 0) + 1)
      try {
        wpIds.add(JSON.parse(body).work_package.id)
      } catch {}
      res.end('ok')
    })
  })
  await new Promise((r) => receiver.listen(recvPort, '127.0.0.1', r))

  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  let proc
  const start = async () => {
    proc = spawn(bin, ['serve', '--db', db, '--addr', `127.0.0.1:${port}`, '--webhook-allow', '127.0.0.1/32'], { stdio: 'ignore' })
    for (let i = 0; i < 200; i++) {
      try {
        if ((await fetch(base + '/healthz')).ok) return
      } catch {}
      await new Promise((r) => setTimeout(r, 25))
    }
    throw new Error('hookpost did not start')
  }
  await start()
  const token = execFileSync(bin, ['token', 'create', '--db', db, '--user', 'admin']).toString().trim()
  const headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }
  const post = (path, body) => fetch(base + path, { method: 'POST', headers, body: JSON.stringify(body) })
  assert.equal((await post('/api/v3/projects', { identifier: 'crash', name: 'Crash' })).status, 201)
  assert.equal((await post('/api/admin/webhooks', { name: 'sink', url: `http://127.0.0.1:${recvPort}/`, secret: 's', events: ['work_package:created'] })).status, 201)

  const created = new Set() // ids answered 201: certainly committed
  let sent = 0
  let killsDone = 0
  const killAt = new Set(Array.from({ length: KILLS }, (_, i) => Math.floor(((i + 1) * EVENTS) / (KILLS + 1) + Math.random() * 200)))
  while (sent < EVENTS) {
    const batch = []
    for (let i = 0; i < 32 && sent < EVENTS; i++, sent++) {
      batch.push(post('/api/v3/work_packages', { subject: `crash ${sent}`, _links: { project: { href: '/api/v3/projects/1' } } })
        .then(async (r) => { if (r.status === 201) created.add((await r.json()).id) })
        .catch(() => {}))
      if ([...killAt].some((k) => k === sent)) {
        proc.kill('SIGKILL')
        killsDone++
      }
    }
    await Promise.all(batch)
    if (proc.exitCode !== null || proc.signalCode !== null) {
      await new Promise((r) => setTimeout(r, Math.random() * 50))
      await start()
    }
  }
  assert.equal(killsDone, KILLS)

  // Every committed work package (the API's own total) must arrive.
  const total = async () => (await (await fetch(base + '/api/v3/work_packages?pageSize=0', { headers })).json()).total
  const committed = await total()
  const deadline = Date.now() + 120_000
  while (wpIds.size < committed && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200))
  }
  proc.kill('SIGTERM')
  await new Promise((r) => proc.once('exit', r))
  receiver.close()

  const duplicates = [...received.values()].filter((n) => n > 1).length
  console.log(`# crash test: ${EVENTS} creates sent, ${created.size} answered 201, ${committed} committed, ` +
    `${wpIds.size} delivered, ${received.size} webhook-ids, ${duplicates} delivered more than once, ${KILLS} SIGKILLs`)
  for (const id of created) assert.ok(wpIds.has(id), `work package ${id} was created but never delivered`)
  assert.equal(wpIds.size, committed, 'every committed change is delivered')
  assert.equal(received.size, committed, 'one webhook-id per event')
  assert.ok(duplicates <= KILLS * 64, `${duplicates} duplicates: more than the attempts in flight at the kills`)
})
