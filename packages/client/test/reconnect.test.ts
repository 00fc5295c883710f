import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { type NotifyClient, backoffDelay, createClient, parseRetryAfter } from '../src/index.js'
import { fakeFetch } from './fake-fetch.js'
import { record } from './helpers.js'

// Timer logic under a fake clock (backoff bounds, Retry-After, heartbeat timeout); fetch is injected.

let client: NotifyClient | undefined
beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 })
})
afterEach(() => {
  client?.close()
  client = undefined
  vi.useRealTimers()
  vi.restoreAllMocks()
})

const gaps = (calls: { at: number }[]) => calls.slice(1).map((call, i) => call.at - calls[i]!.at)

describe('backoff', () => {
  it('backoffDelay is full jitter below min(max, base × 2^(attempt-1))', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, 100, 1000, () => 0.999999))).toEqual([
      99, 199, 399, 799, 999, 999,
    ])
    expect(backoffDelay(7, 100, 1000, () => 0)).toBe(0)
    expect(backoffDelay(10_000, 100, 1000, () => 0.5)).toBe(500)
  })

  it('backoffDelay keeps growing from a 10 ms floor when the server sends retry: 0', () => {
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, 0, 1000, () => 0.999999))).toEqual([9, 19, 39, 79])
  })

  it('parseRetryAfter reads seconds and HTTP dates, and rejects garbage', () => {
    expect(parseRetryAfter('5')).toBe(5000)
    expect(parseRetryAfter(' 0 ')).toBe(0)
    expect(parseRetryAfter(new Date(1_010_000).toUTCString(), 1_000_000)).toBe(10_000)
    expect(parseRetryAfter(new Date(0).toUTCString(), 1_000_000)).toBe(0)
    expect(parseRetryAfter('soon')).toBeUndefined()
    expect(parseRetryAfter('-1')).toBeUndefined()
    expect(parseRetryAfter(null)).toBeUndefined()
  })

  it('waits the upper bound of each window when the jitter draws its maximum, capped at maxDelayMs', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.999999)
    const net = fakeFetch(() => ({ status: 503 }))
    client = createClient('http://x/events', {
      fetch: net.fetch,
      initialDelayMs: 100,
      maxDelayMs: 1000,
      maxRetries: 6,
    })
    const seen = record(client)
    await vi.advanceTimersByTimeAsync(10_000)
    expect(gaps(net.calls)).toEqual([99, 199, 399, 799, 999, 999])
    expect(seen.errors.map((e) => [e.code, e.attempt])).toEqual([
      ['HTTP_ERROR', 1],
      ['HTTP_ERROR', 2],
      ['HTTP_ERROR', 3],
      ['HTTP_ERROR', 4],
      ['HTTP_ERROR', 5],
      ['HTTP_ERROR', 6],
      ['HTTP_ERROR', 7],
      ['RETRIES_EXHAUSTED', 7],
    ])
    expect(seen.errors.at(-1)?.cause).toBe(seen.errors.at(-2))
    expect(client.status).toBe('closed')
  })

  it('with real jitter every delay stays inside its window', async () => {
    const net = fakeFetch(() => 'network-error')
    client = createClient('http://x/events', {
      fetch: net.fetch,
      initialDelayMs: 50,
      maxDelayMs: 800,
      maxRetries: 40,
    })
    await vi.advanceTimersByTimeAsync(60_000)
    expect(net.calls).toHaveLength(41)
    gaps(net.calls).forEach((gap, i) => {
      expect(gap).toBeGreaterThanOrEqual(0)
      expect(gap).toBeLessThan(Math.min(800, 50 * 2 ** i))
    })
    expect(client.status).toBe('closed')
  })

  it('the server retry: field sets the base, and Retry-After is a floor', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.999999)
    const net = fakeFetch((n) =>
      n === 0
        ? { stream: ['retry: 40\n\n'] }
        : n === 1
          ? { status: 429, headers: { 'retry-after': '3' } }
          : { status: 204 },
    )
    client = createClient('http://x/events', { fetch: net.fetch, initialDelayMs: 10_000 })
    await vi.advanceTimersByTimeAsync(10_000)
    // 39 ms: attempt 1 with base 40; 3000 ms: Retry-After beats the 79 ms window of attempt 2.
    expect(gaps(net.calls)).toEqual([39, 3000])
    expect(client.status).toBe('closed')
  })

  it('a connection that stayed open 5 s resets the streak; short-lived ones grow it', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.999999)
    const net = fakeFetch(() => ({ stream: [':\n'], hold: true }))
    client = createClient('http://x/events', { fetch: net.fetch, initialDelayMs: 100, maxDelayMs: 60_000 })
    const failedAt: number[] = []
    const seen = record(client)
    client.onError(() => failedAt.push(Date.now()))
    await vi.advanceTimersByTimeAsync(10)
    for (let i = 0; i < 3; i++) {
      net.feeds.at(-1)!.end() // dropped right after opening: attempts 1, 2, 3 of one streak
      await vi.advanceTimersByTimeAsync(2000)
    }
    await vi.advanceTimersByTimeAsync(5000) // this one stays open 5 s
    net.feeds.at(-1)!.end()
    await vi.advanceTimersByTimeAsync(2000)
    expect(seen.errors.map((e) => e.attempt)).toEqual([1, 2, 3, 1])
    expect(failedAt.map((at, i) => net.calls[i + 1]!.at - at)).toEqual([99, 199, 399, 99])
  })

  it('retry: false closes on the first drop', async () => {
    const net = fakeFetch(() => ({ stream: ['data: 1\n\n'] }))
    client = createClient('http://x/events', { fetch: net.fetch, retry: false })
    const seen = record(client)
    await vi.advanceTimersByTimeAsync(60_000)
    expect(net.calls).toHaveLength(1)
    expect(seen.events).toEqual([['message', 1, '']])
    expect(seen.errors.map((e) => [e.code, e.retryable])).toEqual([['STREAM_ENDED', true]])
    expect(seen.statuses).toEqual(['connecting', 'open', 'closed'])
  })

  it('close() during the reconnect wait cancels the pending attempt (R-9)', async () => {
    const net = fakeFetch(() => ({ status: 500 }))
    client = createClient('http://x/events', { fetch: net.fetch, initialDelayMs: 1000 })
    await vi.advanceTimersByTimeAsync(1)
    expect(client.status).toBe('reconnecting')
    client.close()
    await vi.advanceTimersByTimeAsync(120_000)
    expect(net.calls).toHaveLength(1)
    expect(vi.getTimerCount()).toBe(0)
  })
})

describe('heartbeat timeout', () => {
  it('defaults to 3 × the advertised interval; bytes (comments too) keep the stream alive', async () => {
    const net = fakeFetch(() => ({ stream: ['retry: 1000\n: notify heartbeat=1000\n\n'], hold: true }))
    client = createClient('http://x/events', { fetch: net.fetch })
    const seen = record(client)
    await vi.advanceTimersByTimeAsync(2999)
    expect(client.status).toBe('open')
    net.feeds[0]!.push(':\n\n')
    await vi.advanceTimersByTimeAsync(2999)
    expect(client.status).toBe('open')
    expect(seen.errors).toEqual([])
    await vi.advanceTimersByTimeAsync(1)
    expect(seen.errors.map((e) => [e.code, e.retryable])).toEqual([['HEARTBEAT_TIMEOUT', true]])
    expect(client.status).toBe('reconnecting')
    await vi.advanceTimersByTimeAsync(1000)
    expect(net.calls).toHaveLength(2)
    expect(client.status).toBe('open')
  })

  it('is 45 s when nothing is advertised', async () => {
    const net = fakeFetch(() => ({ stream: [':\n\n'], hold: true }))
    client = createClient('http://x/events', { fetch: net.fetch })
    const seen = record(client)
    await vi.advanceTimersByTimeAsync(44_999)
    expect(seen.errors).toEqual([])
    await vi.advanceTimersByTimeAsync(1)
    expect(seen.errors.map((e) => e.code)).toEqual(['HEARTBEAT_TIMEOUT'])
  })

  it('an explicit heartbeatTimeoutMs wins over the advertisement', async () => {
    const net = fakeFetch(() => ({ stream: [': notify heartbeat=60000\n\n'], hold: true }))
    client = createClient('http://x/events', { fetch: net.fetch, heartbeatTimeoutMs: 500 })
    const seen = record(client)
    await vi.advanceTimersByTimeAsync(499)
    expect(seen.errors).toEqual([])
    await vi.advanceTimersByTimeAsync(1)
    expect(seen.errors.map((e) => e.code)).toEqual(['HEARTBEAT_TIMEOUT'])
  })

  it('a malformed advertisement is ignored', async () => {
    const net = fakeFetch(() => ({
      stream: [': notify heartbeat=soon\n: notify heartbeat=10x\n\n'],
      hold: true,
    }))
    client = createClient('http://x/events', { fetch: net.fetch })
    const seen = record(client)
    await vi.advanceTimersByTimeAsync(44_999)
    expect(seen.errors).toEqual([])
    await vi.advanceTimersByTimeAsync(1)
    expect(seen.errors.map((e) => e.code)).toEqual(['HEARTBEAT_TIMEOUT'])
  })

  it('also bounds a request that never answers', async () => {
    const net = fakeFetch((n) => (n === 0 ? 'pending' : { status: 204 }))
    client = createClient('http://x/events', {
      fetch: net.fetch,
      heartbeatTimeoutMs: 2000,
      initialDelayMs: 1,
    })
    const seen = record(client)
    await vi.advanceTimersByTimeAsync(2010)
    expect(seen.errors.map((e) => e.code)).toEqual(['HEARTBEAT_TIMEOUT', 'NO_CONTENT'])
    expect(net.calls[0]!.init.signal?.aborted).toBe(true)
  })

  it('Infinity disables it', async () => {
    const net = fakeFetch(() => ({ stream: [], hold: true }))
    client = createClient('http://x/events', {
      fetch: net.fetch,
      heartbeatTimeoutMs: Number.POSITIVE_INFINITY,
    })
    const seen = record(client)
    await vi.advanceTimersByTimeAsync(3_600_000)
    expect(seen.errors).toEqual([])
    expect(client.status).toBe('open')
  })
})
