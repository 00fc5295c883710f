/**
 * Full-jitter exponential backoff: a uniformly random delay in `[0, min(maxMs, max(10, baseMs) × 2^(attempt-1)))`.
 * Full jitter spreads a crowd of clients dropped at the same moment (a deploy) over the whole window.
 *
 * @param attempt - failed attempts in a row, from 1
 * @param baseMs - the server's `retry:` or `initialDelayMs`
 * @param maxMs - the cap
 * @param random - a source in [0, 1) @defaultValue `Math.random`
 * @returns the delay in ms
 * @example
 * ```ts
 * backoffDelay(3, 1000, 30_000) // somewhere in [0, 4000)
 * ```
 */
export function backoffDelay(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  // A 10 ms floor on the base: a server's `retry: 0` must not turn backoff into a tight loop.
  return Math.floor(random() * Math.min(maxMs, Math.max(10, baseMs) * 2 ** Math.max(0, attempt - 1)))
}

/**
 * Reads a `Retry-After` header: delay-seconds or an HTTP date.
 *
 * @param value - the header value
 * @param now - current time in epoch ms @defaultValue `Date.now()`
 * @returns the delay in ms, or undefined when absent or malformed
 * @example
 * ```ts
 * parseRetryAfter('5') // 5000
 * ```
 */
export function parseRetryAfter(
  value: string | null | undefined,
  now: number = Date.now(),
): number | undefined {
  const text = value?.trim() ?? ''
  if (/^\d+$/.test(text)) return Number(text) * 1000
  // An HTTP date has a day and month name; without letters, Date.parse would take '-1' for a year.
  const ms = Date.parse(text) - now
  return /[a-z]/i.test(text) && !Number.isNaN(ms) ? Math.max(0, ms) : undefined
}
