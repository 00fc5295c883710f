import { readFileSync } from 'node:fs'
import type { Socket } from 'node:net'
import { createHub } from '@notify/core'
import { sse } from '@notify/core/node'
import { type Listening, launchChromium, listen, requireBinary } from '@notify/test-utils'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// A real browser: headless Chromium loads a page that imports the built ESM bundle (dist/index.js,
// eventsource-parser inlined) from this test's own server, and streams from a live @notify/core hub
// on the same origin. The server then destroys the stream; the page must resume with Last-Event-ID.

const chromium = requireBinary('chromium', 'apt-get install -y chromium')

type Events = { 'order.updated': { id: string; status: string } }

const PAGE = `<!doctype html><meta charset="utf-8"><title>notify client</title>
<script type="module">
  import { createClient } from '/client.js'
  window.received = []
  window.statuses = []
  window.errors = []
  const client = createClient('/events?from=browser', { topics: ['orders'] })
  client.on('order.updated', (order, meta) => window.received.push([order.id, order.status, meta.id]))
  client.onStatus((status) => window.statuses.push(status))
  client.onError((error) => window.errors.push([error.code, error.retryable]))
  window.client = client
</script>`

describe.skipIf(chromium === undefined)('in headless Chromium', () => {
  const hub = createHub<Events>({ retryMs: 50 })
  const events = sse(hub, {
    topics: (req) => new URL(req.url ?? '/', 'http://x').searchParams.getAll('topic'),
  })
  const streams = new Set<Socket>()
  const lastEventIds: (string | undefined)[] = []
  let server: Listening
  let browser: Browser
  let page: Page

  beforeAll(async () => {
    const bundle = readFileSync(new URL('../dist/index.js', import.meta.url), 'utf8')
    server = await listen((req, res) => {
      if (req.url === '/') res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE)
      else if (req.url === '/client.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle)
      else if (req.url?.startsWith('/events')) {
        lastEventIds.push(req.headers['last-event-id'] as string | undefined)
        streams.add(req.socket)
        req.socket.once('close', () => streams.delete(req.socket))
        events(req, res)
      } else res.writeHead(404).end()
    })
    browser = await launchChromium(chromium)
    page = await browser.newPage()
    const pageErrors: Error[] = []
    page.on('pageerror', (error) => pageErrors.push(error))
    await page.goto(server.url)
    await page.waitForFunction(() => (window as unknown as { statuses: string[] }).statuses.includes('open'))
    expect(pageErrors).toEqual([])
  })

  afterAll(async () => {
    await browser?.close()
    await hub.close()
    await server?.close()
  })

  const received = () => page.evaluate(() => (window as unknown as { received: string[][] }).received)
  const count = (n: number) =>
    page.waitForFunction((n) => (window as unknown as { received: unknown[] }).received.length >= n, n, {
      timeout: 20_000,
    })

  it('receives typed events, survives a server-side disconnect and resumes with Last-Event-ID', async () => {
    const ids: string[] = []
    for (let i = 1; i <= 5; i++)
      ids.push((await hub.publish('orders', 'order.updated', { id: `${i}`, status: 'paid' })).id)
    await count(5)
    expect(await received()).toEqual(ids.map((id, i) => [`${i + 1}`, 'paid', id]))

    // Forced disconnect, then events published while the browser is away.
    for (const socket of streams) socket.destroy()
    for (let i = 6; i <= 10; i++)
      ids.push((await hub.publish('orders', 'order.updated', { id: `${i}`, status: 'sent' })).id)
    await count(10)
    expect(await received()).toEqual(ids.map((id, i) => [`${i + 1}`, i < 5 ? 'paid' : 'sent', id]))
    expect(lastEventIds.length).toBeGreaterThanOrEqual(2)
    expect(lastEventIds[0]).toBeUndefined()
    expect(lastEventIds[1]).toBe(ids[4])
    const state = await page.evaluate(() => {
      const w = window as unknown as {
        statuses: string[]
        errors: unknown[]
        client: { lastEventId: string }
      }
      return { statuses: w.statuses, errors: w.errors, lastEventId: w.client.lastEventId }
    })
    expect(state.statuses).toEqual(['open', 'reconnecting', 'open'])
    expect(state.errors).toEqual([['NETWORK_ERROR', true]])
    expect(state.lastEventId).toBe(ids[9])
  })
})
