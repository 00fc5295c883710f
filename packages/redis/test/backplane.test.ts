import { type BackplaneStatus, createHub, type Hub, isNotifyError } from '@notify/core'
import { sse } from '@notify/core/node'
import {
  type Listening,
  listen,
  openStream,
  type RedisServer,
  redisServer,
  requireBinary,
} from '@notify/test-utils'
import { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { redisBackplane } from '../src/index.js'

const binary = requireBinary('redis-server', 'apt-get install -y redis-server')

describe.skipIf(binary === undefined)('redisBackplane in one process (real redis-server)', () => {
  let redis: RedisServer
  let prefixCount = 0
  const cleanups: (() => Promise<unknown>)[] = []

  async function serve(hub: Hub): Promise<Listening> {
    const handler = sse(hub, {
      topics: (req) => new URL(req.url ?? '/', 'http://x').searchParams.getAll('topic'),
    })
    const server = await listen(handler)
    cleanups.push(() => server.close())
    return server
  }
  function hubOn(options: Parameters<typeof redisBackplane>[1] = {}, prefix = `bp${++prefixCount}`) {
    const errors: unknown[] = []
    const backplane = redisBackplane(
      { url: redis.url },
      { prefix, onError: (e) => errors.push(e), ...options },
    )
    const statuses: BackplaneStatus[] = []
    backplane.onStatus((s) => statuses.push(s))
    const hub = createHub({ backplane, heartbeatMs: 500 })
    cleanups.push(() => hub.close())
    return { hub, backplane, statuses, errors }
  }

  beforeAll(async () => {
    redis = await redisServer({ binary, appendonly: true })
  })
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  })
  afterAll(async () => {
    await redis?.dispose()
  })

  it('delivers own and other hubs’ events through Redis, not locally, in log order', async () => {
    const one = hubOn({}, 'shared')
    const two = hubOn({}, 'shared')
    await Promise.all([one.hub.ready(), two.hub.ready()])
    await expect.poll(() => one.backplane.status()).toBe('up')
    await expect.poll(() => two.backplane.status()).toBe('up')
    const server = await serve(two.hub)
    const stream = await openStream(`${server.url}/?topic=t`)
    await stream.until((s) => s.ids.length === 1)
    const ids: string[] = []
    for (let i = 0; i < 10; i++) ids.push((await (i % 2 ? one : two).hub.publish('t', 'e', i)).id)
    await stream.until((s) => s.events.length === 10)
    expect(stream.events.map((e) => [e.id, e.data])).toEqual(ids.map((id, i) => [id, String(i)]))
    stream.close()
  })

  it('status goes down while Redis is away and up when it is back; publish fails fast meanwhile, then the gap is filled', async () => {
    const { hub, backplane, statuses } = hubOn()
    await hub.ready()
    await expect.poll(() => backplane.status()).toBe('up')
    const server = await serve(hub)
    const stream = await openStream(`${server.url}/?topic=t`)
    await stream.until((s) => s.ids.length === 1)
    await hub.publish('t', 'e', 'before')
    await stream.until((s) => s.events.length === 1)

    await redis.stop()
    await expect.poll(() => backplane.status()).toBe('down')
    expect(hub.stats().backplane).toBe('down')
    const started = Date.now()
    const error = await hub.publish('t', 'e', 'during').catch((e: unknown) => e)
    expect(isNotifyError(error) && error.code).toBe('BACKPLANE_UNAVAILABLE')
    expect(Date.now() - started).toBeLessThan(1000)

    // Another writer fills the log while this hub's reader is still reconnecting.
    await redis.start()
    const other = hubOn({}, `bp${prefixCount}`)
    await other.hub.publish('t', 'e', 'after-1')
    await other.hub.publish('t', 'e', 'after-2')
    await expect.poll(() => backplane.status(), { timeout: 10_000 }).toBe('up')
    await hub.publish('t', 'e', 'after-3')
    await stream.until((s) => s.events.length === 4, 10_000)
    expect(stream.events.map((e) => e.data)).toEqual(['"before"', '"after-1"', '"after-2"', '"after-3"'])
    expect(statuses).toEqual(expect.arrayContaining(['down', 'up']))
    expect(statuses.indexOf('down')).toBeLessThan(statuses.lastIndexOf('up'))
    stream.close()
  })

  it('reports entries trimmed while its reader was away through onError, and closes its streams', async () => {
    const { hub, backplane, errors } = hubOn({ replay: { maxEvents: 2 } })
    await hub.ready()
    await expect.poll(() => backplane.status()).toBe('up')
    const prefix = `bp${prefixCount}`
    const server = await serve(hub)
    const stream = await openStream(`${server.url}/?topic=t`)
    await stream.until((s) => s.ids.length === 1)
    let ended = false
    void stream.ended.then(() => {
      ended = true
    })
    // Stop this hub's reader without stopping Redis: kill its connection from the server side.
    const admin = new Redis(redis.url)
    cleanups.push(async () => admin.disconnect())
    await hub.publish('t', 'e', 0)
    const other = hubOn({ replay: { maxEvents: 2 } }, prefix)
    await other.hub.ready()
    await admin.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes')
    // While both reconnect, a third writer appends more than the log keeps.
    const writer = redisBackplane({ url: redis.url }, { prefix, replay: { maxEvents: 2 } })
    cleanups.push(() => writer.close())
    for (let i = 1; i <= 5; i++)
      await writer.store.append({ topics: ['t'], event: 'e', data: String(i), keyTtlMs: 1000 })
    await expect
      .poll(() => errors.some((e) => String((e as Error).message).includes('trimmed')), { timeout: 10_000 })
      .toBe(true)
    // The hub closes its streams (reason `gap`), so clients resume from the log or get notify:reset.
    await expect.poll(() => ended, { timeout: 10_000 }).toBe(true)
    expect(hub.stats().connections).toBe(0)
  })

  it('close() stops the reader, quits its clients and reports down; publish afterwards is HUB_CLOSED', async () => {
    const { hub, backplane, statuses } = hubOn()
    await hub.ready()
    await expect.poll(() => backplane.status()).toBe('up')
    const admin = new Redis(redis.url)
    cleanups.push(async () => admin.disconnect())
    const before = String(await admin.client('LIST'))
      .split('\n')
      .filter(Boolean).length
    await hub.close()
    expect(backplane.status()).toBe('down')
    expect(statuses.at(-1)).toBe('down')
    await expect
      .poll(
        async () =>
          String(await admin.client('LIST'))
            .split('\n')
            .filter(Boolean).length,
      )
      .toBe(before - 2)
    await expect(hub.publish('t', 'e', 1)).rejects.toMatchObject({ code: 'HUB_CLOSED' })
    await backplane.close()
  })

  it('close() while Redis is down resolves promptly and leaves nothing running', async () => {
    const { hub, backplane } = hubOn()
    await hub.ready()
    await expect.poll(() => backplane.status()).toBe('up')
    await redis.stop()
    try {
      await expect.poll(() => backplane.status()).toBe('down')
      const started = Date.now()
      await hub.close()
      expect(Date.now() - started).toBeLessThan(1000)
      expect(backplane.status()).toBe('down')
    } finally {
      await redis.start()
    }
  })

  it('uses a client you own for commands and a duplicate for reading; never closes yours', async () => {
    const client = new Redis(redis.url, { enableOfflineQueue: false })
    cleanups.push(async () => client.disconnect())
    await new Promise((resolve) => client.once('ready', resolve))
    const backplane = redisBackplane({ client }, { prefix: `own${++prefixCount}` })
    const hub = createHub({ backplane })
    const server = await serve(hub)
    const stream = await openStream(`${server.url}/?topic=t`)
    await stream.until((s) => s.ids.length === 1)
    await hub.publish('t', 'e', 'x')
    await stream.until((s) => s.events.length === 1)
    stream.close()
    await hub.close()
    expect(await client.ping()).toBe('PONG')
  })

  it('a throwing status listener or onError does not stop delivery', async () => {
    const backplane = redisBackplane(
      { url: redis.url },
      {
        prefix: `bp${++prefixCount}`,
        onError: () => {
          throw new Error('hook')
        },
      },
    )
    backplane.onStatus(() => {
      throw new Error('listener')
    })
    const hub = createHub({ backplane })
    cleanups.push(() => hub.close())
    const server = await serve(hub)
    const stream = await openStream(`${server.url}/?topic=t`)
    await stream.until((s) => s.ids.length === 1)
    await hub.publish('t', 'e', 1)
    await stream.until((s) => s.events.length === 1)
    stream.close()
  })

  it.each([
    [{ blockMs: 0 }, 'blockMs'],
    [{ readCount: -1 }, 'readCount'],
    [{ replay: { maxEvents: 0 } }, 'replay.maxEvents'],
  ])('rejects the option %j with INVALID_OPTION', (options, name) => {
    expect(() => redisBackplane({ url: redis.url }, options)).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION', message: expect.stringContaining(name) }),
    )
  })
})
