import { createHub } from '@notify/core'
import { sse } from '@notify/core/node'
import { type RedisServer, listen, openStream, redisServer, requireBinary } from '@notify/test-utils'
import { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { redisBackplane, redisPresence } from '../src/index.js'

const binary = requireBinary('redis-server', 'apt-get install -y redis-server')

describe.skipIf(binary === undefined)('redisPresence (real redis-server)', () => {
  let redis: RedisServer
  let prefixCount = 0
  const cleanups: (() => Promise<unknown>)[] = []

  async function instance(prefix: string, connection?: { client: Redis }) {
    const presence = redisPresence(connection ?? { url: redis.url }, { prefix, ttlMs: 600 })
    const hub = createHub({
      backplane: redisBackplane({ url: redis.url }, { prefix }),
      onConnect: presence.onConnect,
      onDisconnect: presence.onDisconnect,
    })
    const server = await listen(
      sse(hub, { topics: (req) => new URL(req.url ?? '/', 'http://x').searchParams.getAll('topic') }),
    )
    cleanups.push(
      () => presence.close(),
      () => hub.close(),
      () => server.close(),
    )
    return { presence, hub, url: server.url }
  }
  async function open(url: string, topics: string[]) {
    const stream = await openStream(`${url}/?${new URLSearchParams(topics.map((t) => ['topic', t]))}`)
    await stream.until((s) => s.ids.length === 1)
    cleanups.push(async () => stream.close())
    return stream
  }

  beforeAll(async () => {
    redis = await redisServer({ binary })
  })
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  })
  afterAll(async () => {
    await redis?.dispose()
  })

  it('counts streams per topic across instances, and drops closed ones', async () => {
    const prefix = `p${++prefixCount}`
    const a = await instance(prefix)
    const b = await instance(prefix)
    const one = await open(a.url, ['news', 'sport'])
    await open(b.url, ['news'])
    await open(b.url, ['news'])
    await expect
      .poll(() => a.presence.counts(['news', 'sport', 'none']), { timeout: 5000 })
      .toEqual({
        news: 3,
        sport: 1,
        none: 0,
      })
    expect(await b.presence.count('news')).toBe(3)
    expect(Object.fromEntries(b.presence.local())).toEqual({ news: 2 })
    one.close()
    await expect
      .poll(() => b.presence.counts(['news', 'sport']), { timeout: 5000 })
      .toEqual({ news: 2, sport: 0 })
  })

  it('a dead instance’s connections disappear after ttlMs', async () => {
    const prefix = `p${++prefixCount}`
    const client = new Redis(redis.url, { enableOfflineQueue: false })
    await new Promise((resolve) => client.once('ready', resolve))
    const doomed = await instance(prefix, { client })
    const alive = await instance(prefix)
    await open(doomed.url, ['t'])
    await open(alive.url, ['t'])
    await expect.poll(() => alive.presence.count('t'), { timeout: 5000 }).toBe(2)
    // The doomed instance loses Redis for good: it can no longer refresh its counts.
    client.disconnect()
    await expect.poll(() => alive.presence.count('t'), { timeout: 5000 }).toBe(1)
  })

  it('close() removes the instance’s counts at once', async () => {
    const prefix = `p${++prefixCount}`
    const a = await instance(prefix)
    const b = await instance(prefix)
    await open(a.url, ['t'])
    await expect.poll(() => b.presence.count('t'), { timeout: 5000 }).toBe(1)
    await a.presence.close()
    expect(await b.presence.count('t')).toBe(0)
  })

  it.each([
    [{ ttlMs: 0 }, 'ttlMs'],
    [{ prefix: '' }, 'prefix'],
    [{ commandTimeoutMs: -5 }, 'commandTimeoutMs'],
  ])('rejects the option %j with INVALID_OPTION', (options, name) => {
    expect(() => redisPresence({ url: redis.url }, options)).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION', message: expect.stringContaining(name) }),
    )
  })
})
