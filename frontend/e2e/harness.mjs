// Shared pieces of the browser tests: start a real Hookpost binary on a fresh
// SQLite file, and a fresh Debian Chromium profile driven by playwright-core.
import { spawn } from 'node:child_process'
import { mkdtempSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import net from 'node:net'
import { chromium } from 'playwright-core'

export const artifacts = join(import.meta.dirname, '..', 'test-results')
mkdirSync(artifacts, { recursive: true })

export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address()
      srv.close(() => resolve(port))
    })
    srv.on('error', reject)
  })
}

/**
 * startHookpost runs `hookpost serve` (with extra flags such as
 * --webhook-allow) and resolves once /healthz answers, with the admin
 * password it printed.
 */
export async function startHookpost(extraArgs = []) {
  const bin = process.env.HOOKPOST_BIN
  if (!bin) throw new Error('HOOKPOST_BIN must name the hookpost binary to test')
  const dir = mkdtempSync(join(tmpdir(), 'hookpost-e2e-'))
  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  const db = join(dir, 'hookpost.db')
  const proc = spawn(bin, ['serve', '--db', db, '--addr', `127.0.0.1:${port}`, ...extraArgs], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  proc.stderr.on('data', (d) => (stderr += d))
  const deadline = Date.now() + 20000
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`hookpost exited: ${stderr}`)
    try {
      const r = await fetch(base + '/healthz')
      if (r.ok) break
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`hookpost did not start: ${stderr}`)
    await new Promise((r) => setTimeout(r, 100))
  }
  const m = /'admin' with password (\S+)/.exec(stderr)
  if (!m) throw new Error(`no admin password printed: ${stderr}`)
  return {
    base,
    db,
    password: m[1],
    stderr: () => stderr,
    async stop() {
      proc.kill('SIGTERM')
      await new Promise((r) => proc.once('exit', r))
    },
  }
}

export async function launchBrowser() {
  const profile = mkdtempSync(join(tmpdir(), 'hookpost-chromium-'))
  return chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM_BIN || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
}
