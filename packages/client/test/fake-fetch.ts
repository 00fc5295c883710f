// An injected `fetch` for the timer tests (fake clock): the network is outside the unit, the client's
// own code (parser, backoff, watchdog) runs for real. Wire behaviour is covered against real sockets
// in conformance.test.ts and resilience.test.ts.

export interface FetchCall {
  url: string
  headers: Record<string, string>
  init: RequestInit
  at: number
}

/** A response body the test writes to over time. */
export interface Feed {
  push(text: string): void
  end(): void
  fail(error?: Error): void
}

export interface FakeFetch {
  fetch: (input: string, init: RequestInit) => Promise<Response>
  calls: FetchCall[]
  /** The body of the n-th stream response (0-based over all responses with a body). */
  feeds: Feed[]
}

/** What the n-th call answers: a status (empty body), a stream response, or a pending promise. */
export type Answer =
  | { status: number; headers?: Record<string, string> }
  | { stream: string[]; hold?: boolean; headers?: Record<string, string> }
  | 'pending'
  | 'network-error'

export function fakeFetch(answer: (call: number, request: FetchCall) => Answer): FakeFetch {
  const calls: FetchCall[] = []
  const feeds: Feed[] = []
  const encoder = new TextEncoder()
  const fetch = (url: string, init: RequestInit): Promise<Response> => {
    const request = { url, headers: { ...(init.headers as Record<string, string>) }, init, at: Date.now() }
    calls.push(request)
    const reply = answer(calls.length - 1, request)
    if (reply === 'network-error') return Promise.reject(new TypeError('fetch failed'))
    if (reply === 'pending') {
      return new Promise((_, reject) => {
        init.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')))
      })
    }
    if ('status' in reply) {
      const empty = reply.status === 204 || reply.status === 304
      return Promise.resolve(
        new Response(empty ? null : '', { status: reply.status, headers: reply.headers }),
      )
    }
    let feed!: Feed
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        feed = {
          push: (text) => controller.enqueue(encoder.encode(text)),
          end: () => controller.close(),
          fail: (error = new TypeError('terminated')) => controller.error(error),
        }
      },
    })
    init.signal?.addEventListener('abort', () => {
      try {
        feed.fail(new DOMException('aborted', 'AbortError'))
      } catch {
        // already closed
      }
    })
    feeds.push(feed)
    for (const chunk of reply.stream) feed.push(chunk)
    if (!reply.hold) feed.end()
    return Promise.resolve(
      new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream', ...reply.headers } }),
    )
  }
  return { fetch, calls, feeds }
}
