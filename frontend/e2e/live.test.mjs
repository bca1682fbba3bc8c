// Live updates, the chart, the look-up by webhook-id, a burst of 10,000
// deliveries and the password change, in Debian Chromium against a real
// `hookpost serve` and a real local receiver.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import http from 'node:http'
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { artifacts, freePort, launchBrowser, startHookpost } from './harness.mjs'

let hp, ctx, page, receiver, recvURL, token
let received = 0
const ids = []

async function shot(name) {
  for (const scheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme: scheme })
    await page.screenshot({ path: join(artifacts, `live-${name}-${scheme}.png`), fullPage: true })
  }
  await page.emulateMedia({ colorScheme: 'light' })
}

/** call uses the API as a script would: an administrator's API token. */
async function call(method, path, body) {
  const r = await fetch(hp.base + path, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  return { status: r.status, body: r.status === 204 ? null : await r.json() }
}

async function signIn(login, password) {
  await page.getByLabel('Username').fill(login)
  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: 'Sign in' }).click()
}

before(async () => {
  const port = await freePort()
  recvURL = `http://127.0.0.1:${port}/hooks`
  receiver = http.createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      received++
      if (ids.length < 100) ids.push(req.headers['webhook-id'])
      res.writeHead(200).end()
    })
  })
  receiver.keepAliveTimeout = 60_000
  await new Promise((r) => receiver.listen(port, '127.0.0.1', r))
  hp = await startHookpost(['--webhook-allow', '127.0.0.1/32'])
  token = execFileSync(process.env.HOOKPOST_BIN, ['token', 'create', '--db', hp.db, '--user', 'admin']).toString().trim()
  ctx = await launchBrowser()
  page = ctx.pages()[0] ?? (await ctx.newPage())
  page.setDefaultTimeout(15_000)
  await page.setViewportSize({ width: 1024, height: 700 })
  await page.goto(hp.base + '/')
  await signIn('admin', hp.password)
  await page.getByTestId('current-user').waitFor()
  assert.equal((await call('POST', '/api/v3/projects', { identifier: 'live', name: 'Live' })).status, 201)
  const w = await call('POST', '/api/admin/webhooks', { name: 'Live receiver', url: recvURL, events: ['work_package:created'] })
  assert.equal(w.status, 201)
})

after(async () => {
  await ctx?.close()
  await hp?.stop()
  receiver?.close()
})

test('a delivery caused through the API appears on the open webhook page without a reload', async () => {
  await page.goto(hp.base + '/#/webhooks/1')
  await page.getByRole('heading', { name: 'Live receiver' }).waitFor()
  await page.getByText('No deliveries have been made for this webhook in the past days.').waitFor()
  await page.evaluate(() => (window.__notReloaded = true))
  const wp = await call('POST', '/api/v3/work_packages', { subject: 'Appears live', _links: { project: { href: '/api/v3/projects/1' } } })
  assert.equal(wp.status, 201)
  const row = page.getByRole('row').filter({ hasText: 'Work packages: Created' })
  await row.waitFor()
  assert.match(await row.textContent(), /200.*Succeeded/)
  assert.equal(await page.evaluate(() => window.__notReloaded), true, 'the page was not reloaded')
  await page.getByText('1 new since the page opened').waitFor()
  // The chart follows (read again after new deliveries).
  await page.getByTestId('stats-chart').getByText('succeeded of 1 attempt').waitFor()
  const chart = page.getByTestId('stats-chart')
  // uPlot drew it: a canvas of the card's width, and a legend naming every
  // series with the values of the latest bucket (the one delivery: 100 %).
  const canvas = chart.locator('.uplot canvas')
  await canvas.waitFor()
  const box = await canvas.boundingBox()
  assert.ok(box && box.width > 600 && box.height > 150, `the chart is readable at 1024×700: ${JSON.stringify(box)}`)
  const legend = chart.locator('.u-legend')
  const series = await legend.locator('tr.u-series').evaluateAll((rows) => rows.map((r) => [r.querySelector('.u-label')?.textContent, r.querySelector('.u-value')?.textContent]))
  const byName = Object.fromEntries(series)
  assert.deepEqual(Object.keys(byName), ['Time', 'Success rate', 'p50', 'p95', 'p99'])
  assert.equal(byName['Success rate'], '100.0 %')
  for (const p of ['p50', 'p95', 'p99']) assert.match(byName[p], /^\d+(\.\d)? ms$/, `${p} shows the latency of the delivery`)
  assert.notEqual(byName.Time, '—')
  await shot('webhook-page')
})

test('the webhook list shows health live', async () => {
  await page.goto(hp.base + '/#/webhooks')
  const health = page.getByRole('row').filter({ hasText: 'Live receiver' })
  await health.getByText('Succeeded 200').waitFor()
  await page.evaluate(() => (window.__notReloaded = true))
  await call('PATCH', '/api/admin/webhooks/1', { enabled: false })
  await health.getByRole('button', { name: 'Enable Live receiver' }).waitFor()
  await call('PATCH', '/api/admin/webhooks/1', { enabled: true })
  await health.getByText('Enabled', { exact: true }).waitFor()
  assert.equal(await page.evaluate(() => window.__notReloaded), true)
})

test('a pasted webhook-id opens the viewer of its delivery', async () => {
  await page.goto(hp.base + '/#/webhooks/1')
  await page.getByRole('heading', { name: 'Live receiver' }).waitFor()
  const id = ids[0]
  assert.match(id, /^msg_\d+_1$/)
  await page.getByLabel('Find by webhook-id').fill(id)
  await page.getByRole('button', { name: 'Find delivery' }).click()
  const dialog = page.getByRole('dialog')
  await dialog.waitFor()
  assert.equal(await dialog.getByTestId('viewer-message-id').textContent(), id)
  await dialog.getByText('webhook-signature').or(dialog.getByText('Webhook-Id')).first().waitFor()
  await shot('viewer')
  await dialog.getByRole('button', { name: 'Close' }).click()
  await page.getByLabel('Find by webhook-id').fill('msg_999999_1')
  await page.getByRole('button', { name: 'Find delivery' }).click()
  await page.getByRole('alert').filter({ hasText: 'No delivery has the webhook-id msg_999999_1' }).waitFor()
})

test('load: 10,000 deliveries recorded while the webhook page is open', async () => {
  await page.goto(hp.base + '/#/webhooks/1')
  await page.getByRole('heading', { name: 'Live receiver' }).waitFor()
  await page.evaluate(() => {
    window.__longest = 0
    window.__longtasks = 0
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        window.__longtasks++
        window.__longest = Math.max(window.__longest, e.duration)
      }
    }).observe({ type: 'longtask', buffered: false })
    window.__notReloaded = true
  })
  const start = received
  const total = 10_000
  const began = Date.now()
  let next = 0
  async function worker() {
    while (next < total) {
      const i = next++
      const r = await call('POST', '/api/v3/work_packages', { subject: `Burst ${i}`, _links: { project: { href: '/api/v3/projects/1' } } })
      if (r.status !== 201) throw new Error(`create ${i}: ${r.status} ${JSON.stringify(r.body)}`)
    }
  }
  await Promise.all(Array.from({ length: 16 }, worker))
  const created = Date.now()
  while (received - start < total) {
    if (Date.now() - created > 120_000) throw new Error(`only ${received - start} of ${total} delivered`)
    await new Promise((r) => setTimeout(r, 100))
  }
  const delivered = Date.now()
  // Let the last hand-over and the chart's read happen.
  await new Promise((r) => setTimeout(r, 1500))
  const rows = await page.getByRole('table', { name: 'Recent deliveries' }).getByRole('row').count()
  const m = await page.evaluate(() => ({ longest: window.__longest, count: window.__longtasks, notReloaded: window.__notReloaded }))
  // The page still answers: a click opens the newest delivery's viewer.
  await page.getByRole('button', { name: /^View delivery/ }).first().click()
  await page.getByRole('dialog').waitFor()
  await page.getByRole('dialog').getByRole('button', { name: 'Close' }).click()
  console.log(`load: ${total} work packages created in ${created - began} ms, all delivered after ${delivered - began} ms; ` +
    `longest main-thread task ${m.longest.toFixed(0)} ms (${m.count} tasks over 50 ms); ${rows} table rows`)
  assert.equal(m.notReloaded, true)
  assert.ok(rows <= 30, `the deliveries table stays one page long (${rows} rows)`)
  await shot('after-burst')
})

test('a non-administrator lands on My account', async () => {
  execFileSync(process.env.HOOKPOST_BIN, ['user', 'create', '--db', hp.db, '--login', 'jane', '--password-stdin'], { input: 'jane password 1\n' })
  const other = await ctx.newPage()
  try {
    // A second browser context shares cookies: sign out there and in as jane.
    await other.goto(hp.base + '/#/webhooks/1')
    await other.getByRole('button', { name: 'Sign out' }).click()
    await other.getByLabel('Username').fill('jane')
    await other.getByLabel('Password').fill('jane password 1')
    await other.getByRole('button', { name: 'Sign in' }).click()
    await other.getByRole('heading', { name: 'My account' }).waitFor()
    assert.equal(await other.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Webhooks' }).count(), 0)
    await other.screenshot({ path: join(artifacts, 'live-non-admin.png'), fullPage: true })
    await other.getByRole('button', { name: 'Sign out' }).click()
  } finally {
    await other.close()
  }
})

test('change the password, sign out, sign in with the new one (the old one fails)', async () => {
  await page.goto(hp.base + '/')
  await signIn('admin', hp.password)
  await page.getByTestId('current-user').waitFor()
  await page.goto(hp.base + '/#/account')
  await page.getByRole('heading', { name: 'Password' }).waitFor()
  await page.getByLabel('Current password').fill(hp.password)
  await page.getByLabel('New password').fill('short')
  await page.getByRole('button', { name: 'Change password' }).click()
  await page.getByText('New password is too short (minimum is 10 characters).').waitFor()
  await page.getByLabel('Current password').fill('not the password')
  await page.getByLabel('New password').fill('a brand new password')
  await page.getByRole('button', { name: 'Change password' }).click()
  await page.getByText('Current password is not correct.').waitFor()
  await shot('password-error')
  await page.getByLabel('Current password').fill(hp.password)
  await page.getByRole('button', { name: 'Change password' }).click()
  await page.getByRole('status').filter({ hasText: 'Password changed.' }).waitFor()
  await page.getByRole('button', { name: 'Sign out' }).click()
  await signIn('admin', hp.password)
  await page.getByRole('alert').first().waitFor()
  assert.equal(await page.getByTestId('current-user').count(), 0, 'the old password signs in')
  await signIn('admin', 'a brand new password')
  await page.getByTestId('current-user').waitFor()
})
