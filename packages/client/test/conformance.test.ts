import { afterEach, describe, expect, it } from 'vitest'
import { type ClientOptions, type NotifyClient, createClient } from '../src/index.js'
import { type ScriptedResponse, type ScriptedServer, closed, record, scriptedServer } from './helpers.js'

// Byte-level conformance (WHATWG HTML §9.2, /work/shared/SSE-CONFORMANCE.md §2): a raw node:http server
// writes exact bytes (chunks are Latin-1 strings, one char per byte), a real client parses them. Each case
// asserts the exact dispatched events (type, data, lastEventId) and the reconnect decision: whether a
// second request came, and its Last-Event-ID. The scripted responses are followed by 204 (stop).

type Expected = [event: string, data: string, lastEventId: string]

interface Case {
  id: string
  name: string
  responses: ScriptedResponse[]
  events: Expected[]
  /** false: the client must not reconnect. Otherwise the Last-Event-ID the reconnect carries (null: no header). */
  reconnect: false | { lastEventId: string | null }
  /** Error code that closes the client. @defaultValue NO_CONTENT (the trailing 204) when reconnecting */
  closedBy?: string
  options?: ClientOptions
}

const stream = (...chunks: string[]): ScriptedResponse => ({ chunks })
const none = { lastEventId: null }

// biome-ignore format: one case per line reads like the checklist
const cases: Case[] = [
  // §2a decoding and BOM
  { id: 'C-01', name: 'one leading BOM is ignored', responses: [stream('\xEF\xBB\xBFdata: a\n\n')], events: [['message', 'a', '']], reconnect: none },
  { id: 'C-02', name: 'a BOM split across chunks is still stripped', responses: [stream('\xEF', '\xBB\xBFdata: a\n\n')], events: [['message', 'a', '']], reconnect: none },
  { id: 'C-03', name: 'only one BOM is stripped: the second makes an unknown field', responses: [stream('\xEF\xBB\xBF\xEF\xBB\xBFdata: 1\n\ndata: 2\n\n')], events: [['message', '2', '']], reconnect: none },
  { id: 'C-04', name: 'a BOM mid-stream is ordinary text', responses: [stream('data: a\n\n\xEF\xBB\xBFdata: b\n\n')], events: [['message', 'a', '']], reconnect: none },
  { id: 'C-05', name: 'each reconnected body strips its own BOM', responses: [stream('data: a\n\n'), stream('\xEF\xBB\xBFdata: b\n\n')], events: [['message', 'a', ''], ['message', 'b', '']], reconnect: none },
  { id: 'C-06', name: 'always UTF-8, a charset parameter is ignored', responses: [{ headers: { 'content-type': 'text/event-stream;charset=windows-1252' }, chunks: ['data: ok\xE2\x80\xA6\n\n'] }], events: [['message', 'ok…', '']], reconnect: none },
  { id: 'C-07', name: 'a 3-byte character split across chunks', responses: [stream('data: \xE2\x82', '\xAC\n\n')], events: [['message', '€', '']], reconnect: none },
  { id: 'C-08', name: 'a 4-byte character over three chunks', responses: [stream('data: \xF0\x9F', '\x98', '\x80\n\n')], events: [['message', '😀', '']], reconnect: none },
  { id: 'C-09', name: 'an invalid byte becomes U+FFFD', responses: [stream('data: a\xFFb\n\n')], events: [['message', 'a\uFFFDb', '']], reconnect: none },
  { id: 'C-10', name: 'a truncated sequence is one U+FFFD and the LF still ends the line', responses: [stream('data: \xE2\x82\n\n')], events: [['message', '\uFFFD', '']], reconnect: none },
  { id: 'C-11', name: 'encoded surrogates are three U+FFFD', responses: [stream('data: \xED\xA0\x80\n\n')], events: [['message', '\uFFFD\uFFFD\uFFFD', '']], reconnect: none },
  { id: 'C-12', name: 'NUL is legal in data', responses: [stream('data:\x00\n\n')], events: [['message', '\u0000', '']], reconnect: none },
  // §2b line endings and chunking
  { id: 'C-13', name: 'LF terminator', responses: [stream('data: a\n\n')], events: [['message', 'a', '']], reconnect: none },
  { id: 'C-14', name: 'bare CR terminators dispatch at once', responses: [{ chunks: ['data: a\r\r'], end: 'hold' }], events: [['message', 'a', '']], reconnect: false, closedBy: 'CLOSED_BY_TEST' },
  { id: 'C-15', name: 'CRLF is one terminator', responses: [stream('data: a\r\n\r\n')], events: [['message', 'a', '']], reconnect: none },
  { id: 'C-16', name: 'mixed terminators in one stream', responses: [stream('data: a\r\ndata: b\rdata: c\n\n')], events: [['message', 'a\nb\nc', '']], reconnect: none },
  { id: 'C-17', name: 'CRLF split across chunks is one terminator, not an empty line', responses: [stream('data: a\r', '\ndata: b\r\n\r\n')], events: [['message', 'a\nb', '']], reconnect: none },
  { id: 'C-18', name: 'CR then CR across chunks ends line and event', responses: [stream('data: a\r', '\r')], events: [['message', 'a', '']], reconnect: none },
  { id: 'C-19', name: 'LF CR is two terminators', responses: [stream('data: a\n\rdata: b\n\n')], events: [['message', 'a', ''], ['message', 'b', '']], reconnect: none },
  { id: 'C-20', name: 'a field line without the empty line dispatches nothing', responses: [{ chunks: ['data: a\n', ''], gapMs: 150 }], events: [], reconnect: none },
  { id: 'C-21', name: 'an event unterminated at EOF is dropped', responses: [stream('data: a\n\ndata: b')], events: [['message', 'a', '']], reconnect: none },
  { id: 'C-22', name: 'a single LF before EOF is not enough', responses: [stream('data: b\n')], events: [], reconnect: none },
  // §2c field parsing
  { id: 'C-23', name: 'the space after the colon is optional', responses: [stream('data:a\n\n')], events: [['message', 'a', '']], reconnect: none },
  { id: 'C-24', name: 'exactly one leading space is removed', responses: [stream('data:  a\n\n')], events: [['message', ' a', '']], reconnect: none },
  { id: 'C-25', name: 'trailing whitespace is kept', responses: [stream('data: a  \n\n')], events: [['message', 'a  ', '']], reconnect: none },
  { id: 'C-26', name: 'split on the first colon only', responses: [stream('data: a:b: c\n\n')], events: [['message', 'a:b: c', '']], reconnect: none },
  { id: 'C-27', name: 'a colon-less line is a field with an empty value', responses: [stream('data:\n\ndata\ndata\n\ndata:test\n\n')], events: [['message', '', ''], ['message', '\n', ''], ['message', 'test', '']], reconnect: none },
  { id: 'C-28', name: 'field names are case-sensitive', responses: [stream('Data: a\n\n')], events: [], reconnect: none },
  { id: 'C-29', name: 'a space before the colon makes another field', responses: [stream('data : a\n\n')], events: [], reconnect: none },
  { id: 'C-30', name: 'unknown fields are ignored', responses: [stream('foo: bar\ndata: a\n\n')], events: [['message', 'a', '']], reconnect: none },
  { id: 'C-31', name: 'comments never dispatch', responses: [stream(': hello\ndata: a\n\n', ':\n\n')], events: [['message', 'a', '']], reconnect: none },
  { id: 'C-32', name: 'empty data lines count', responses: [stream('data: a\ndata:\ndata: b\n\n')], events: [['message', 'a\n\nb', '']], reconnect: none },
  { id: 'C-33', name: 'only the last LF is stripped', responses: [stream('data: a\ndata:\n\n')], events: [['message', 'a\n', '']], reconnect: none },
  // §2d event / id / retry
  { id: 'C-35', name: 'an empty event type is message', responses: [stream('event:\ndata: a\n\n')], events: [['message', 'a', '']], reconnect: none },
  { id: 'C-36', name: 'the last event field wins', responses: [stream('event: a\nevent: b\ndata: x\n\n')], events: [['b', 'x', '']], reconnect: none },
  { id: 'C-37', name: 'a block without data resets the type', responses: [stream('event: foo\n\ndata: a\n\n')], events: [['message', 'a', '']], reconnect: none },
  { id: 'C-38', name: 'id sets lastEventId and the reconnect header', responses: [stream('id: 1\ndata: a\n\n')], events: [['message', 'a', '1']], reconnect: { lastEventId: '1' } },
  { id: 'C-39', name: 'field order in a block is irrelevant', responses: [stream('data: a\nid: 1\n\n')], events: [['message', 'a', '1']], reconnect: { lastEventId: '1' } },
  { id: 'C-40', name: 'the id persists across events without id', responses: [stream('id: 1\ndata: a\n\ndata: b\n\n')], events: [['message', 'a', '1'], ['message', 'b', '1']], reconnect: { lastEventId: '1' } },
  { id: 'C-41', name: 'an empty id resets: no header on reconnect', responses: [stream('id: 1\ndata: a\n\nid\ndata: b\n\n')], events: [['message', 'a', '1'], ['message', 'b', '']], reconnect: none },
  { id: 'C-41b', name: 'an empty `id:` resets too', responses: [stream('id: 1\ndata: a\n\nid:\ndata: b\n\n')], events: [['message', 'a', '1'], ['message', 'b', '']], reconnect: none },
  { id: 'C-42', name: 'an id containing NUL is ignored', responses: [stream('id: 1\ndata: a\n\nid: 2\x003\ndata: b\n\n')], events: [['message', 'a', '1'], ['message', 'b', '1']], reconnect: { lastEventId: '1' } },
  { id: 'C-43', name: 'an id-only block commits the id without dispatching', responses: [stream('id: 7\n\n')], events: [], reconnect: { lastEventId: '7' } },
  { id: 'C-44', name: 'an id in an unterminated block does not leak', responses: [stream('id: 5\ndata: a\n\nid: 6\ndata: b')], events: [['message', 'a', '5']], reconnect: { lastEventId: '5' } },
  { id: 'C-45', name: 'a non-ASCII id goes out UTF-8 encoded', responses: [stream('id: \xC3\xA91\ndata: a\n\n')], events: [['message', 'a', 'é1']], reconnect: { lastEventId: Buffer.from('é1', 'utf8').toString('latin1') } },
  { id: 'C-46', name: 'retry with non-digits is ignored (reconnect within the valid 50 ms window)', responses: [stream('retry: 50\nretry: 100000x\nretry: -1\nretry: 1.5\nretry:  100\ndata: x\n\n')], events: [['message', 'x', '']], reconnect: none, options: { initialDelayMs: 600_000, maxDelayMs: 600_000 } },
  { id: 'C-47', name: 'retry takes effect when processed, even in an unterminated block', responses: [stream('retry: 10\ndata: x')], events: [], reconnect: none, options: { initialDelayMs: 600_000, maxDelayMs: 600_000 } },
  // §2e connection, reconnect and failure (with our documented deviations for 5xx/408/429)
  { id: 'R-2a', name: '404 closes without reconnecting', responses: [{ status: 404 }], events: [], reconnect: false, closedBy: 'HTTP_ERROR' },
  { id: 'R-2b', name: '410 closes without reconnecting', responses: [{ status: 410 }], events: [], reconnect: false, closedBy: 'HTTP_ERROR' },
  { id: 'R-2c', name: '401 closes with UNAUTHORIZED', responses: [{ status: 401 }], events: [], reconnect: false, closedBy: 'UNAUTHORIZED' },
  { id: 'R-2d', name: '403 closes with UNAUTHORIZED', responses: [{ status: 403 }], events: [], reconnect: false, closedBy: 'UNAUTHORIZED' },
  { id: 'R-2e', name: '[NON-SPEC] 500 reconnects', responses: [{ status: 500 }], events: [], reconnect: none },
  { id: 'R-2f', name: '[NON-SPEC] 503 reconnects', responses: [{ status: 503 }], events: [], reconnect: none },
  { id: 'R-2g', name: '[NON-SPEC] 408 reconnects', responses: [{ status: 408 }], events: [], reconnect: none },
  { id: 'R-2h', name: '[NON-SPEC] 429 reconnects', responses: [{ status: 429 }], events: [], reconnect: none },
  { id: 'R-2i', name: 'a 2xx other than 200 closes', responses: [{ status: 206, headers: { 'content-type': 'text/event-stream' } }], events: [], reconnect: false, closedBy: 'HTTP_ERROR' },
  { id: 'R-3', name: '204 closes: the server says stop', responses: [{ status: 204 }], events: [], reconnect: false, closedBy: 'NO_CONTENT' },
  { id: 'R-4a', name: 'a wrong content type closes', responses: [{ headers: { 'content-type': 'text/plain' }, chunks: ['data: a\n\n'] }], events: [], reconnect: false, closedBy: 'BAD_CONTENT_TYPE' },
  { id: 'R-4b', name: 'a missing content type closes', responses: [{ headers: {}, chunks: ['data: a\n\n'] }], events: [], reconnect: false, closedBy: 'BAD_CONTENT_TYPE' },
  { id: 'R-6a', name: 'a reset socket mid-event reconnects; the partial event is dropped', responses: [{ chunks: ['id: 1\ndata: a\n\n', 'id: 2\ndata: b'], end: 'destroy' }], events: [['message', 'a', '1']], reconnect: { lastEventId: '1' } },
  { id: 'R-6b', name: 'a stream of comments only ends and reconnects without events', responses: [stream(': one\n', ': two\n\n', ':\n')], events: [], reconnect: none },
  { id: 'R-6c', name: 'a huge line (1 MiB of data over many chunks) arrives whole', responses: [stream('data: ', ...Array.from({ length: 16 }, () => 'x'.repeat(65_536)), '\n\n')], events: [['message', 'x'.repeat(1_048_576), '']], reconnect: none },
]

describe('conformance: byte cases against a raw node:http server', () => {
  let server: ScriptedServer | undefined
  let client: NotifyClient | undefined
  afterEach(async () => {
    client?.close()
    await server?.close()
  })

  it('has at least 30 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30)
  })

  it.each(cases.map((c) => [`${c.id} ${c.name}`, c] as const))('%s', async (_, c) => {
    server = await scriptedServer(c.responses)
    client = createClient(`${server.url}/events`, {
      parse: (text) => text,
      initialDelayMs: 1,
      maxDelayMs: 5,
      ...c.options,
    })
    const seen = record(client)
    if (c.closedBy === 'CLOSED_BY_TEST') {
      // The stream stays open: the event must arrive without waiting for more bytes.
      await new Promise<void>((resolve) => client?.onAny(() => resolve()))
      client.close()
    } else await closed(client)
    expect(seen.events).toEqual(c.events)
    const requests = server.requests
    if (c.reconnect === false) {
      expect(requests).toHaveLength(1)
      if (c.closedBy === 'CLOSED_BY_TEST') expect(seen.errors).toEqual([])
      else expect(seen.errors.map((error) => [error.code, error.retryable])).toEqual([[c.closedBy, false]])
    } else {
      expect(requests).toHaveLength(c.responses.length + 1)
      expect(requests.at(-1)?.headers['last-event-id']).toBe(c.reconnect.lastEventId ?? undefined)
      expect(requests.at(-1)?.url).toBe('/events')
      expect(seen.errors.at(-1)?.code).toBe('NO_CONTENT')
      expect(seen.errors.slice(0, -1).every((error) => error.retryable)).toBe(true)
    }
    // every request asks for an event stream; the first carries no Last-Event-ID.
    expect(requests.every((request) => request.headers.accept === 'text/event-stream')).toBe(true)
    expect(requests[0]?.headers['last-event-id']).toBeUndefined()
    if (c.id === 'C-46' || c.id === 'C-47') {
      // The server's valid retry (50 ms, 10 ms) set the backoff base, not initialDelayMs (10 minutes).
      expect(requests[1]!.at - requests[0]!.at).toBeLessThan(5_000)
    }
  })
})

describe('conformance: redirects and retry hints', () => {
  it('R-5 follows a 301 to the stream, and reconnects to the original URL', async () => {
    const server = await scriptedServer([
      { status: 301, headers: { location: '/moved' } },
      stream('id: 1\ndata: a\n\n'),
    ])
    const client = createClient(`${server.url}/events`, { parse: (t) => t, initialDelayMs: 1, maxDelayMs: 5 })
    const seen = record(client)
    await closed(client)
    expect(seen.events).toEqual([['message', 'a', '1']])
    expect(server.requests.map((r) => [r.url, r.headers['last-event-id']])).toEqual([
      ['/events', undefined],
      ['/moved', undefined],
      ['/events', '1'],
    ])
    await server.close()
  })

  it('[NON-SPEC] 503 with Retry-After waits at least that long before reconnecting', async () => {
    const server = await scriptedServer([{ status: 503, headers: { 'retry-after': '1' } }])
    const client = createClient(`${server.url}/events`, { initialDelayMs: 1, maxDelayMs: 5 })
    const seen = record(client)
    await closed(client)
    expect(seen.errors.map((e) => [e.code, e.status, e.retryable, e.retryAfterMs, e.attempt])).toEqual([
      ['HTTP_ERROR', 503, true, 1000, 1],
      ['NO_CONTENT', 204, false, undefined, 2],
    ])
    expect(server.requests[1]!.at - server.requests[0]!.at).toBeGreaterThanOrEqual(990)
    await server.close()
  })
})
