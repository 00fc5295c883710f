import { createHub } from '@notify/core'
import { type NodeRequest, sse } from '@notify/core/node'
import { type Listening, listen } from '@notify/test-utils'
import { afterEach, describe, expect, it } from 'vitest'
import { type NotifyClient, createClient } from '../src/index.js'
import { type ScriptedServer, closed, record, scriptedServer, waitFor } from './helpers.js'

type Events = { n: number }

let server: Listening | ScriptedServer | undefined
const clients: NotifyClient<Events>[] = []
afterEach(async () => {
  for (const client of clients.splice(0)) client.close()
  await server?.close()
  server = undefined
})

const open = (url: string, options: Parameters<typeof createClient<Events>>[1] = {}) => {
  const client = createClient<Events>(url, { retry: false, ...options })
  clients.push(client)
  return { client, seen: record(client) }
}

// The principal is the `x-user` header; no header is "no credentials".
const user = (req: NodeRequest) => {
  const id = req.headers['x-user']
  return typeof id === 'string' ? { id } : null
}

describe("the server's error body (a notify server answering through @notify/core)", () => {
  it('a dead token and a forbidden topic are both UNAUTHORIZED, told apart by serverCode and message', async () => {
    const hub = createHub<Events>()
    server = await listen(
      sse(hub, {
        topics: ['payroll'],
        authenticate: user,
        authorize: (principal) => principal.id === 'boss',
      }),
    )

    const anonymous = open(`${server.url}/events`)
    const forbidden = open(`${server.url}/events`, { headers: { 'x-user': 'ann' } })
    const allowed = open(`${server.url}/events`, { headers: { 'x-user': 'boss' } })
    await closed(anonymous.client)
    await closed(forbidden.client)
    await waitFor(() => allowed.client.status === 'open', 'the allowed client to open')

    const fields = (error: (typeof anonymous.seen.errors)[number] | undefined) => [
      error?.code,
      error?.status,
      error?.serverCode,
      error?.message,
      error?.retryable,
    ]
    expect(anonymous.seen.errors.map(fields)).toEqual([
      [
        'UNAUTHORIZED',
        401,
        'UNAUTHORIZED',
        'HTTP 401: authentication required: send valid credentials',
        false,
      ],
    ])
    expect(forbidden.seen.errors.map(fields)).toEqual([
      ['UNAUTHORIZED', 403, 'FORBIDDEN', 'HTTP 403: not allowed to subscribe to topic "payroll"', false],
    ])
    expect(allowed.seen.errors).toEqual([])
    await hub.close()
  })

  it('the per-user limit (429 TOO_MANY_CONNECTIONS) and the global one (503 SERVER_BUSY) are told apart', async () => {
    const perUser = createHub<Events>()
    const perUserServer = await listen(
      sse(perUser, {
        topics: ['t'],
        authenticate: user,
        maxConnectionsPerPrincipal: 1,
        retryAfterSeconds: 7,
      }),
    )
    const global = createHub<Events>()
    server = await listen(sse(global, { topics: ['t'], maxConnections: 1, retryAfterSeconds: 9 }))
    try {
      const first = open(`${perUserServer.url}/events`, { headers: { 'x-user': 'ann' } })
      await waitFor(() => first.client.status === 'open', 'the first stream of ann')
      const second = open(`${perUserServer.url}/events`, { headers: { 'x-user': 'ann' } })
      const other = open(`${perUserServer.url}/events`, { headers: { 'x-user': 'bob' } })
      await closed(second.client)
      await waitFor(() => other.client.status === 'open', "bob's stream (another user is not limited)")

      const filler = open(`${server.url}/events`)
      await waitFor(() => filler.client.status === 'open', 'the stream that fills the server')
      const busy = open(`${server.url}/events`)
      await closed(busy.client)

      const fields = (error: (typeof busy.seen.errors)[number] | undefined) => [
        error?.code,
        error?.status,
        error?.serverCode,
        error?.retryable,
        error?.retryAfterMs,
      ]
      expect(second.seen.errors.map(fields)).toEqual([
        ['HTTP_ERROR', 429, 'TOO_MANY_CONNECTIONS', true, 7000],
      ])
      expect(second.seen.errors[0]?.message).toBe(
        'HTTP 429: at most 1 open streams per user; close one or retry later',
      )
      expect(busy.seen.errors.map(fields)).toEqual([['HTTP_ERROR', 503, 'SERVER_BUSY', true, 9000]])
      expect(busy.seen.errors[0]?.message).toBe(
        'HTTP 503: the server is at its limit of 1 streams; retry later',
      )
    } finally {
      for (const client of clients.splice(0)) client.close()
      await perUserServer.close()
      await perUser.close()
      await global.close()
    }
  })
})

describe('error bodies that are not a notify error', () => {
  const cases: [name: string, headers: Record<string, string>, chunks: string[]][] = [
    ['plain text', { 'content-type': 'text/plain' }, ['nope']],
    ['HTML', { 'content-type': 'text/html' }, ['<h1>403 Forbidden</h1>']],
    ['JSON of another shape', { 'content-type': 'application/json' }, ['{"error":"forbidden"}']],
    [
      'JSON whose code is not a string',
      { 'content-type': 'application/json' },
      ['{"error":{"code":1,"message":"x"}}'],
    ],
    ['no body', {}, []],
  ]
  for (const [name, headers, chunks] of cases) {
    it(`${name}: the message stays "HTTP 403", no serverCode`, async () => {
      server = await scriptedServer([{ status: 403, headers, chunks }])
      const { client, seen } = open(`${server.url}/events`)
      await closed(client)
      expect(seen.errors.map((e) => [e.code, e.status, e.message, e.serverCode])).toEqual([
        ['UNAUTHORIZED', 403, 'HTTP 403', undefined],
      ])
    })
  }

  it('a notify error body split over several chunks is still read', async () => {
    const body = '{"error":{"code":"FORBIDDEN","message":"not allowed to subscribe to topic \\"payroll\\""}}'
    server = await scriptedServer([
      {
        status: 403,
        headers: { 'content-type': 'application/json' },
        chunks: [body.slice(0, 20), body.slice(20)],
      },
    ])
    const { client, seen } = open(`${server.url}/events`)
    await closed(client)
    expect(seen.errors.map((e) => [e.message, e.serverCode])).toEqual([
      ['HTTP 403: not allowed to subscribe to topic "payroll"', 'FORBIDDEN'],
    ])
  })

  it('a 200 of the wrong type keeps its own message', async () => {
    server = await scriptedServer([
      { status: 200, headers: { 'content-type': 'text/html' }, chunks: ['<p>hi</p>'] },
    ])
    const { client, seen } = open(`${server.url}/events`)
    await closed(client)
    expect(seen.errors.map((e) => [e.code, e.message, e.serverCode])).toEqual([
      ['BAD_CONTENT_TYPE', 'Content-Type text/html', undefined],
    ])
  })

  it('a body that never ends does not hang the client: it gives up on it after about 1 s', async () => {
    server = await scriptedServer([
      { status: 500, headers: { 'content-type': 'application/json' }, chunks: ['{"error":'], end: 'hold' },
    ])
    const started = Date.now()
    // No heartbeat timeout to rescue it: only the body's own time bound can end the wait.
    const { client, seen } = open(`${server.url}/events`, { heartbeatTimeoutMs: Infinity })
    await closed(client, 'the client to give up on the body', 10_000)
    expect(Date.now() - started).toBeGreaterThanOrEqual(900)
    expect(seen.errors.map((e) => [e.code, e.status, e.message])).toEqual([['HTTP_ERROR', 500, 'HTTP 500']])
  })

  it('only about 4 KiB of a body is read: a long error body is cut, so it is not parsed', async () => {
    // A valid notify error body of 300 KB, in 1 KB writes: more than any single read can return.
    const body = JSON.stringify({ error: { code: 'SERVER_BUSY', message: 'x'.repeat(300_000) } })
    const chunks: string[] = []
    for (let at = 0; at < body.length; at += 1000) chunks.push(body.slice(at, at + 1000))
    server = await scriptedServer([
      { status: 503, headers: { 'content-type': 'application/json' }, chunks, gapMs: 1 },
    ])
    const { client, seen } = open(`${server.url}/events`, { heartbeatTimeoutMs: Infinity })
    await closed(client)
    expect(seen.errors.map((e) => [e.status, e.message, e.serverCode])).toEqual([
      [503, 'HTTP 503', undefined],
    ])
  })
})

describe('a URL that cannot be resolved', () => {
  it('a relative URL in Node closes at once with INVALID_URL: one attempt, no retry', async () => {
    // Retries left at the default (Infinity): before the fix this reconnected forever as NETWORK_ERROR.
    const client = createClient<Events>('/events', { initialDelayMs: 1, maxDelayMs: 5 })
    clients.push(client)
    const seen = record(client)
    await closed(client)
    // Had it been retried, more errors would arrive within the backoff of at most 5 ms.
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(seen.errors.map((e) => [e.code, e.retryable, e.attempt, e.status])).toEqual([
      ['INVALID_URL', false, 1, undefined],
    ])
    expect(seen.errors[0]?.message).toContain('/events')
    expect(seen.errors[0]?.cause).toBeInstanceOf(TypeError)
    expect(seen.statuses).toEqual(['connecting', 'closed'])
  })

  it('a malformed absolute URL is INVALID_URL too', async () => {
    const client = createClient<Events>('http://[::1/events', { initialDelayMs: 1 })
    clients.push(client)
    const seen = record(client)
    await closed(client)
    expect(seen.errors.map((e) => e.code)).toEqual(['INVALID_URL'])
  })

  it('the same relative URL works with a fetch that resolves it, and an absolute URL works as is', async () => {
    server = await scriptedServer([
      { chunks: ['data: 1\n\n'], end: 'hold' },
      { chunks: ['data: 2\n\n'], end: 'hold' },
    ])
    const base = server.url
    const relative = open('/events', { fetch: (url, init) => fetch(new URL(url, base), init) })
    const absolute = open(`${base}/events`)
    await waitFor(() => relative.seen.events.length === 1 && absolute.seen.events.length === 1, 'both events')
    expect(relative.seen.errors).toEqual([])
    expect(absolute.seen.errors).toEqual([])
  })

  it('a custom fetch that cannot resolve it fails as a retryable NETWORK_ERROR (the fetch owns resolution)', async () => {
    const { client, seen } = open('/events', { fetch: (url, init) => fetch(url, init) })
    await closed(client)
    expect(seen.errors.map((e) => [e.code, e.retryable])).toEqual([['NETWORK_ERROR', true]])
  })
})
