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
    for (const item of [value].flat()) params.append(key, String(item))
  }
  for (const topic of topics ?? []) params.append('topic', topic)
  const search = params.toString()
  if (search === '') return url
  return `${url}${url.includes('?') ? '&' : '?'}${search}`
}

/**
 * Classifies a response (WHATWG §9.2.3, with our deliberate deviations): 200 + `text/event-stream`
 * opens; 5xx, 408 and 429 are retryable; 204, 401/403, other statuses and a wrong type are not.
 *
 * @param response - the fetch response
 * @returns undefined when the stream may be read, else the error (the body is cancelled)
 */
export async function checkResponse(response: Response): Promise<NotifyClientError | undefined> {
  const { status, headers } = response
  // The MIME essence must match; parameters such as `;charset=` are ignored (the stream is always UTF-8).
  const type = headers.get('content-type')?.split(';')[0]?.trim().toLowerCase()
  if (status === 200 && type === 'text/event-stream') return undefined
  await response.body?.cancel().catch(() => {})
  if (status === 200)
    return new NotifyClientError('BAD_CONTENT_TYPE', `Content-Type ${type} is not text/event-stream`, {
      status,
    })
  const retryable = status >= 500 || status === 408 || status === 429
  const code =
    status === 204 ? 'NO_CONTENT' : status === 401 || status === 403 ? 'UNAUTHORIZED' : 'HTTP_ERROR'
  return new NotifyClientError(code, `HTTP ${status}`, {
    status,
    retryable,
    retryAfterMs: retryable ? parseRetryAfter(headers.get('retry-after')) : undefined,
  })
}
