// The webhook admin pages in Debian Chromium against a real `hookpost serve`
// and a real local receiver that checks the signatures, driven by visible
// labels and roles. Screenshots of every page, light and dark, at 1024×700.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import http from 'node:http'
import { createHmac } from 'node:crypto'
import { join } from 'node:path'
import { artifacts, freePort, launchBrowser, startHookpost } from './harness.mjs'

let hp, ctx, page, receiver, recvURL
let secret = ''
const received = [] // { headers, raw, body, opValid, stdValid }

async function shots(name) {
  for (const scheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme: scheme })
    await page.screenshot({ path: join(artifacts, `webhooks-${name}-${scheme}.png`), fullPage: true })
  }
  await page.emulateMedia({ colorScheme: 'light' })
}

/** api calls the server as the signed-in page does: session cookie and CSRF token. */
function api(method, path, body) {
  return page.evaluate(async ({ method, path, body }) => {
    const s = await (await fetch('/api/auth/session')).json()
    const r = await fetch(path, {
      method,
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': s.csrfToken, 'X-Authentication-Scheme': 'Session' },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    return { status: r.status, body: r.status === 204 ? null : await r.json() }
  }, { method, path, body })
}

async function waitFor(cond, what) {
  for (let i = 0; i < 200; i++) {
    if (cond()) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`timed out waiting for ${what}`)
}

before(async () => {
  const port = await freePort()
  recvURL = `http://127.0.0.1:${port}/hooks/op`
  receiver = http.createServer((req, res) => {
    const chunks = []
    req.on('data', (c) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      // The filter test's webhook: its receiver refuses "Refused" payloads
      // (400: failed, not retried) and takes the others.
      if (req.url === '/hooks/filter') {
        res.writeHead(body.includes('Refused') ? 400 : 200).end()
        return
      }
      const op = 'sha1=' + createHmac('sha1', secret).update(body).digest('hex')
      const key = Buffer.from(secret.slice('whsec_'.length), 'base64')
      const std = 'v1,' + createHmac('sha256', key).update(`${req.headers['webhook-id']}.${req.headers['webhook-timestamp']}.`).update(body).digest('base64')
      received.push({
        headers: req.headers,
        raw: body,
        body: JSON.parse(body.toString()),
        opValid: req.headers['x-op-signature'] === op,
        stdValid: (req.headers['webhook-signature'] ?? '').split(' ').includes(std),
      })
      res.writeHead(200, { 'Content-Type': 'application/json', 'X-Receiver': 'e2e' }).end('{"received":true}')
    })
  })
  await new Promise((r) => receiver.listen(port, '127.0.0.1', r))
  hp = await startHookpost(['--webhook-allow', '127.0.0.1/32'])
  ctx = await launchBrowser()
  page = ctx.pages()[0] ?? (await ctx.newPage())
  page.setDefaultTimeout(10_000)
  await page.setViewportSize({ width: 1024, height: 700 })
  await page.goto(hp.base + '/')
  await page.getByLabel('Username').fill('admin')
  await page.getByLabel('Password').fill(hp.password)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByTestId('current-user').waitFor()
  for (const [identifier, name] of [['alpha', 'Alpha'], ['beta', 'Beta']]) {
    assert.equal((await api('POST', '/api/v3/projects', { identifier, name })).status, 201)
  }
})

after(async () => {
  await ctx?.close()
  await hp?.stop()
  receiver?.close()
})

test('empty list explains webhooks; create one with a generated secret; a server error shows at its field', async () => {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Webhooks' }).click()
  await page.getByRole('heading', { name: 'No webhooks have been defined yet.' }).waitFor()
  await shots('empty')
  await page.getByRole('link', { name: '+ New webhook' }).click()
  await page.getByRole('heading', { name: 'New webhook' }).waitFor()

  await page.getByLabel('Name').fill('CI receiver')
  await page.getByLabel('Payload URL').fill('ftp://127.0.0.1/nope')
  await page.getByLabel('Description').fill('Posts to the local test receiver.')
  await page.getByRole('button', { name: 'Generate' }).click()
  secret = await page.getByLabel('Signature secret').inputValue()
  assert.match(secret, /^whsec_[A-Za-z0-9+/]{32}$/)
  assert.equal(Buffer.from(secret.slice(6), 'base64').length, 24)
  await page.getByRole('button', { name: 'Check all Work packages', exact: true }).click()
  assert.equal(await page.getByLabel('Work packages: Created').isChecked(), true)
  assert.equal(await page.getByLabel('Work packages: Deleted').isChecked(), true)
  await shots('form-new')

  await page.getByRole('button', { name: 'Create' }).click()
  const urlError = page.locator('[data-field="url"]')
  await urlError.waitFor()
  assert.match(await urlError.textContent(), /^Payload URL .* must be an absolute http/)
  assert.equal(await page.getByLabel('Payload URL').getAttribute('aria-invalid'), 'true')
  await page.getByRole('alert').filter({ hasText: 'Saving failed' }).waitFor()
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'wh-url', 'the first invalid field takes the focus')
  await shots('form-error')

  await page.getByLabel('Payload URL').fill(recvURL)
  await page.getByRole('button', { name: 'Create' }).click()
  await page.getByRole('heading', { name: 'CI receiver' }).waitFor()
  await page.getByRole('status').filter({ hasText: 'Successful creation.' }).waitFor()
  await page.getByRole('heading', { name: 'Webhook is enabled' }).waitFor()
  const saved = (await api('GET', '/api/admin/webhooks')).body.webhooks
  assert.equal(saved.length, 1)
  assert.deepEqual(saved[0].events, ['work_package:created', 'work_package:deleted', 'work_package:updated'])
  assert.equal(saved[0].secretLast4, secret.slice(-4))
  assert.equal(saved[0].allProjects, true)
})

test('send a test and read the result inline', async () => {
  await page.getByLabel('Test event').selectOption('work_package:created')
  await page.getByRole('button', { name: 'Send test' }).click()
  const result = page.getByTestId('test-result')
  await result.waitFor()
  assert.equal(await result.getByTestId('response-status').textContent(), '200')
  assert.match(await result.textContent(), /Succeeded/)
  assert.match(await result.getByLabel('Response headers').textContent(), /X-Receiver\s*e2e/i)
  assert.match(await result.getByLabel('Response body').textContent(), /"received": true/)
  assert.equal(received.length, 1)
  assert.equal(received[0].body.action, 'work_package:created')
  assert.ok(received[0].opValid, 'X-OP-Signature verifies with the generated secret')
  assert.ok(received[0].stdValid, 'webhook-signature verifies with the generated secret')
  assert.equal(page.url().endsWith('#/webhooks/1'), true, 'the page was not left')
  // The test shows in the delivery log, marked as a test.
  await page.getByRole('row').filter({ hasText: 'test' }).first().waitFor()
  // The snippets carry the header names the request was sent with.
  await page.getByRole('tab', { name: 'Node' }).click()
  assert.match(await page.getByRole('tabpanel').textContent(), /req\.headers\['webhook-signature'\]/)
  await shots('page-tested')
})

test('a refused destination shows the SSRF error with its fix', async () => {
  const other = await api('POST', '/api/admin/webhooks', { name: 'Private', url: 'http://127.0.0.2:9/x', events: ['project:created'] })
  assert.equal(other.status, 201)
  await page.goto(`${hp.base}/#/webhooks/${other.body.id}`)
  await page.getByRole('heading', { name: 'Private' }).waitFor()
  await page.getByRole('button', { name: 'Send test' }).click()
  const err = page.getByTestId('test-result').locator('.attempt-error')
  await err.waitFor()
  assert.match(await err.textContent(), /refused; allow it with --webhook-allow 127\.0\.0\.2\/32/)
  assert.equal(await page.getByTestId('test-result').getByTestId('response-status').textContent(), '(none)')
  assert.equal((await api('DELETE', `/api/admin/webhooks/${other.body.id}`)).status, 204)
})

test('a real event is delivered, viewed and redelivered', async () => {
  await page.goto(`${hp.base}/#/webhooks/1`)
  await page.getByRole('heading', { name: 'CI receiver' }).waitFor()
  const wp = await api('POST', '/api/v3/work_packages', { subject: 'From the e2e test', _links: { project: { href: '/api/v3/projects/1' } } })
  assert.equal(wp.status, 201)
  await waitFor(() => received.some((r) => r.body.action === 'work_package:created' && r.body.work_package?.id === wp.body.id), 'the delivery')
  const real = received.find((r) => r.body.work_package?.id === wp.body.id)
  assert.ok(real.opValid && real.stdValid)

  await page.getByRole('button', { name: 'Reload' }).click()
  const row = page.getByRole('row').filter({ hasText: 'Work packages: Created' }).filter({ hasNotText: 'test' })
  await row.waitFor()
  assert.match(await row.textContent(), /200.*Succeeded/)

  await row.getByRole('button', { name: /^View/ }).click()
  const dialog = page.getByRole('dialog')
  await dialog.waitFor()
  const reqHeaders = await dialog.getByLabel('Request headers').textContent()
  assert.match(reqHeaders, new RegExp('X-Op-Signature\\s*' + real.headers['x-op-signature'].replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i'))
  assert.match(reqHeaders, /webhook-signature\s*v1,/i)
  assert.match(reqHeaders, new RegExp(real.headers['webhook-id']))
  const reqBody = await dialog.getByLabel('Request body').textContent()
  assert.match(reqBody, /\n {2}"action": "work_package:created",/, 'the body is pretty-printed')
  assert.match(reqBody, /"subject": "From the e2e test"/)
  assert.match(await dialog.getByLabel('Response body').textContent(), /"received": true/)
  await shots('viewer')

  const before = received.length
  await dialog.getByRole('button', { name: 'Redeliver' }).click()
  await page.getByRole('status').filter({ hasText: 'queued to be sent again' }).waitFor()
  await waitFor(() => received.length > before, 'the redelivery')
  assert.equal(received.at(-1).headers['webhook-id'], real.headers['webhook-id'], 'a redelivery keeps its webhook-id')
  await dialog.getByRole('button', { name: 'Close' }).click()
  // The receiver answers before the attempt is logged: reload until it is.
  const realRows = page.getByRole('row').filter({ hasText: 'Work packages: Created' }).filter({ hasNotText: 'test' })
  for (let i = 0; i < 50 && (await realRows.count()) < 2; i++) {
    await page.getByRole('button', { name: 'Reload' }).click()
    await page.getByRole('button', { name: 'Reload' }).and(page.locator(':enabled')).waitFor()
  }
  assert.equal(await realRows.count(), 2, 'the redelivery is a second attempt in the log')

  await page.getByLabel('Outcome').selectOption('failed')
  await page.getByText('No delivery in the log (kept 7 days) matches these filters.').waitFor()
  await page.getByRole('button', { name: 'Clear filters' }).click()
  await realRows.nth(1).waitFor()
})

test('deliveries are filtered by outcome and event on the server, across pages', async () => {
  const hook = await api('POST', '/api/admin/webhooks', { name: 'Filtered', url: recvURL.replace('/hooks/op', '/hooks/filter'), events: ['work_package:created'], allProjects: false, projectIds: [2] })
  assert.equal(hook.status, 201)
  const id = hook.body.id
  // 27 refused (more than a page of 25) and 3 taken, interleaved, in Beta.
  for (let i = 0; i < 30; i++) {
    const subject = i % 10 === 5 ? `Taken ${i}` : `Refused ${i}`
    assert.equal((await api('POST', '/api/v3/work_packages', { subject, _links: { project: { href: '/api/v3/projects/2' } } })).status, 201)
  }
  for (let i = 0; ; i++) {
    const got = (await api('GET', `/api/admin/webhooks/${id}/deliveries?limit=100`)).body.deliveries
    if (got.length === 30) break
    if (i > 200) throw new Error(`only ${got.length} of 30 attempts logged`)
    await new Promise((r) => setTimeout(r, 50))
  }
  await page.goto(`${hp.base}/#/webhooks/${id}`)
  await page.getByRole('heading', { name: 'Filtered' }).waitFor()
  const rows = page.getByRole('table', { name: 'Recent deliveries' }).getByRole('row').filter({ hasNot: page.getByRole('columnheader') })
  await rows.first().waitFor()
  const outcomes = async () => (await rows.locator('td:nth-child(7)').allTextContents()).map((t) => t.trim())

  await page.getByLabel('Outcome').selectOption('succeeded')
  await page.getByRole('button', { name: 'Older' }).and(page.locator(':disabled')).waitFor()
  await rows.nth(2).waitFor()
  assert.deepEqual(await outcomes(), ['Succeeded', 'Succeeded', 'Succeeded'], 'the 3 successes, from all 30 attempts')

  await page.getByLabel('Outcome').selectOption('failed')
  await page.getByRole('button', { name: 'Older' }).and(page.locator(':enabled')).waitFor()
  assert.equal((await outcomes()).length, 25)
  assert.ok((await outcomes()).every((o) => o === 'Failed'), 'a full page of failures')
  assert.ok((await rows.locator('td:nth-child(5)').allTextContents()).every((c) => c.trim() === '400'))
  await shots('page-filtered')
  // Older keeps the filter: the 2 remaining failures.
  await page.getByRole('button', { name: 'Older' }).click()
  await page.getByRole('button', { name: 'Newer' }).and(page.locator(':enabled')).waitFor()
  await page.getByRole('button', { name: 'Older' }).and(page.locator(':disabled')).waitFor()
  assert.deepEqual(await outcomes(), ['Failed', 'Failed'])
  assert.equal(await page.getByLabel('Outcome').inputValue(), 'failed')
  await page.getByRole('button', { name: 'Newer' }).click()
  await page.getByRole('button', { name: 'Older' }).and(page.locator(':enabled')).waitFor()
  assert.equal((await outcomes()).length, 25)

  // An event this webhook never had: an empty page that says so.
  await page.getByLabel('Event', { exact: true }).selectOption('work_package:deleted')
  await page.getByText('No delivery in the log (kept 7 days) matches these filters.').waitFor()
  await page.getByRole('button', { name: 'Clear filters' }).click()
  await page.getByRole('button', { name: 'Older' }).and(page.locator(':enabled')).waitFor()
  assert.equal((await outcomes()).length, 25)
  assert.equal((await api('DELETE', `/api/admin/webhooks/${id}`)).status, 204)
  await page.getByText('This webhook has been deleted.').waitFor()
  await page.goto(`${hp.base}/#/webhooks/1`)
  await page.getByRole('heading', { name: 'CI receiver' }).waitFor()
})

test('edit events and projects; unsaved changes are guarded', async () => {
  await page.getByRole('link', { name: 'Edit' }).click()
  await page.getByRole('heading', { name: 'Edit CI receiver' }).waitFor()
  // The generated secret is base64: its last characters may be + or /, so
  // they are compared as text, not as a pattern.
  const ending = await page.getByText('Set, ending in').textContent()
  assert.ok(ending.includes(secret.slice(-4)), `${ending} does not show the secret's last characters ${secret.slice(-4)}`)

  await page.getByRole('button', { name: 'Uncheck all Work packages' }).click()
  await page.getByLabel('Projects: Created').check()
  await page.getByLabel('Projects: Updated').check()
  await page.getByLabel('Selected projects only').check()
  await page.getByLabel('Search projects').fill('alp')
  assert.equal(await page.getByLabel('Beta').count(), 0, 'the search hides what does not match')
  await page.getByLabel('Alpha').check()
  await shots('form-edit')

  // Leaving with unsaved changes asks; staying keeps them.
  page.once('dialog', (d) => d.dismiss())
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Webhooks' }).click()
  await page.getByRole('heading', { name: 'Edit CI receiver' }).waitFor()
  assert.equal(await page.getByLabel('Alpha').isChecked(), true)

  await page.getByRole('button', { name: 'Save' }).click()
  await page.getByRole('status').filter({ hasText: 'Successful update.' }).waitFor()
  await page.getByRole('heading', { name: 'Webhook is enabled' }).waitFor()
  const w = (await api('GET', '/api/admin/webhooks/1')).body
  assert.deepEqual(w.events, ['project:created', 'project:updated'])
  assert.equal(w.allProjects, false)
  assert.deepEqual(w.projectIds, [1])
  assert.equal(w.secretLast4, secret.slice(-4), 'the secret was kept')
  assert.match(await page.locator('dl').textContent(), /Projects\s*Alpha\s*Delivery\s*Unordered\s*Signature/)
  assert.match(await page.locator('dl').textContent(), /Projects \(Created, Updated\)/)
})

test('replace the secret: the grace period shows, and a test is signed with both secrets', async () => {
  await page.goto(`${hp.base}/#/webhooks/1`)
  await page.getByRole('link', { name: 'Edit' }).click()
  await page.getByRole('heading', { name: 'Edit CI receiver' }).waitFor()
  await page.getByRole('button', { name: 'Replace secret' }).click()
  await page.getByText('The current secret keeps signing for 24 hours after you replace it').waitFor()
  await page.getByRole('button', { name: 'Generate' }).click()
  const old = secret
  const fresh = await page.getByLabel('Signature secret').inputValue()
  assert.match(fresh, /^whsec_/)
  assert.notEqual(fresh, old)
  await page.getByRole('button', { name: 'Save' }).click()
  const toastText = page.getByRole('status').filter({ hasText: 'Successful update. The previous secret also signs until' })
  await toastText.waitFor()
  const w = (await api('GET', '/api/admin/webhooks/1')).body
  assert.equal(w.secretLast4, fresh.slice(-4))
  const hours = (new Date(w.rotatingUntil) - Date.now()) / 3600e3
  assert.ok(hours > 23 && hours <= 24, `rotatingUntil is 24 hours ahead: ${w.rotatingUntil}`)
  const until = new Date(w.rotatingUntil).toLocaleString()
  const note = page.getByTestId('rotation')
  await note.waitFor()
  assert.equal(await note.textContent(), `Rotating: the previous secret also signs until ${until}, so receivers can switch over.`)
  assert.match(await toastText.textContent(), new RegExp(until.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
  await shots('page-rotating')

  secret = fresh // X-OP-Signature: the new secret
  const count = received.length
  await page.getByLabel('Test event').selectOption('project:created')
  await page.getByRole('button', { name: 'Send test' }).click()
  await page.getByTestId('test-result').waitFor()
  await waitFor(() => received.length > count, 'the test delivery')
  const got = received.at(-1)
  assert.ok(got.opValid, 'X-OP-Signature is made with the new secret')
  const sigs = got.headers['webhook-signature'].split(' ')
  assert.equal(sigs.length, 2, `two signatures: ${got.headers['webhook-signature']}`)
  assert.ok(sigs.every((s) => s.startsWith('v1,')))
  const sign = (sec) => 'v1,' + createHmac('sha256', Buffer.from(sec.slice('whsec_'.length), 'base64'))
    .update(`${got.headers['webhook-id']}.${got.headers['webhook-timestamp']}.`).update(got.raw).digest('base64')
  assert.equal(sigs[0], sign(fresh), 'the first signature verifies with the new secret')
  assert.equal(sigs[1], sign(old), 'the second signature verifies with the old secret')
})

test('disable and re-enable, from the page and from the list; delete', async () => {
  await page.getByRole('button', { name: 'Disable' }).click()
  await page.getByRole('heading', { name: 'Webhook is disabled' }).waitFor()
  await page.getByRole('button', { name: 'Enable' }).click()
  await page.getByRole('heading', { name: 'Webhook is enabled' }).waitFor()
  assert.equal((await api('PATCH', '/api/admin/webhooks/1', { enabled: false })).status, 200)

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Webhooks' }).click()
  const row = page.getByRole('row').filter({ hasText: 'CI receiver' })
  await row.waitFor()
  assert.match(await row.textContent(), /Disabled/)
  assert.match(await row.textContent(), /1 project/)
  await row.getByText('Succeeded 200').waitFor()
  await shots('list')
  await row.getByRole('button', { name: 'Enable CI receiver' }).click()
  await page.getByRole('status').filter({ hasText: 'Webhook "CI receiver" enabled.' }).waitFor()
  await row.getByText('Enabled', { exact: true }).waitFor()
  assert.equal((await api('GET', '/api/admin/webhooks/1')).body.enabled, true)

  // Keyboard: the focused control shows a visible outline.
  await row.getByRole('link', { name: 'Edit CI receiver' }).focus()
  await page.keyboard.press('Tab')
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle)
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Delete')
  assert.notEqual(outline, 'none')

  page.once('dialog', (d) => d.accept())
  await page.keyboard.press('Enter')
  await page.getByRole('heading', { name: 'No webhooks have been defined yet.' }).waitFor()
  assert.deepEqual((await api('GET', '/api/admin/webhooks')).body.webhooks, [])
})
