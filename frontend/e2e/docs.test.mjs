// The API docs page (/api/docs): Swagger UI bundled in the binary, over the
// served OpenAPI document, with try-it requests on the browser's session or
// an API token, administration routes shown to administrators only, and no
// request leaving this origin.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { artifacts, launchBrowser, startHookpost } from './harness.mjs'

let hp, ctx, page, spec
const requests = []

before(async () => {
  hp = await startHookpost()
  ctx = await launchBrowser()
  ctx.setDefaultTimeout(15000)
  // Every request of every page of this browser, the docs' included.
  ctx.on('request', (r) => requests.push(r.url()))
  page = ctx.pages()[0] ?? (await ctx.newPage())
  spec = await (await fetch(hp.base + '/api/v3/openapi.json')).json()
})

after(async () => {
  await ctx?.close()
  await hp?.stop()
})

// api calls this server from the page, as the signed-in browser would.
async function api(method, path, body) {
  return page.evaluate(async ({ method, path, body }) => {
    const headers = { 'Content-Type': 'application/json', 'X-Authentication-Scheme': 'Session' }
    if (method !== 'GET' && !path.startsWith('/api/auth/')) {
      const s = await fetch('/api/auth/session', { headers })
      if (s.ok) headers['X-CSRF-Token'] = (await s.json()).csrfToken
    }
    const r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
    const text = await r.text()
    return { status: r.status, body: text ? JSON.parse(text) : null }
  }, { method, path, body })
}

async function signIn(login, password) {
  await page.goto(hp.base + '/healthz')
  const r = await api('POST', '/api/auth/login', { login, password })
  assert.equal(r.status, 200, JSON.stringify(r.body))
}

async function openDocs(who) {
  await page.goto(hp.base + '/api/docs')
  await page.getByTestId('docs-user').filter({ hasText: who }).waitFor()
  await page.locator('.swagger-ui .opblock-tag-section').first().waitFor()
}

// OpenAPI 3.1 schemas are listed under "Schemas", one top-level article each.
const schemaTitles = 'section.models article[data-json-schema-level="0"] > .json-schema-2020-12-head .json-schema-2020-12__title'
const tagSection = (name) => page.locator(`.opblock-tag-section:has(> .opblock-tag[data-tag="${name}"])`)
const operation = (tag, id) => page.locator(`#operations-${tag.replaceAll(' ', '_')}-${id}`)

async function shown() {
  const tags = await page.locator('.opblock-tag').evaluateAll((els) => els.map((e) => e.dataset.tag))
  const paths = await page.locator('.opblock-summary-path').evaluateAll((els) => els.map((e) => e.dataset.path))
  const schemas = await page.locator(schemaTitles).evaluateAll((els) => els.map((e) => e.textContent))
  return { tags, paths, schemas }
}

async function execute(op) {
  await op.locator('.opblock-summary-control').click()
  await op.getByRole('button', { name: 'Try it out' }).click()
  return op
}

async function liveStatus(op) {
  const cell = op.locator('.live-responses-table tbody .response-col_status')
  await cell.waitFor()
  return (await cell.textContent()).trim()
}

test('the docs answer 404 while docsEnabled is off', async () => {
  const r = await fetch(hp.base + '/api/docs')
  assert.equal(r.status, 404)
  assert.doesNotMatch(await r.text(), /swagger/i)
})

test('an administrator sees every operation and schema, and tries requests with the session', async () => {
  await signIn('admin', hp.password)
  assert.equal((await api('PATCH', '/api/admin/settings', { docsEnabled: true })).status, 200)
  await openDocs('Signed in as OpenProject Admin')
  await page.locator(schemaTitles).first().waitFor()
  await page.screenshot({ path: join(artifacts, 'docs-admin-light.png'), fullPage: false })

  const { tags, paths, schemas } = await shown()
  assert.deepEqual(tags, spec.tags.map((t) => t.name))
  const documented = Object.entries(spec.paths).flatMap(([p, item]) => Object.keys(item).map(() => p))
  assert.deepEqual(paths.toSorted(), documented.toSorted(), 'every operation is listed')
  assert.deepEqual(schemas.toSorted(), Object.keys(spec.components.schemas).toSorted(), 'every schema is listed')

  // A request body's example is the document's, ready to send.
  const create = operation('Webhooks', 'postAdminWebhooks')
  await create.locator('.opblock-summary-control').click()
  const example = JSON.parse(await create.locator('.body-param__example').textContent())
  const documentedExample = spec.paths['/api/admin/webhooks'].post.requestBody.content['application/json'].example
  assert.equal(example.url, 'https://hooks.example.com/openproject')
  assert.deepEqual(example, documentedExample)
  await create.screenshot({ path: join(artifacts, 'docs-request-example-light.png') })
  await create.locator('.opblock-summary-control').click()

  // GET with the session cookie.
  const me = await execute(operation('Users', 'getV3UsersMe'))
  await me.getByRole('button', { name: 'Execute' }).click()
  assert.equal(await liveStatus(me), '200')
  const body = JSON.parse(await me.locator('.live-responses-table .response-col_description .microlight').first().textContent())
  assert.equal(body._type, 'User')
  assert.equal(body.login, 'admin')
  await me.screenshot({ path: join(artifacts, 'docs-try-it-light.png') })

  // A write needs the session's CSRF token, which the page adds.
  const mint = await execute(operation('My account', 'postAccountTokens'))
  await mint.locator('textarea.body-param__text').fill('{"name": "from the docs"}')
  await mint.getByRole('button', { name: 'Execute' }).click()
  assert.equal(await liveStatus(mint), '201')
  const tokens = (await api('GET', '/api/account/tokens')).body.tokens
  assert.deepEqual(tokens.map((t) => t.name), ['from the docs'])

  await page.emulateMedia({ colorScheme: 'dark' })
  await openDocs('Signed in as OpenProject Admin')
  assert.equal(await page.evaluate(() => document.documentElement.classList.contains('dark-mode')), true)
  await page.screenshot({ path: join(artifacts, 'docs-admin-dark.png'), fullPage: false })
  await me.locator('.opblock-summary-control').click()
  await me.getByRole('button', { name: 'Try it out' }).click()
  await me.getByRole('button', { name: 'Execute' }).click()
  assert.equal(await liveStatus(me), '200')
  await me.screenshot({ path: join(artifacts, 'docs-try-it-dark.png') })
  await page.emulateMedia({ colorScheme: 'light' })
})

test('a user who is not an administrator does not see the administration API', async () => {
  const made = spawnSync(process.env.HOOKPOST_BIN, ['user', 'create', '--db', hp.db, '--login', 'bob', '--password-stdin'],
    { input: 'bob-password-1234\n', encoding: 'utf8' })
  assert.equal(made.status, 0, made.stderr)
  await api('POST', '/api/auth/logout')
  await signIn('bob', 'bob-password-1234')
  await openDocs('Signed in as')
  await page.locator(schemaTitles).first().waitFor()

  const { tags, paths, schemas } = await shown()
  assert.ok(tags.includes('Users') && tags.includes('Work packages'), tags.join())
  assert.ok(!tags.includes('Administration') && !tags.includes('Webhooks'), tags.join())
  assert.deepEqual(paths.filter((p) => p.startsWith('/api/admin')), [])
  assert.ok(paths.includes('/api/v3/users/me'))
  assert.ok(schemas.includes('User') && schemas.includes('WorkPackage'))
  assert.ok(!schemas.some((s) => /^(Webhook|Settings|Delivery)/.test(s)), schemas.join())
  assert.equal(await tagSection('Administration').count(), 0)

  const me = await execute(operation('Users', 'getV3UsersMe'))
  await me.getByRole('button', { name: 'Execute' }).click()
  assert.equal(await liveStatus(me), '200')
  await page.evaluate(() => window.scrollTo(0, 0))
  await page.screenshot({ path: join(artifacts, 'docs-user-light.png'), fullPage: false })
})

test('anonymous visitors see the public API and try it with an API token typed in', async () => {
  const token = (await api('POST', '/api/account/tokens', { name: 'docs token' })).body.token
  assert.match(token, /^hp_/)
  await api('POST', '/api/auth/logout')
  await openDocs('Not signed in')
  const { tags } = await shown()
  assert.ok(!tags.includes('Administration') && !tags.includes('Webhooks'), tags.join())

  // Without credentials: 401 in the viewer, and no browser sign-in dialog.
  const me = await execute(operation('Users', 'getV3UsersMe'))
  await me.getByRole('button', { name: 'Execute' }).click()
  assert.equal(await liveStatus(me), '401')

  const authorize = async (scheme, fill) => {
    await page.locator('.auth-wrapper').getByRole('button', { name: 'Authorize' }).click()
    const form = page.locator('.auth-container').filter({ hasText: scheme })
    await fill(form)
    await form.getByRole('button', { name: 'Apply credentials' }).click()
    await form.getByRole('button', { name: 'Remove authorization' }).waitFor()
    return form
  }
  const answeredAs = async () => {
    await me.getByRole('button', { name: 'Execute' }).click()
    await me.locator('.live-responses-table tbody .response-col_status').filter({ hasText: '200' }).waitFor()
    const body = JSON.parse(await me.locator('.live-responses-table .response-col_description .microlight').first().textContent())
    await me.getByRole('button', { name: 'Clear' }).click()
    return body.login
  }

  // Bearer <token>.
  let form = await authorize('bearerAuth', (f) => f.locator('#auth-bearer-value').fill(token))
  await page.screenshot({ path: join(artifacts, 'docs-authorize-light.png'), fullPage: false })
  await form.getByRole('button', { name: 'Close' }).click()
  assert.equal(await answeredAs(), 'bob')

  // Basic apikey:<token>, once the bearer token is removed.
  form = await authorize('basicAuth', async (f) => {
    await page.locator('.auth-container').filter({ hasText: 'bearerAuth' }).getByRole('button', { name: 'Remove authorization' }).click()
    await f.locator('#auth-basic-username').fill('apikey')
    await f.locator('#auth-basic-password').fill(token)
  })
  await form.getByRole('button', { name: 'Close' }).click()
  assert.equal(await answeredAs(), 'bob')
})

test('the docs send no request anywhere but this origin, and answer 404 again once disabled', async () => {
  assert.ok(requests.some((u) => u.startsWith(hp.base + '/assets/docs-')), 'the docs bundle was loaded')
  assert.deepEqual(requests.filter((u) => !u.startsWith(hp.base + '/')), [])
  await signIn('admin', hp.password)
  assert.equal((await api('PATCH', '/api/admin/settings', { docsEnabled: false })).status, 200)
  assert.equal((await fetch(hp.base + '/api/docs')).status, 404)
})
