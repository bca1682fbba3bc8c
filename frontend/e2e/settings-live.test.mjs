// The API settings page follows changes made elsewhere without a reload, and
// never overwrites unsaved edits: two signed-in browsers (two profiles, so
// two sessions) against a real `hookpost serve`.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { artifacts, launchBrowser, startHookpost } from './harness.mjs'

let hp, ctxA, ctxB, a, b

async function signIn(page) {
  await page.setViewportSize({ width: 1024, height: 700 })
  await page.goto(hp.base + '/')
  await page.getByLabel('Username').fill('admin')
  await page.getByLabel('Password').fill(hp.password)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByRole('heading', { name: 'API', exact: true }).waitFor()
  await page.getByLabel('Maximum API page size').waitFor()
}

async function shots(page, name) {
  for (const scheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme: scheme })
    await page.screenshot({ path: join(artifacts, `settings-${name}-${scheme}.png`), fullPage: true })
  }
  await page.emulateMedia({ colorScheme: 'light' })
}

before(async () => {
  hp = await startHookpost()
  ctxA = await launchBrowser()
  ctxB = await launchBrowser()
  a = ctxA.pages()[0] ?? (await ctxA.newPage())
  b = ctxB.pages()[0] ?? (await ctxB.newPage())
  a.setDefaultTimeout(10_000)
  b.setDefaultTimeout(10_000)
  await signIn(a)
  await signIn(b)
  await b.evaluate(() => (window.__notReloaded = true))
})

after(async () => {
  await ctxA?.close()
  await ctxB?.close()
  await hp?.stop()
})

test('a change saved in one browser shows in the other without a reload', async () => {
  assert.notEqual(await b.getByLabel('Maximum API page size').inputValue(), '42')
  await a.getByLabel('Maximum API page size').fill('42')
  await a.getByLabel('Enable CORS').check()
  await a.getByLabel('Allowed origins').fill('https://one.example.com')
  await a.getByRole('button', { name: 'Save' }).click()
  await a.getByRole('status').filter({ hasText: 'Successful update.' }).waitFor()

  await b.getByLabel('Allowed origins').waitFor()
  assert.equal(await b.getByLabel('Maximum API page size').inputValue(), '42')
  assert.equal(await b.getByLabel('Enable CORS').isChecked(), true)
  assert.equal(await b.getByLabel('Allowed origins').inputValue(), 'https://one.example.com')
  assert.equal(await b.getByText('Settings were changed elsewhere').count(), 0, 'no notice without edits')
  assert.equal(await b.evaluate(() => window.__notReloaded), true, 'the page was not reloaded')
  // The saving page shows no notice for its own change.
  assert.equal(await a.getByText('Settings were changed elsewhere').count(), 0)
})

test('unsaved edits are kept: a notice offers to reload the other change', async () => {
  await b.getByLabel('Maximum API page size').fill('77')
  await a.getByLabel('Enable docs page').check()
  await a.getByRole('button', { name: 'Save' }).click()
  await a.getByRole('status').filter({ hasText: 'Successful update.' }).waitFor()

  const notice = b.getByRole('alert').filter({ hasText: 'Settings were changed elsewhere' })
  await notice.waitFor()
  assert.equal(await b.getByLabel('Maximum API page size').inputValue(), '77', 'the edit was not overwritten')
  assert.equal(await b.getByLabel('Enable docs page').isChecked(), false)
  await shots(b, 'changed-elsewhere')
  await notice.getByRole('button', { name: 'Reload settings' }).click()
  assert.equal(await notice.count(), 0)
  assert.equal(await b.getByLabel('Maximum API page size').inputValue(), '42')
  assert.equal(await b.getByLabel('Enable docs page').isChecked(), true)
  assert.equal(await b.evaluate(() => window.__notReloaded), true)

  // After reloading, later changes show again directly.
  await a.getByLabel('Maximum API page size').fill('43')
  await a.getByRole('button', { name: 'Save' }).click()
  await a.getByRole('status').filter({ hasText: 'Successful update.' }).waitFor()
  await b.waitForFunction(() => document.querySelector('#maxPageSize')?.value === '43')
})
