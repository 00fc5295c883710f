import { afterEach, describe, expect, it } from 'vitest'
import {
  type ClientEvent,
  type KeyValueStorage,
  type NetworkSource,
  type NotifyClient,
  type ResetInfo,
  type StandardSchemaV1,
  browserNetwork,
  browserSessionStorage,
  browserVisibility,
  createClient,
  isNotifyClientError,
  NotifyClientError,
} from '../src/index.js'
import { type ScriptedServer, closed, record, scriptedServer, waitFor } from './helpers.js'

type Events = { 'order.updated': { id: string; status: string }; error: { message: string }; status: string }

let server: ScriptedServer | undefined
let client: NotifyClient<Events> | NotifyClient<{ n: number; s: string }> | NotifyClient | undefined
afterEach(async () => {
  client?.close()
  client = undefined
  await server?.close()
  server = undefined
})

const fast = { initialDelayMs: 1, maxDelayMs: 5 }

describe('exports', () => {
  it('exposes exactly these names', async () => {
    expect(Object.keys(await import('../src/index.js')).sort()).toMatchInlineSnapshot(`
      [
        "NotifyClientError",
        "RESET_EVENT",
        "backoffDelay",
        "browserNetwork",
        "browserSessionStorage",
        "browserVisibility",
        "createClient",
        "isNotifyClientError",
        "parseRetryAfter",
      ]
    `)
  })

  it('touches no DOM global in Node: the browser sources are absent', () => {
    expect('window' in globalThis).toBe(false)
    expect(browserNetwork()).toBeUndefined()
    expect(browserVisibility()).toBeUndefined()
    expect(browserSessionStorage()).toBeUndefined()
  })

  it('isNotifyClientError recognises the class and copies of it by name', () => {
    const error = new NotifyClientError('HTTP_ERROR', 'HTTP 500', { status: 500, retryable: true })
    expect(isNotifyClientError(error)).toBe(true)
    expect(isNotifyClientError(Object.assign(new Error('x'), { name: 'NotifyClientError' }))).toBe(true)
    expect(isNotifyClientError(new Error('x'))).toBe(false)
    expect(isNotifyClientError({ name: 'NotifyClientError' })).toBe(false)
    expect([error.code, error.status, error.retryable, error.attempt, error.name]).toEqual([
      'HTTP_ERROR',
      500,
      true,
      0,
      'NotifyClientError',
    ])
    expect(new NotifyClientError('STREAM_ENDED', 'x').retryable).toBe(true)
    expect(new NotifyClientError('NO_CONTENT', 'x').retryable).toBe(false)
  })
})

describe('request', () => {
  it('calls the headers function before every connect, appends query and topics, sends Last-Event-ID', async () => {
    server = await scriptedServer([{ chunks: ['id: 1\ndata: 1\n\n'] }, { chunks: ['id: 2\ndata: 2\n\n'] }])
    let token = 0
    client = createClient(`${server.url}/events?v=1`, {
      ...fast,
      headers: async () => ({ authorization: `Bearer t${++token}` }),
      query: { a: 'x y', n: 3, flag: true, many: ['p', 'q'] },
      topics: ['orders', 'user:42'],
    })
    await closed(client)
    expect(server.requests.map((r) => [r.url, r.headers.authorization, r.headers['last-event-id']])).toEqual([
      ['/events?v=1&a=x+y&n=3&flag=true&many=p&many=q&topic=orders&topic=user%3A42', 'Bearer t1', undefined],
      ['/events?v=1&a=x+y&n=3&flag=true&many=p&many=q&topic=orders&topic=user%3A42', 'Bearer t2', '1'],
      ['/events?v=1&a=x+y&n=3&flag=true&many=p&many=q&topic=orders&topic=user%3A42', 'Bearer t3', '2'],
    ])
  })

  it('seeds the first Last-Event-ID from the lastEventId option', async () => {
    server = await scriptedServer([])
    client = createClient(`${server.url}/events`, { lastEventId: '17-4' })
    expect(client.lastEventId).toBe('17-4')
    await closed(client)
    expect(server.requests[0]?.headers['last-event-id']).toBe('17-4')
  })

  it('passes credentials and no-store cache mode to the injected fetch', async () => {
    const inits: RequestInit[] = []
    client = createClient('http://127.0.0.1:9/events', {
      credentials: 'include',
      fetch: async (_url, init) => {
        inits.push(init)
        return new Response(null, { status: 204 })
      },
    })
    await closed(client)
    expect([inits[0]?.credentials, inits[0]?.cache]).toEqual(['include', 'no-store'])
  })

  it('a network error (connection refused) is retryable and carries the attempt', async () => {
    client = createClient('http://127.0.0.1:9/events', { ...fast, maxRetries: 2 })
    const seen = record(client)
    await closed(client)
    expect(seen.errors.map((e) => [e.code, e.retryable, e.attempt])).toEqual([
      ['NETWORK_ERROR', true, 1],
      ['NETWORK_ERROR', true, 2],
      ['NETWORK_ERROR', true, 3],
      ['RETRIES_EXHAUSTED', false, 3],
    ])
  })
})

describe('onUnauthorized', () => {
  it('may return fresh headers: one immediate retry with them', async () => {
    server = await scriptedServer([{ status: 401 }, { chunks: ['data: "ok"\n\n'] }])
    const calls: NotifyClientError[] = []
    client = createClient(`${server.url}/events`, {
      ...fast,
      headers: { authorization: 'Bearer old' },
      onUnauthorized: (error) => {
        calls.push(error)
        return { authorization: 'Bearer new' }
      },
    })
    const seen = record(client)
    await closed(client)
    expect(calls.map((e) => [e.code, e.status, e.attempt])).toEqual([['UNAUTHORIZED', 401, 1]])
    expect(server.requests.map((r) => r.headers.authorization)).toEqual([
      'Bearer old',
      'Bearer new',
      'Bearer new',
    ])
    expect(seen.events).toEqual([['message', 'ok', '']])
  })

  it('is asked once per streak: a second 401 closes', async () => {
    server = await scriptedServer([{ status: 403 }, { status: 401 }])
    let calls = 0
    client = createClient(`${server.url}/events`, { onUnauthorized: () => ++calls > 0 })
    const seen = record(client)
    await closed(client)
    expect(calls).toBe(1)
    expect(server.requests).toHaveLength(2)
    expect(seen.errors.map((e) => [e.code, e.status, e.retryable])).toEqual([
      ['UNAUTHORIZED', 403, true],
      ['UNAUTHORIZED', 401, false],
    ])
  })

  it('its retry is allowed even with retry: false (it is not a reconnect)', async () => {
    server = await scriptedServer([{ status: 401 }, { chunks: ['data: 1\n\n'] }])
    client = createClient(`${server.url}/events`, { retry: false, onUnauthorized: () => true })
    const seen = record(client)
    await closed(client)
    expect(server.requests).toHaveLength(2)
    expect(seen.events).toEqual([['message', 1, '']])
    expect(seen.errors.map((e) => [e.code, e.retryable])).toEqual([
      ['UNAUTHORIZED', true],
      ['STREAM_ENDED', true],
    ])
  })

  it('returning false closes without a retry', async () => {
    server = await scriptedServer([{ status: 401 }])
    client = createClient(`${server.url}/events`, { onUnauthorized: async () => false })
    const seen = record(client)
    await closed(client)
    expect(server.requests).toHaveLength(1)
    expect(seen.errors.map((e) => [e.code, e.retryable])).toEqual([['UNAUTHORIZED', false]])
  })
})

describe('events', () => {
  it('typed handlers get parsed data and meta; unsubscribe stops them; app events named error/status are plain events', async () => {
    server = await scriptedServer([
      {
        chunks: [
          'id: 1\nevent: order.updated\ndata: {"id":"1","status":"paid"}\n\n',
          'id: 2\nevent: error\ndata: {"message":"app-level"}\n\n',
          'id: 3\nevent: status\ndata: "busy"\n\n',
          'id: 4\nevent: order.updated\ndata: {"id":"2","status":"sent"}\n\n',
        ],
      },
    ])
    const typed = createClient<Events>(`${server.url}/events`, fast)
    client = typed
    const orders: [Events['order.updated'], string, string][] = []
    const appErrors: string[] = []
    const statuses: string[] = []
    const lifecycleErrors: string[] = []
    const off = typed.on('order.updated', (order, meta) => {
      orders.push([order, meta.id, meta.event])
      off()
    })
    typed.on('error', (data) => appErrors.push(data.message))
    typed.on('status', (data) => statuses.push(data))
    typed.onError((error) => lifecycleErrors.push(error.code))
    await closed(typed)
    expect(orders).toEqual([[{ id: '1', status: 'paid' }, '1', 'order.updated']])
    expect(appErrors).toEqual(['app-level'])
    expect(statuses).toEqual(['busy'])
    expect(lifecycleErrors).toEqual(['STREAM_ENDED', 'NO_CONTENT'])
  })

  it('data that fails to parse raises PARSE_ERROR with the raw text, and no handler runs', async () => {
    server = await scriptedServer([
      { chunks: ['event: x\ndata: {bad\n\n', 'event: x\ndata: {"good":true}\n\n'] },
    ])
    client = createClient(`${server.url}/events`, fast)
    const got: unknown[] = []
    client.on('x', (data) => got.push(data))
    const seen = record(client)
    await closed(client)
    expect(got).toEqual([{ good: true }])
    expect(seen.events).toEqual([['x', { good: true }, '']])
    const parseError = seen.errors[0]!
    expect([parseError.code, parseError.event, parseError.data, parseError.retryable]).toEqual([
      'PARSE_ERROR',
      'x',
      '{bad',
      false,
    ])
    expect(parseError.cause).toBeInstanceOf(SyntaxError)
  })

  it('a custom parse receives the event name', async () => {
    server = await scriptedServer([{ chunks: ['event: n\ndata: 42\n\n', 'data: plain\n\n'] }])
    client = createClient(`${server.url}/events`, { ...fast, parse: (text, event) => `${event}:${text}` })
    const seen = record(client)
    await closed(client)
    expect(seen.events).toEqual([
      ['n', 'n:42', ''],
      ['message', 'message:plain', ''],
    ])
  })

  it('schemas validate before handlers (sync and async, order kept); invalid → INVALID_PAYLOAD', async () => {
    const positive: StandardSchemaV1<unknown, number> = {
      '~standard': {
        version: 1,
        vendor: 'test',
        validate: (value) =>
          typeof value === 'number' && value > 0 ? { value } : { issues: [{ message: 'not > 0' }] },
      },
    }
    const slowString: StandardSchemaV1<unknown, string> = {
      '~standard': {
        version: 1,
        vendor: 'test',
        validate: async (value) => {
          await new Promise((resolve) => setTimeout(resolve, 30))
          return typeof value === 'string'
            ? { value: value.toUpperCase() }
            : { issues: [{ message: 'not a string' }] }
        },
      },
    }
    server = await scriptedServer([
      {
        chunks: [
          'event: n\ndata: 1\n\nevent: s\ndata: "a"\n\nevent: n\ndata: -1\n\nevent: n\ndata: 2\n\n',
          'event: s\ndata: 5\n\nevent: n\ndata: 3\n\n',
        ],
      },
    ])
    client = createClient<{ n: number; s: string }>(`${server.url}/events`, {
      ...fast,
      schemas: { n: positive, s: slowString },
    })
    const seen = record(client)
    await waitFor(() => seen.events.length === 4, 'four valid events')
    await closed(client)
    expect(seen.events).toEqual([
      ['n', 1, ''],
      ['s', 'A', ''],
      ['n', 2, ''],
      ['n', 3, ''],
    ])
    // Event errors are in stream order; connection errors interleave with the async validation.
    const eventErrors = seen.errors.filter((e) => e.event !== undefined)
    expect(eventErrors.map((e) => [e.code, e.event, e.data, e.message])).toEqual([
      ['INVALID_PAYLOAD', 'n', '-1', 'invalid "n": not > 0'],
      ['INVALID_PAYLOAD', 's', '5', 'invalid "s": not a string'],
    ])
    expect(seen.errors.filter((e) => e.event === undefined).map((e) => e.code)).toEqual([
      'STREAM_ENDED',
      'NO_CONTENT',
    ])
  })

  it('looks schemas up by own property only; a throwing schema reports INVALID_PAYLOAD and the stream goes on', async () => {
    const throwing: StandardSchemaV1<unknown, number> = {
      '~standard': {
        version: 1,
        vendor: 'test',
        validate: () => {
          throw new Error('schema bug')
        },
      },
    }
    server = await scriptedServer([
      { chunks: ['event: constructor\ndata: 1\n\nevent: n\ndata: 2\n\nevent: toString\ndata: 3\n\n'] },
    ])
    client = createClient<Record<string, unknown>>(`${server.url}/events`, {
      ...fast,
      schemas: { n: throwing },
    })
    const seen = record(client)
    await closed(client)
    expect(seen.events).toEqual([
      ['constructor', 1, ''],
      ['toString', 3, ''],
    ])
    expect(seen.errors.filter((e) => e.event !== undefined).map((e) => [e.code, e.event])).toEqual([
      ['INVALID_PAYLOAD', 'n'],
    ])
    // One connection only: the bad schema did not tear the stream down (no NETWORK_ERROR, no reconnect).
    expect(seen.errors.map((e) => e.code)).toEqual(['INVALID_PAYLOAD', 'STREAM_ENDED', 'NO_CONTENT'])
  })

  it('an id already delivered is dropped, across reconnects; notify:reset clears the memory and reaches onReset only', async () => {
    server = await scriptedServer([
      { chunks: ['id: 1\ndata: 1\n\nid: 2\ndata: 2\n\n'] },
      // A server replaying overlapping ids: 2 again, then 3.
      { chunks: ['id: 2\ndata: 2\n\nid: 3\ndata: 3\n\n'] },
      {
        chunks: [
          'id: 9\nevent: notify:reset\ndata: {"reason":"evicted","lastEventId":"3"}\n\n',
          'event: notify:future\ndata: {}\n\n',
          'id: 1\ndata: 1\n\n',
        ],
      },
    ])
    client = createClient(`${server.url}/events`, fast)
    const resets: [ResetInfo, string][] = []
    client.onReset((reset, meta) => resets.push([reset, meta.id]))
    const seen = record(client)
    await closed(client)
    expect(seen.events).toEqual([
      ['message', 1, '1'],
      ['message', 2, '2'],
      ['message', 3, '3'],
      ['message', 1, '1'],
    ])
    expect(resets).toEqual([[{ reason: 'evicted', lastEventId: '3' }, '9']])
    expect(server.requests.map((r) => r.headers['last-event-id'])).toEqual([undefined, '2', '3', '1'])
  })

  it('events() yields { event, data, id, receivedAt } and ends on close, buffered events first', async () => {
    server = await scriptedServer([
      { chunks: ['id: a\ndata: 1\n\nid: b\nevent: e\ndata: 2\n\n'], end: 'hold' },
    ])
    client = createClient(`${server.url}/events`, fast)
    const iterator = client.events()
    const got: ClientEvent<Record<string, unknown>>[] = []
    const before = Date.now()
    for await (const item of iterator) {
      got.push(item)
      if (got.length === 2) client.close()
    }
    expect(got.map(({ event, data, id }) => [event, data, id])).toEqual([
      ['message', 1, 'a'],
      ['e', 2, 'b'],
    ])
    expect(got.every((item) => item.receivedAt >= before && item.receivedAt <= Date.now())).toBe(true)
    // An iterator made after close ends at once.
    expect(await client[Symbol.asyncIterator]().next()).toEqual({ value: undefined, done: true })
  })

  it('breaking out of for-await ends that iterator; the client streams on', async () => {
    server = await scriptedServer([{ chunks: ['data: 1\n\n', 'data: 2\n\n'], end: 'hold' }])
    client = createClient(`${server.url}/events`, fast)
    const seen = record(client)
    const iterator = client.events()
    for await (const item of iterator) {
      expect(item.data).toBe(1)
      break
    }
    expect(await iterator.next()).toEqual({ value: undefined, done: true })
    await waitFor(() => seen.events.length === 2, 'the second event')
    expect(client.status).toBe('open')
  })
})

describe('lifecycle', () => {
  it('lazy waits for connect(); statuses go connecting → open → reconnecting → open → closed', async () => {
    server = await scriptedServer([{ chunks: ['data: 1\n\n'] }, { chunks: ['data: 2\n\n'], end: 'hold' }])
    client = createClient(`${server.url}/events`, { ...fast, lazy: true })
    const seen = record(client)
    let opens = 0
    client.onOpen(() => opens++)
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(server.requests).toHaveLength(0)
    expect(client.status).toBe('closed')
    client.connect()
    client.connect() // no-op while active
    await waitFor(() => seen.events.length === 2, 'two events')
    client.close()
    expect(seen.statuses).toEqual(['closed', 'connecting', 'open', 'reconnecting', 'open', 'closed'])
    expect(opens).toBe(2)
    expect(server.requests).toHaveLength(2)
  })

  it('an aborted signal closes the client for good', async () => {
    server = await scriptedServer([{ chunks: ['data: 1\n\n'], end: 'hold' }])
    const abort = new AbortController()
    client = createClient(`${server.url}/events`, { signal: abort.signal })
    await waitFor(() => client?.status === 'open', 'open')
    abort.abort()
    expect(client.status).toBe('closed')
    client.connect()
    expect(client.status).toBe('closed')
    const early = createClient(`${server.url}/events`, { signal: abort.signal })
    expect(early.status).toBe('closed')
  })

  it('connect() reopens a client closed by a fatal error', async () => {
    server = await scriptedServer([{ status: 404 }, { chunks: ['data: 1\n\n'] }])
    client = createClient(`${server.url}/events`, fast)
    const seen = record(client)
    await closed(client)
    client.connect()
    await waitFor(() => seen.events.length === 1, 'the event')
    await closed(client)
    expect(seen.errors.map((e) => e.code)).toEqual(['HTTP_ERROR', 'STREAM_ENDED', 'NO_CONTENT'])
  })

  it('makes no attempt while the injected network is offline, and one at once when it comes back', async () => {
    server = await scriptedServer([{ status: 503 }, { chunks: ['data: 1\n\n'], end: 'hold' }])
    let online = false
    const listeners = new Set<(online: boolean) => void>()
    const network: NetworkSource = {
      get online() {
        return online
      },
      subscribe: (listener) => {
        listeners.add(listener)
        return () => listeners.delete(listener)
      },
    }
    client = createClient(`${server.url}/events`, { network, initialDelayMs: 60_000, maxDelayMs: 60_000 })
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(server.requests).toHaveLength(0)
    expect(client.status).toBe('connecting')
    online = true
    for (const listener of listeners) listener(true)
    await waitFor(() => server?.requests.length === 1, 'the first attempt')
    await waitFor(() => client?.status === 'reconnecting', 'the 503')
    // The backoff says up to a minute; coming online again skips the wait.
    for (const listener of listeners) listener(true)
    await waitFor(() => client?.status === 'open', 'the reconnect')
    client.close()
    expect(listeners.size).toBe(0)
  })

  it('persistLastEventId reads and writes the injected storage', async () => {
    server = await scriptedServer([{ chunks: ['id: 8\ndata: 1\n\n'] }])
    const store = new Map<string, string>([['notify:last', '7']])
    const storage: KeyValueStorage = {
      getItem: (key) => store.get(key) ?? null,
      setItem: (key, value) => store.set(key, value),
    }
    client = createClient(`${server.url}/events`, { ...fast, persistLastEventId: 'notify:last', storage })
    await closed(client)
    expect(server.requests.map((r) => r.headers['last-event-id'])).toEqual(['7', '8'])
    expect(store.get('notify:last')).toBe('8')
  })
})
