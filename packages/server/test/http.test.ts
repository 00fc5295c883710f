import type { Backplane, BackplaneStatus } from '@notify/core'
import { memoryReplayStore } from '@notify/core'
import { openStream } from '@notify/test-utils'
import { afterEach, describe, expect, it } from 'vitest'
import * as api from '../src/index.js'
import { errorOf, type Started, start } from './helpers.js'

let server: Started
afterEach(async () => {
  await server?.close()
})

describe('GET /health and GET /ready', () => {
  it('health is 200 with the state in the body; ready is 200 once the log is open', async () => {
    server = await start()
    const health = await fetch(`${server.url}/health`)
    expect(health.status).toBe(200)
    expect(await health.json()).toMatchObject({ status: 'ok', connections: 0, backplane: 'none' })
    await server.notify.hub.ready()
    const ready = await fetch(`${server.url}/ready`)
    expect(ready.status).toBe(200)
    expect(await ready.json()).toEqual({ ready: true })
  })

  it('ready is 503 and health says degraded while the backplane is down', async () => {
    // A minimal backplane over the in-memory store whose status the test flips (stands in for Redis).
    const store = memoryReplayStore()
    let status: BackplaneStatus = 'up'
    const listeners = new Set<(s: BackplaneStatus) => void>()
    const backplane: Backplane = {
      store,
      subscribe: () => async () => {},
      status: () => status,
      onStatus(listener) {
        listeners.add(listener)
        return () => listeners.delete(listener)
      },
      close: async () => {},
    }
    server = await start({ backplane })
    await server.notify.hub.ready()
    expect((await fetch(`${server.url}/ready`)).status).toBe(200)
    status = 'down'
    const ready = await fetch(`${server.url}/ready`)
    expect(ready.status).toBe(503)
    expect(ready.headers.get('retry-after')).toBe('5')
    expect(await ready.json()).toEqual({ ready: false, reason: 'backplane down' })
    const health = await fetch(`${server.url}/health`)
    expect(health.status).toBe(200)
    expect(await health.json()).toMatchObject({ status: 'degraded', backplane: 'down' })
    const metrics = await (await fetch(`${server.url}/metrics`)).text()
    expect(metrics).toContain('notify_backplane_up 0')
  })
})

describe('GET /metrics', () => {
  it('exports connections, publishes, deliveries, replay and latency in Prometheus text format', async () => {
    server = await start()
    const token = await server.token('alice')
    const stream = await openStream(`${server.url}/events`, { headers: { authorization: `Bearer ${token}` } })
    await stream.until((s) => s.ids.length > 0)
    const response = await server.publish({ topic: 'user:alice', event: 'e', data: 1 })
    const [id] = ((await response.json()) as { ids: string[] }).ids
    await stream.until((s) => s.events.length === 1)
    await server.publish({ topic: 'user:alice', event: 'e', data: 2 })
    await stream.until((s) => s.events.length === 2)
    const resumed = await openStream(`${server.url}/events`, {
      headers: { authorization: `Bearer ${token}`, 'last-event-id': id! },
    })
    await resumed.until((s) => s.events.length === 1)
    const reset = await openStream(`${server.url}/events`, {
      headers: { authorization: `Bearer ${token}`, 'last-event-id': 'nope' },
    })
    await reset.until((s) => s.events.length === 1)
    const scrape = await fetch(`${server.url}/metrics`)
    expect(scrape.headers.get('content-type')).toContain('text/plain')
    const text = await scrape.text()
    expect(text).toContain('notify_connections_open 3')
    expect(text).toContain('notify_connections_total{outcome="accepted"} 3')
    expect(text).toContain('notify_events_published_total 2')
    expect(text).toContain('notify_deliveries_total 2')
    expect(text).toContain('notify_replay_events_total 1')
    expect(text).toContain('notify_replay_resets_total 1')
    expect(text).toContain('notify_publish_requests_total{status="202"} 2')
    expect(text).toContain('notify_publish_duration_seconds_count 2')
    expect(text).toContain('notify_slow_consumer_disconnects_total 0')
    expect(text).toContain('process_resident_memory_bytes')
    for (const s of [stream, resumed, reset]) s.close()
    await new Promise((resolve) => setTimeout(resolve, 50))
    const after = await (await fetch(`${server.url}/metrics`)).text()
    expect(after).toMatch(/notify_disconnects_total\{reason="client"\} [123]/)
    // Counters mirrored from hub stats do not double count across scrapes.
    expect(after).toContain('notify_events_published_total 2')
  })
})

describe('CORS', () => {
  it('answers a preflight from a listed origin with credentials, Authorization and Last-Event-ID', async () => {
    server = await start({ corsOrigins: ['https://app.example'] })
    const response = await fetch(`${server.url}/events`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example',
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'authorization, last-event-id',
      },
    })
    expect(response.status).toBe(204)
    expect(response.headers.get('access-control-allow-origin')).toBe('https://app.example')
    expect(response.headers.get('access-control-allow-credentials')).toBe('true')
    const allowed = response.headers.get('access-control-allow-headers')!.toLowerCase()
    expect(allowed).toContain('authorization')
    expect(allowed).toContain('last-event-id')
    expect(allowed).toContain('content-type')
    expect(response.headers.get('access-control-allow-methods')).toContain('POST')
    expect(response.headers.get('vary')).toBe('Origin')
  })

  it('gives no CORS headers to an origin that is not listed', async () => {
    server = await start({ corsOrigins: ['https://app.example'] })
    const response = await fetch(`${server.url}/publish`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    })
    expect(response.headers.get('access-control-allow-origin')).toBeNull()
    expect(response.headers.get('access-control-allow-credentials')).toBeNull()
  })

  it('adds CORS headers to actual responses for a listed origin, and * allows any origin without credentials', async () => {
    server = await start({ corsOrigins: ['https://app.example'] })
    const listed = await fetch(`${server.url}/health`, { headers: { origin: 'https://app.example' } })
    expect(listed.headers.get('access-control-allow-origin')).toBe('https://app.example')
    expect(listed.headers.get('access-control-expose-headers')).toContain('Retry-After')
    await server.close()
    server = await start({ corsOrigins: ['*'] })
    const any = await fetch(`${server.url}/health`, { headers: { origin: 'https://other.example' } })
    expect(any.headers.get('access-control-allow-origin')).toBe('*')
    expect(any.headers.get('access-control-allow-credentials')).toBeNull()
  })
})

describe('routing and request ids', () => {
  it('answers 404 and 405 as JSON errors', async () => {
    server = await start()
    const missing = await fetch(`${server.url}/nope`)
    expect(missing.status).toBe(404)
    expect((await errorOf(missing)).code).toBe('NOT_FOUND')
    const wrong = await fetch(`${server.url}/publish`)
    expect(wrong.status).toBe(405)
    expect(wrong.headers.get('allow')).toBe('POST')
    expect((await errorOf(wrong)).code).toBe('METHOD_NOT_ALLOWED')
    expect((await fetch(`${server.url}/events`, { method: 'POST' })).status).toBe(405)
  })

  it('echoes a well-formed X-Request-Id and generates one otherwise', async () => {
    server = await start()
    const given = await fetch(`${server.url}/health`, { headers: { 'x-request-id': 'abc-123' } })
    expect(given.headers.get('x-request-id')).toBe('abc-123')
    const bad = await fetch(`${server.url}/health`, { headers: { 'x-request-id': 'bad id\twith spaces' } })
    expect(bad.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
  })
})

describe('dev mode and the demo page', () => {
  it('GET /dev/token hands out a working demo token in dev mode only', async () => {
    server = await start({ dev: true, jwt: undefined })
    const response = await fetch(`${server.url}/dev/token?sub=carol`)
    expect(response.status).toBe(200)
    const body = (await response.json()) as { token: string; sub: string; publish: string[] }
    expect(body.sub).toBe('carol')
    expect(body.publish).toContain('user:carol')
    const stream = await openStream(`${server.url}/events?topic=demo`, {
      headers: { authorization: `Bearer ${body.token}` },
    })
    expect(stream.status).toBe(200)
    stream.close()
    expect((await fetch(`${server.url}/dev/token?sub=${encodeURIComponent('a b')}`)).status).toBe(400)
    await server.close()
    server = await start()
    expect((await fetch(`${server.url}/dev/token`)).status).toBe(404)
  })

  it('dev mode without a key generates a secret; outside dev mode a key is required', () => {
    expect(() => api.createServer({ logLevel: 'silent' })).toThrow(/no JWT key/)
    expect(() => api.createServer({ logLevel: 'silent', jwt: { secret: 'short' } })).toThrow(/at least 32/)
  })

  it('serves the demo page with a strict CSP, and not with demo: false', async () => {
    server = await start()
    const page = await fetch(`${server.url}/`)
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'")
    expect(await page.text()).toContain('/demo/main.js')
    const script = await fetch(`${server.url}/demo/main.js`)
    expect(script.status).toBe(200)
    expect((await script.text()).length).toBeGreaterThan(1000)
    await server.close()
    server = await start({ demo: false })
    expect((await fetch(`${server.url}/`)).status).toBe(404)
  })
})

describe('public API', () => {
  it('exports exactly these names', () => {
    expect(Object.keys(api).sort()).toMatchInlineSnapshot(`
      [
        "AuthError",
        "HttpError",
        "MAX_BATCH",
        "MAX_JSON_DEPTH",
        "MIN_SECRET_LENGTH",
        "SERVER_ERROR_STATUS",
        "TOKEN_COOKIE",
        "createServer",
        "createVerifier",
        "helpText",
        "matchesTopic",
        "mintToken",
        "parseConfig",
      ]
    `)
  })
})
