import { isNotifyError, type ReplayStore } from '@notify/core'
import { type RedisServer, redisServer, requireBinary } from '@notify/test-utils'
import { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { redisReplayStore } from '../src/index.js'

const binary = requireBinary('redis-server', 'apt-get install -y redis-server')
const TTL = 60_000
const append = (store: ReplayStore, topics: string[], data: string, key?: string) =>
  store.append({ topics, event: 'e', data, key, keyTtlMs: TTL })

// XADDs an entry whose id is ARGV[1] ms older than Redis' clock; returns the id.
const SEED_AGED = `
local t = redis.call('TIME')
local ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) - tonumber(ARGV[1])
return redis.call('XADD', KEYS[1], string.format('%.0f', ms) .. '-0', 'topics', 't', 'event', 'e', 'data', 'old')
`

describe.skipIf(binary === undefined)('redisReplayStore (real redis-server)', () => {
  let redis: RedisServer
  const stores: ReplayStore[] = []
  let prefixCount = 0
  const open = (options: Parameters<typeof redisReplayStore>[1] = {}, prefix = `t${++prefixCount}`) => {
    const store = redisReplayStore({ url: redis.url }, { prefix, ...options })
    stores.push(store)
    return store
  }

  beforeAll(async () => {
    redis = await redisServer({ binary })
  })
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close?.()))
  })
  afterAll(async () => {
    await redis?.dispose()
  })

  it('head of a new log is a valid resume point; events after it are read back in order', async () => {
    const store = open()
    const head = await store.head()
    expect(head).toMatch(/^\d+-0$/)
    expect(await store.readAfter(head, new Set(['a']))).toEqual({ ok: true, events: [], head })
    const ids: string[] = []
    for (let i = 0; i < 5; i++) ids.push((await append(store, [i % 2 === 0 ? 'a' : 'b'], `d${i}`)).id)
    expect([...ids].sort(store.compare)).toEqual(ids)
    expect(ids.every((id) => store.compare(id, head) > 0)).toBe(true)
    expect(await store.head()).toBe(ids[4])
    const read = await store.readAfter(head, new Set(['a']))
    expect(read).toEqual({
      ok: true,
      head: ids[4],
      events: [0, 2, 4].map((i) => ({ id: ids[i], topics: ['a'], event: 'e', data: `d${i}` })),
    })
    const fromMiddle = await store.readAfter(ids[1]!, new Set(['a', 'b']))
    expect(fromMiddle.ok && fromMiddle.events.map((e) => e.data)).toEqual(['d2', 'd3', 'd4'])
  })

  it('keeps several topics, and multi-line data, per entry', async () => {
    const store = open()
    const head = await store.head()
    const { id, entry } = await append(store, ['x', 'y:1'], 'line1\nline2')
    expect(entry).toEqual({ id, topics: ['x', 'y:1'], event: 'e', data: 'line1\nline2' })
    expect(await store.readAfter(head, new Set(['y:1']))).toEqual({ ok: true, head: id, events: [entry] })
  })

  it('an idempotency key is a no-op within its TTL, across stores sharing the log', async () => {
    const a = open({}, 'shared-key')
    const b = open({}, 'shared-key')
    const head = await a.head()
    const first = await a.append({ topics: ['t'], event: 'e', data: '1', key: 'k1', keyTtlMs: TTL })
    const repeat = await b.append({ topics: ['t'], event: 'e', data: '2', key: 'k1', keyTtlMs: TTL })
    expect(first.duplicate).toBe(false)
    expect(repeat).toEqual({ id: first.id, duplicate: true })
    const other = await b.append({ topics: ['t'], event: 'e', data: '3', key: 'k2', keyTtlMs: TTL })
    expect(other.duplicate).toBe(false)
    const read = await a.readAfter(head, new Set(['t']))
    expect(read.ok && read.events.map((e) => e.data)).toEqual(['1', '3'])
  })

  it('check-and-append is atomic: concurrent appends with one key from several stores make one event', async () => {
    const stores = Array.from({ length: 4 }, () => open({}, 'race-key'))
    const head = await stores[0]!.head()
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        stores[i % stores.length]!.append({
          topics: ['t'],
          event: 'e',
          data: String(i),
          key: 'once',
          keyTtlMs: TTL,
        }),
      ),
    )
    expect(results.filter((r) => !r.duplicate)).toHaveLength(1)
    expect(new Set(results.map((r) => r.id)).size).toBe(1)
    const read = await stores[0]!.readAfter(head, new Set(['t']))
    expect(read.ok && read.events.map((e) => e.id)).toEqual([results[0]!.id])
  })

  it('an idempotency key is forgotten after keyTtlMs', async () => {
    const store = open()
    const first = await store.append({ topics: ['t'], event: 'e', data: '1', key: 'short', keyTtlMs: 50 })
    const client = new Redis(redis.url)
    try {
      // The key's expiry is Redis' own; wait for it to be gone rather than for a fixed time.
      while ((await client.exists(`t${prefixCount}:key:short`)) === 1)
        await new Promise((r) => setTimeout(r, 20))
    } finally {
      client.disconnect()
    }
    const again = await store.append({ topics: ['t'], event: 'e', data: '2', key: 'short', keyTtlMs: 50 })
    expect(again.duplicate).toBe(false)
    expect(store.compare(again.id, first.id)).toBeGreaterThan(0)
  })

  it('retention maxEvents trims exactly: an id before the oldest kept one is evicted, the next is not', async () => {
    const store = open({ replay: { maxEvents: 3 } })
    const ids: string[] = []
    for (let i = 0; i < 6; i++) ids.push((await append(store, ['t'], `d${i}`)).id)
    // Kept: d3 d4 d5. Resuming from d2 misses nothing; from d1, d2 is gone.
    const fromD2 = await store.readAfter(ids[2]!, new Set(['t']))
    expect(fromD2.ok && fromD2.events.map((e) => e.data)).toEqual(['d3', 'd4', 'd5'])
    expect(await store.readAfter(ids[1]!, new Set(['t']))).toEqual({ ok: false, reason: 'evicted' })
    expect(await store.readAfter(ids[0]!, new Set(['t']))).toEqual({ ok: false, reason: 'evicted' })
    const client = new Redis(redis.url)
    try {
      expect(await client.xlen(`t${prefixCount}:log`)).toBe(3)
    } finally {
      client.disconnect()
    }
  })

  it('retention maxAgeMs drops events older than the limit', async () => {
    const store = open({ replay: { maxAgeMs: 100 } })
    const old = await append(store, ['t'], 'old')
    const before = await store.head()
    const beforeOld = await store.readAfter(before, new Set(['t']))
    expect(beforeOld.ok).toBe(true)
    // Age is the one thing with no condition to wait on.
    await new Promise((r) => setTimeout(r, 250))
    const fresh = await append(store, ['t'], 'fresh')
    const read = await store.readAfter(old.id, new Set(['t']))
    expect(read.ok && read.events.map((e) => e.data)).toEqual(['fresh'])
    const fromStart = await store.readAfter(
      fresh.id.replace(/-\d+$/, '-0').replace(/^\d+/, '1'),
      new Set(['t']),
    )
    expect(fromStart).toEqual({ ok: false, reason: 'unknown' })
  })

  it('retention maxAgeMs is exact: an entry maxAgeMs old is trimmed, as in the memory store', async () => {
    const maxAgeMs = 5
    const client = new Redis(redis.url)
    const redisNow = async () => {
      const [seconds, micros] = await client.time()
      return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000)
    }
    try {
      // The boundary is one millisecond wide: each round hits it when the seed and the append's
      // trim run within the same millisecond of Redis' clock, which is likely but not certain.
      for (let round = 0; round < 20; round++) {
        const prefix = `t${++prefixCount}`
        const store = redisReplayStore({ client }, { prefix, replay: { maxAgeMs } })
        stores.push(store)
        const floor = Number((await store.head()).split('-')[0])
        // The seeded id must come after the log's floor.
        while ((await redisNow()) <= floor + maxAgeMs + 1) await new Promise((r) => setTimeout(r, 2))
        // Seed an entry exactly maxAgeMs older than Redis' clock and append right behind it on the
        // same connection.
        const seeded = client.eval(SEED_AGED, 1, `${prefix}:log`, maxAgeMs) as Promise<string>
        const fresh = await append(store, ['t'], 'fresh')
        const old = await seeded
        const kept = (await client.xrange(`${prefix}:log`, '-', '+')).map(([id]) => id)
        expect(kept).toEqual([fresh.id])
        expect(await client.hget(`${prefix}:meta`, 'trimmed')).toBe(old)
      }
    } finally {
      client.disconnect()
    }
  })

  it('an id from before the log existed is unknown, and one from before it was trimmed is evicted', async () => {
    const store = open({ replay: { maxEvents: 1 } })
    const head = await store.head()
    const [ms] = head.split('-')
    expect(await store.readAfter(`${Number(ms) - 1}-0`, new Set(['t']))).toEqual({
      ok: false,
      reason: 'unknown',
    })
    await append(store, ['t'], 'a')
    await append(store, ['t'], 'b')
    expect(await store.readAfter(head, new Set(['t']))).toEqual({ ok: false, reason: 'evicted' })
  })

  it.each([['abc'], [''], ['1-2-3'], ['x'.repeat(257)], ['99999999999999-0'], ['18446744073709551616-0']])(
    'readAfter(%j) is unknown',
    async (id) => {
      const store = open()
      await append(store, ['t'], 'a')
      expect(await store.readAfter(id, new Set(['t']))).toEqual({ ok: false, reason: 'unknown' })
    },
  )

  it('ids Redis lost (restart without persistence) are unknown, also once new events arrive', async () => {
    const store = open()
    await append(store, ['t'], 'a')
    const lost = (await append(store, ['t'], 'b')).id
    await redis.kill()
    await redis.start()
    // The store reconnects by itself; wait for it instead of for a fixed time.
    await expect
      .poll(
        () =>
          store.head().then(
            () => true,
            () => false,
          ),
        { timeout: 10_000 },
      )
      .toBe(true)
    expect(await store.readAfter(lost, new Set(['t']))).toEqual({ ok: false, reason: 'unknown' })
    const fresh = await append(store, ['t'], 'c')
    expect(store.compare(fresh.id, lost)).toBeGreaterThan(0)
    expect(await store.readAfter(lost, new Set(['t']))).toEqual({ ok: false, reason: 'unknown' })
  })

  it('a log longer than one read page is replayed completely', async () => {
    const store = open({ replay: { maxEvents: 5000 } })
    const head = await store.head()
    const pipeline = []
    for (let i = 0; i < 2500; i++) pipeline.push(append(store, [i % 2 === 0 ? 'even' : 'odd'], String(i)))
    const ids = (await Promise.all(pipeline)).map((r) => r.id)
    expect([...ids].sort(store.compare)).toEqual(ids)
    const read = await store.readAfter(head, new Set(['even']))
    expect(read.ok && read.events.length).toBe(1250)
    expect(read.ok && read.events.map((e) => Number(e.data))).toEqual(
      Array.from({ length: 1250 }, (_, i) => i * 2),
    )
    expect(read.ok && read.head).toBe(ids[2499])
  })

  it('rejects with BACKPLANE_UNAVAILABLE, fast, while Redis is down', async () => {
    const store = open()
    await append(store, ['t'], 'a')
    await redis.stop()
    try {
      const started = Date.now()
      const error = await append(store, ['t'], 'b').catch((e: unknown) => e)
      expect(isNotifyError(error) && error.code).toBe('BACKPLANE_UNAVAILABLE')
      expect(Date.now() - started).toBeLessThan(1000)
      const readError = await store.readAfter('1-0', new Set(['t'])).catch((e: unknown) => e)
      expect(isNotifyError(readError) && readError.code).toBe('BACKPLANE_UNAVAILABLE')
    } finally {
      await redis.start()
    }
  })

  it('a Redis that stops answering fails the call after commandTimeoutMs; a retry with the same key is not a second event', async () => {
    const store = open({ commandTimeoutMs: 300 })
    const head = await store.head()
    const admin = new Redis(redis.url)
    try {
      await admin.call('CLIENT', 'PAUSE', '2000', 'ALL')
      const started = Date.now()
      const error = await store
        .append({ topics: ['t'], event: 'e', data: 'x', key: 'paused', keyTtlMs: TTL })
        .catch((e: unknown) => e)
      expect(isNotifyError(error) && error.code).toBe('BACKPLANE_UNAVAILABLE')
      expect(Date.now() - started).toBeLessThan(1500)
      await admin.call('CLIENT', 'UNPAUSE')
      // The timed-out call still ran once Redis resumed; the retry resolves to its id.
      const retry = await store.append({ topics: ['t'], event: 'e', data: 'x', key: 'paused', keyTtlMs: TTL })
      expect(retry.duplicate).toBe(true)
      const read = await store.readAfter(head, new Set(['t']))
      expect(read.ok && read.events.map((e) => e.id)).toEqual([retry.id])
    } finally {
      await admin.call('CLIENT', 'UNPAUSE').catch(() => undefined)
      admin.disconnect()
    }
  })

  it('head() rejects with BACKPLANE_UNAVAILABLE when Redis is not reachable within connectTimeoutMs', async () => {
    const store = redisReplayStore({ url: 'redis://127.0.0.1:1' }, { connectTimeoutMs: 200 })
    stores.push(store)
    const error = await store.head().catch((e: unknown) => e)
    expect(isNotifyError(error) && error.code).toBe('BACKPLANE_UNAVAILABLE')
  })

  it('works with a client you own, and leaves it open on close()', async () => {
    const client = new Redis(redis.url, { enableOfflineQueue: false })
    await new Promise((resolve) => client.once('ready', resolve))
    const store = redisReplayStore({ client }, { prefix: 'own' })
    const head = await store.head()
    const { id } = await append(store, ['t'], 'a')
    expect(store.compare(id, head)).toBeGreaterThan(0)
    await store.close?.()
    expect(await client.ping()).toBe('PONG')
    client.disconnect()
  })

  it('connects a lazyConnect client you pass', async () => {
    const client = new Redis(redis.url, { lazyConnect: true, enableOfflineQueue: false })
    try {
      const store = redisReplayStore({ client }, { prefix: 'lazy' })
      expect(await store.head()).toMatch(/^\d+-\d+$/)
    } finally {
      client.disconnect()
    }
  })

  it.each([
    [{ replay: { maxEvents: 0 } }, 'replay.maxEvents'],
    [{ replay: { maxAgeMs: -1 } }, 'replay.maxAgeMs'],
    [{ replay: { maxEvents: 1.5 } }, 'replay.maxEvents'],
    [{ commandTimeoutMs: 0 }, 'commandTimeoutMs'],
    [{ prefix: '' }, 'prefix'],
  ])('rejects the option %j with INVALID_OPTION', (options, name) => {
    expect(() => redisReplayStore({ url: redis.url }, options)).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION', message: expect.stringContaining(name) }),
    )
  })

  it('rejects a missing url with INVALID_OPTION', () => {
    expect(() => redisReplayStore({ url: '' })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }))
  })
})
