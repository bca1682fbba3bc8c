import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import http from 'node:http'
import { join } from 'node:path'
import { artifacts, freePort, launchBrowser, startHookpost } from './harness.mjs'

let hp, ctx, page

before(async () => {
  hp = await startHookpost()
  ctx = await launchBrowser()
  await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: hp.base })
  page = ctx.pages()[0] ?? (await ctx.newPage())
})

after(async () => {
  await ctx?.close()
  await hp?.stop()
})

test('sign in, edit the API settings, see them after reload, see a bad origin rejected', async () => {
  await page.goto(hp.base + '/')
  await page.getByLabel('Username').fill('admin')
  await page.getByLabel('Password').fill('wrong password')
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByRole('alert').filter({ hasText: 'Invalid login or password' }).waitFor()

  await page.getByLabel('Password').fill(hp.password)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByRole('heading', { name: 'API', exact: true }).waitFor()
  assert.equal(await page.getByTestId('current-user').textContent(), 'OpenProject Admin')

  // The origins textarea appears only once CORS is ticked.
  assert.equal(await page.getByLabel('Allowed origins').count(), 0)
  await page.getByLabel('Maximum API page size').fill('25')
  await page.getByLabel('Enable CORS').check()
  await page.getByLabel('Allowed origins').fill('https://app.example.com:8443\nhttp://127.0.0.1:3000')
  await page.getByRole('button', { name: 'Save' }).click()
  await page.getByRole('status').filter({ hasText: 'Successful update.' }).waitFor()

  await page.reload()
  await page.getByLabel('Maximum API page size').waitFor()
  assert.equal(await page.getByLabel('Maximum API page size').inputValue(), '25')
  assert.equal(await page.getByLabel('Enable CORS').isChecked(), true)
  assert.equal(await page.getByLabel('Allowed origins').inputValue(), 'https://app.example.com:8443\nhttp://127.0.0.1:3000')

  await page.getByLabel('Allowed origins').fill('https://app.example.com:8443\nhttps://bad.example.com/path')
  await page.getByRole('button', { name: 'Save' }).click()
  const fieldError = page.locator('[data-field="corsOrigins"]')
  await fieldError.waitFor()
  assert.match(await fieldError.textContent(), /^Allowed origins line 2/, 'the error names the field by its label')
  assert.equal(await page.getByLabel('Allowed origins').getAttribute('aria-invalid'), 'true')

  // Nothing was saved by the rejected request.
  const saved = await page.evaluate(async () => (await fetch('/api/admin/settings')).json())
  assert.deepEqual(saved.corsOrigins, ['https://app.example.com:8443', 'http://127.0.0.1:3000'])
  assert.equal(saved.maxPageSize, 25)
  await page.screenshot({ path: join(artifacts, 'browser-settings.png'), fullPage: true })
})

test('create an API token, use it with fetch, revoke it', async () => {
  await page.getByRole('link', { name: 'My account' }).click()
  await page.getByLabel('Name').fill('e2e token')
  await page.getByRole('button', { name: '+ API token' }).click()
  const shown = page.getByTestId('new-token')
  await shown.waitFor()
  const token = (await shown.textContent()).trim()
  assert.match(token, /^hp_[0-9a-f]{64}$/)
  await page.getByRole('button', { name: 'Copy' }).click()
  await page.getByRole('button', { name: 'Copied' }).waitFor()
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), token)
  await page.getByRole('cell', { name: 'e2e token' }).waitFor()
  assert.equal(await page.getByRole('cell', { name: '…' + token.slice(-4) }).count(), 1)

  const me = await page.evaluate(async (tok) => {
    const r = await fetch('/api/v3/users/me', { headers: { Authorization: `Bearer ${tok}` }, credentials: 'omit' })
    return { status: r.status, body: await r.json() }
  }, token)
  assert.equal(me.status, 200)
  assert.equal(me.body._type, 'User')
  assert.equal(me.body.login, 'admin')

  page.once('dialog', (d) => d.accept())
  await page.getByRole('button', { name: 'Revoke' }).click()
  await page.getByText('You have no API tokens yet.').waitFor()
  const after = await page.evaluate(async (tok) => (await fetch('/api/v3/users/me', { headers: { Authorization: `Bearer ${tok}` }, credentials: 'omit' })).status, token)
  assert.equal(after, 401)
})

test('CORS in a real browser: a listed origin may call the API, an unlisted one may not', async () => {
  const listedPort = await freePort()
  const otherPort = await freePort()
  const page2html = '<!doctype html><title>other origin</title>'
  const servers = [listedPort, otherPort].map((port) => http.createServer((_, res) => res.end(page2html)).listen(port, '127.0.0.1'))
  try {
    const tokenRes = await page.evaluate(async () => {
      const s = await (await fetch('/api/auth/session')).json()
      const r = await fetch('/api/account/tokens', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': s.csrfToken }, body: JSON.stringify({ name: 'cors' }) })
      return r.json()
    })
    const set = await page.evaluate(async (origin) => {
      const s = await (await fetch('/api/auth/session')).json()
      const r = await fetch('/api/admin/settings', { method: 'PATCH', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': s.csrfToken }, body: JSON.stringify({ corsEnabled: true, corsOrigins: [origin] }) })
      return r.status
    }, `http://127.0.0.1:${listedPort}`)
    assert.equal(set, 200)

    const other = await ctx.newPage()
    const call = (target) => other.evaluate(async ({ url, tok }) => {
      try {
        const r = await fetch(url, { headers: { Authorization: `Bearer ${tok}` } })
        return { status: r.status, login: (await r.json()).login }
      } catch (e) {
        return { blocked: String(e) }
      }
    }, { url: hp.base + '/api/v3/users/me', tok: target })
    await other.goto(`http://127.0.0.1:${listedPort}/`)
    assert.deepEqual(await call(tokenRes.token), { status: 200, login: 'admin' })
    await other.goto(`http://127.0.0.1:${otherPort}/`)
    const blocked = await call(tokenRes.token)
    assert.ok(blocked.blocked, `unlisted origin was not blocked: ${JSON.stringify(blocked)}`)
    await other.close()
  } finally {
    servers.forEach((s) => s.close())
  }
})
