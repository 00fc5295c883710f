import { existsSync, mkdirSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { launchChromium, requireBinary } from '@notify/test-utils'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Started, start } from './helpers.js'

const chromium = requireBinary('chromium', 'apt-get install -y chromium')
const README_SCREENSHOT = fileURLToPath(new URL('../../../docs/images/demo.png', import.meta.url))
// docs/images/demo.png is written when missing or with NOTIFY_UPDATE_SCREENSHOT=1, so ordinary
// runs do not rewrite a committed image; otherwise the shot goes to the temp directory.
const SCREENSHOT =
  process.env.NOTIFY_UPDATE_SCREENSHOT === '1' || !existsSync(README_SCREENSHOT)
    ? README_SCREENSHOT
    : join(tmpdir(), 'notify-demo.png')

describe.skipIf(chromium === undefined)('demo page in headless Chromium', () => {
  let browser: Browser
  let server: Started
  let page: Page
  let publisher: string
  // Console errors and failed requests of the main page; a clean page load has none.
  const consoleErrors: string[] = []
  const failedRequests: string[] = []

  beforeAll(async () => {
    server = await start({ dev: true, jwt: undefined, retryMs: 1000 })
    publisher = await server.notify.dev!.token('backend', { publish: ['*'] })
    browser = await launchChromium()
    page = await browser.newPage({ viewport: { width: 1120, height: 760 }, deviceScaleFactor: 1 })
    page.on('pageerror', (error) => {
      console.error('[page error]', error)
      consoleErrors.push(`page error: ${error.message}`)
    })
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(`${message.text()} (${message.location().url})`)
    })
    page.on('response', (response) => {
      if (response.status() >= 400) failedRequests.push(`${response.status()} ${response.url()}`)
    })
  })

  afterAll(async () => {
    await browser?.close()
    await server?.close()
  })

  const publish = async (topic: string, title: string, body: string) => {
    const response = await server.publish(
      { topic, event: 'notification', data: { title, body } },
      { token: publisher },
    )
    expect(response.status).toBe(202)
  }
  const items = () => page.locator('#list li')

  it('connects with a dev token and shows the status badge', async () => {
    await page.goto(`${server.url}/?sub=tester`)
    await page.locator('#status[data-status="open"]').waitFor({ timeout: 15_000 })
    expect(await page.locator('#status').textContent()).toBe('Live')
    expect(await page.locator('#me').textContent()).toBe('tester')
    expect(await page.locator('#empty').isVisible()).toBe(true)
  })

  it('loads without console errors or failed requests (no /favicon.ico 404)', async () => {
    // Everything the page loads has been requested by the time it is live, except a favicon,
    // which Chromium asks for after the load event: there is no request to wait for when it is
    // right, so give a wrong one a bounded moment to show up.
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 300))))
    expect(consoleErrors).toEqual([])
    expect(failedRequests).toEqual([])
    const icon = await page.evaluate(() => document.querySelector('link[rel="icon"]')?.getAttribute('href'))
    expect(icon).toBe('data:,')
  })

  it('shows a notification published through the API', async () => {
    await publish('user:tester', 'Order #1042 shipped', 'It is on its way: arriving Thursday.')
    await expect.poll(() => items().count(), { timeout: 10_000 }).toBe(1)
    expect(await items().first().textContent()).toContain('Order #1042 shipped')
    expect(await page.locator('#count').textContent()).toBe('1')
  })

  it('publishes from the form to yourself, to a topic and to everyone', async () => {
    await page.fill('#title', 'Hello from the form')
    await page.fill('#body', 'Sent to myself.')
    await page.click('#publish button[type="submit"]')
    await expect.poll(() => items().count(), { timeout: 10_000 }).toBe(2)
    expect(await page.locator('#publish-result').textContent()).toMatch(/^Published to user:tester as /)
    await page.check('input[name="to"][value="topic"]')
    await page.fill('#title', 'Deploy finished')
    await page.fill('#body', 'Posted to the demo topic.')
    await page.click('#publish button[type="submit"]')
    await expect.poll(() => items().count(), { timeout: 10_000 }).toBe(3)
    await page.check('input[name="to"][value="everyone"]')
    await page.fill('#title', 'Maintenance at 22:00')
    await page.fill('#body', 'Broadcast to everyone connected.')
    await page.click('#publish button[type="submit"]')
    await expect.poll(() => items().count(), { timeout: 10_000 }).toBe(4)
    expect(consoleErrors).toEqual([])
    // A topic the token may not publish to: the form says why, nothing arrives (the browser logs the 403).
    await page.check('input[name="to"][value="topic"]')
    await page.fill('#topic', 'payroll')
    await page.click('#publish button[type="submit"]')
    await expect.poll(() => page.locator('#publish-result').textContent()).toContain('not allowed to publish')
    expect(await items().count()).toBe(4)
  })

  it('resumes after a server-side drop with the missed events, once each', async () => {
    // Hold reconnects back until the missed events are published, so they can only arrive by replay.
    await page.route('**/events**', (route) => route.abort())
    server.notify.server.closeAllConnections()
    await page.locator('#status[data-status="reconnecting"]').waitFor({ timeout: 10_000 })
    expect(await page.locator('#status').textContent()).toBe('Reconnecting…')
    await publish('user:tester', 'Payment received', '€49.00 from ACME Corp.')
    await publish('broadcast', 'New feature', 'Dark mode is here.')
    await publish('user:tester', 'Comment on your post', '“Great write-up!”')
    await publish('user:someone-else', 'Not for tester', 'must never show up')
    await page.unroute('**/events**')
    await page.locator('#status[data-status="open"]').waitFor({ timeout: 30_000 })
    await expect
      .poll(() => page.locator('#resume').textContent(), { timeout: 10_000 })
      .toBe('Resumed, 3 missed events delivered')
    await expect.poll(() => items().count()).toBe(7)
    const ids = await items().evaluateAll((list) => list.map((li) => (li as HTMLElement).dataset.id))
    expect(new Set(ids).size).toBe(7)
    const titles = await page.locator('#list li .title').allTextContents()
    expect(titles.slice(0, 3).map((t) => t.replace(/notification.*$/, ''))).toEqual([
      'Comment on your post',
      'New feature',
      'Payment received',
    ])
    expect(titles.join('\n')).not.toContain('Not for tester')
    expect(await page.locator('#list li.missed').count()).toBe(3)
    // Live delivery continues after the resume.
    await publish('user:tester', 'Back live', 'Delivered as it happened.')
    await expect.poll(() => items().count(), { timeout: 10_000 }).toBe(8)
    expect(await page.locator('#list li.missed').count()).toBe(3)
  })

  it('outside dev mode there is no demo token: the page asks for one, then connects with it', async () => {
    const production = await start()
    try {
      const other = await browser.newPage()
      await other.goto(`${production.url}/`)
      await other.locator('#login').waitFor({ state: 'visible', timeout: 10_000 })
      expect(await other.locator('#app').isHidden()).toBe(true)
      await other.fill('#token-input', await production.token('pasted', { subscribe: ['demo'] }))
      await other.click('#login button[type="submit"]')
      await other.locator('#status[data-status="open"]').waitFor({ timeout: 15_000 })
      expect(await other.locator('#me').textContent()).toBe('pasted')
      await production.publish({
        topic: 'user:pasted',
        event: 'notification',
        data: { title: 'Hi', body: 'there' },
      })
      await expect.poll(() => other.locator('#list li').count(), { timeout: 10_000 }).toBe(1)
      await other.close()
    } finally {
      await production.close()
    }
  })

  it('saves a screenshot for the README', async () => {
    mkdirSync(dirname(SCREENSHOT), { recursive: true })
    // The form as a newcomer first sees it, and no arrival highlight caught mid-animation.
    await page.check('input[name="to"][value="me"]')
    await page.fill('#topic', 'demo')
    await page.fill('#title', 'Hello')
    await page.fill('#body', 'Your order has shipped.')
    await page.evaluate(() => {
      document.getElementById('publish-result')!.textContent = ''
      if (document.activeElement instanceof HTMLElement) document.activeElement.blur()
    })
    await page.waitForTimeout(800)
    await page.screenshot({ path: SCREENSHOT, fullPage: true })
    expect(statSync(SCREENSHOT).size).toBeGreaterThan(10_000)
  })
})
