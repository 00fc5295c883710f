import { parseRetryAfter } from './backoff.js'
import { NotifyClientError } from './errors.js'
import type { ClientOptions } from './types.js'

/**
 * Appends `query` and `topics` to `url` without parsing it, so relative URLs (`/events`) work with
 * no `location` to resolve against (workers, Node with a base-less fetch polyfill). A `#fragment` is not supported.
 *
 * @param url - the stream URL, absolute or relative
 * @param query - extra parameters (arrays repeat the key)
 * @param topics - appended as `topic=…`
 * @returns the URL to fetch
 */
export function buildUrl(
  url: string,
  query: ClientOptions['query'],
  topics: readonly string[] | undefined,
): string {
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query ?? {})) {
    for (const item of [value].flat()) params.append(key, item as string) // URLSearchParams stringifies
  }
  for (const topic of topics ?? []) params.append('topic', topic)
  const search = params.toString()
  return search ? `${url}${url.includes('?') ? '&' : '?'}${search}` : url
}

/**
 * Classifies a response (WHATWG §9.2.3, with our deliberate deviations): 200 + `text/event-stream`
 * opens; 5xx, 408 and 429 are retryable; 204, 401/403, other statuses and a wrong type are not.
 * The body of a non-200 is read (bounded in size and time, so a streaming body cannot hang the client):
 * a notify server's `{ "error": { "code", "message" } }` becomes `serverCode` and the message's tail.
 *
 * @param response - the fetch response
 * @returns undefined when the stream may be read, else the error (the body is read or cancelled)
 */
export async function checkResponse(response: Response): Promise<NotifyClientError | undefined> {
  const { status, headers } = response
  // The MIME essence must match; parameters such as `;charset=` are ignored (the stream is always UTF-8).
  const type = headers.get('content-type')?.split(';')[0]?.trim().toLowerCase()
  if (status === 200 && type === 'text/event-stream') return undefined
  const reader = response.body?.getReader()
  const stop = () => reader?.cancel().catch(() => {})
  let text = ''
  let serverCode: string | undefined
  let message = status === 200 ? `Content-Type ${type}` : `HTTP ${status}`
  // At most 1 s and about 4 KiB (4,096 characters) of the body; cancelling resolves a pending read() as done.
  // The timer is not cleared: cancelling twice is harmless.
  setTimeout(stop, 1000)
  try {
    const decoder = new TextDecoder('utf-8', { ignoreBOM: true }) // as in client.ts: compresses better
    // No body (a 204): `reader` is undefined and read() throws into the catch.
    while (text.length < 4096) {
      const { done, value } = await reader!.read()
      if (done) break
      text += decoder.decode(value, { stream: true })
    }
    const { code, message: detail } = JSON.parse(text).error
    if (typeof code === 'string' && typeof detail === 'string') {
      serverCode = code
      message += `: ${detail}`
    }
  } catch {
    // Not JSON, not that shape, cut at the size bound, or the read failed: the status alone.
  }
  void stop() // not awaited: the cancel needs no waiting, its failure is swallowed
  const retryable = status >= 500 || status === 408 || status === 429
  return new NotifyClientError(
    status === 200
      ? 'BAD_CONTENT_TYPE'
      : status === 204
        ? 'NO_CONTENT'
        : status === 401 || status === 403
          ? 'UNAUTHORIZED'
          : 'HTTP_ERROR',
    message,
    {
      status,
      retryable,
      serverCode,
      retryAfterMs: retryable ? parseRetryAfter(headers.get('retry-after')) : undefined,
    },
  )
}
