import { createParser } from 'eventsource-parser'

export interface ReceivedEvent {
  id: string | undefined
  event: string | undefined
  data: string
}

export interface Stream {
  readonly status: number
  readonly headers: Headers
  /** Dispatched events, in order. */
  readonly events: ReceivedEvent[]
  /** Every `id:` the parser committed, including id-only frames (eventsource-parser 4 `onId`). */
  readonly ids: string[]
  /** Comment lines. */
  readonly comments: string[]
  /** `retry:` values. */
  readonly retries: number[]
  /** Raw text received. */
  text: string
  /** Resolves when `predicate` holds (checked on every chunk), rejects after `timeoutMs`. */
  until(predicate: (stream: Stream) => boolean, timeoutMs?: number): Promise<void>
  /** Resolves when the server ended the body (or the request failed). */
  readonly ended: Promise<void>
  /** Aborts the request. */
  close(): void
}

/** Opens an SSE request with fetch and parses it with eventsource-parser 4. */
export async function openStream(
  url: string,
  init: { headers?: Record<string, string> } = {},
): Promise<Stream> {
  const controller = new AbortController()
  const response = await fetch(url, {
    headers: { accept: 'text/event-stream', ...init.headers },
    signal: controller.signal,
  })
  const waiters = new Set<() => void>()
  const stream: Stream = {
    status: response.status,
    headers: response.headers,
    events: [],
    ids: [],
    comments: [],
    retries: [],
    text: '',
    until(predicate, timeoutMs = 5000) {
      if (predicate(stream)) return Promise.resolve()
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(new Error(`timed out after ${timeoutMs} ms; received so far:\n${stream.text}`))
        }, timeoutMs)
        const check = () => {
          if (!predicate(stream)) return
          clearTimeout(timer)
          waiters.delete(check)
          resolve()
        }
        waiters.add(check)
      })
    },
    ended: Promise.resolve(),
    close: () => controller.abort(),
  }
  const parser = createParser({
    onEvent: (e) => stream.events.push({ id: e.id, event: e.event, data: e.data }),
    onId: (id) => stream.ids.push(id),
    onComment: (c) => stream.comments.push(c),
    onRetry: (r) => stream.retries.push(r),
  })
  const body = response.body
  ;(stream as { ended: Promise<void> }).ended = (async () => {
    if (body === null) return
    const decoder = new TextDecoder()
    const reader = body.getReader()
    try {
      for (;;) {
        const { value: chunk, done } = await reader.read()
        if (done) break
        const text = decoder.decode(chunk, { stream: true })
        stream.text += text
        parser.feed(text)
        for (const check of [...waiters]) check()
      }
    } catch {
      // Aborted or reset: the stream is over either way.
    }
    for (const check of [...waiters]) check()
  })()
  return stream
}
