import { HttpError } from './http.js'

/** Token-bucket limiter per publisher: `rate` requests per second, bursts up to `rate`. */
export interface RateLimiter {
  /**
   * Takes one token for `sub`.
   *
   * @throws {@link HttpError} `RATE_LIMITED` with `Retry-After` when the bucket is empty
   */
  take(sub: string): void
}

/**
 * Creates a per-publisher rate limiter.
 *
 * @param rate - publish requests per second per `sub` (also the burst size)
 * @returns the {@link RateLimiter}
 * @example
 * ```ts
 * const limiter = createRateLimiter(20)
 * limiter.take(claims.sub) // throws 429 RATE_LIMITED when over
 * ```
 */
export function createRateLimiter(rate: number): RateLimiter {
  const buckets = new Map<string, { tokens: number; at: number }>()
  return {
    take(sub) {
      const now = Date.now()
      const bucket = buckets.get(sub) ?? { tokens: rate, at: now }
      bucket.tokens = Math.min(rate, bucket.tokens + ((now - bucket.at) / 1000) * rate)
      bucket.at = now
      if (bucket.tokens < 1) {
        const seconds = Math.max(1, Math.ceil((1 - bucket.tokens) / rate))
        buckets.set(sub, bucket)
        throw new HttpError(
          'RATE_LIMITED',
          `at most ${rate} publish requests per second; retry after ${seconds} s`,
          {
            'retry-after': String(seconds),
          },
        )
      }
      bucket.tokens -= 1
      buckets.delete(sub)
      buckets.set(sub, bucket)
      // Bounded: a full bucket carries no state, so the least recently used ones can go.
      if (buckets.size > 10_000) {
        for (const [key] of buckets) {
          if (buckets.size <= 5_000) break
          buckets.delete(key)
        }
      }
    },
  }
}
