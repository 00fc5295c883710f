import { type RedisServer, redisServer, requireBinary } from '@notify/test-utils'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { type Follower, follow, type Instance, publish, startInstance, statusOf } from './processes.js'

const binary = requireBinary('redis-server', 'apt-get install -y redis-server')
const END = { end: true }

// Three instances in separate processes; clients spread across them like behind a load balancer.
describe.skipIf(binary === undefined)('three instances on one Redis (separate processes)', () => {
  let redis: RedisServer
  let instances: Instance[] = []
  let followers: Follower[] = []
  let prefixCount = 0

  async function startThree(env: Record<string, string> = {}): Promise<Instance[]> {
    const prefix = `mi${++prefixCount}`
    instances = await Promise.all(
      [0, 1, 2].map(() => startInstance({ REDIS_URL: redis.url, PREFIX: prefix, ...env })),
    )
    return instances
  }
  async function client(order: Instance[], topics: string[], lastEventId?: string): Promise<Follower> {
    const follower = await follow(order, topics, lastEventId)
    followers.push(follower)
    // Subscribed once the stream's position frame arrived.
    await expect.poll(() => follower.current?.ids.length ?? 0, { timeout: 10_000 }).toBeGreaterThan(0)
    return follower
  }
  const endsWithMarker = (received: unknown[]) => JSON.stringify(received.at(-1)) === JSON.stringify(END)

  beforeAll(async () => {
    redis = await redisServer({ binary, appendonly: true })
  })
  afterEach(async () => {
    for (const follower of followers) follower.close()
    followers = []
    const codes = await Promise.all(instances.map((instance) => instance.stop()))
    const stderr = instances.map((instance) => instance.stderr()).join('')
    instances = []
    // No instance crashed or saw an unhandled rejection (exit 70); a SIGKILLed one reports SIGKILL.
    for (const code of codes) expect([0, 'SIGKILL'], stderr).toContain(code)
    expect(stderr).not.toMatch(/UNHANDLED|UNCAUGHT/)
  })
  afterAll(async () => {
    await redis?.dispose()
  })

  it('every client gets every event for its topics exactly once, in publish order', async () => {
    const [a, b, c] = await startThree()
    const spread = [
      await client([a!], ['red']),
      await client([b!], ['red']),
      await client([c!], ['blue']),
      await client([a!], ['red', 'blue']),
      await client([b!], ['blue']),
      await client([c!], ['red', 'blue']),
    ]
    const expected = { red: [] as unknown[], blue: [] as unknown[], both: [] as unknown[] }
    for (let i = 0; i < 90; i++) {
      const topics = i % 3 === 0 ? ['red'] : i % 3 === 1 ? ['blue'] : ['red', 'blue']
      const { status } = await publish(instances[i % 3]!, topics, { i })
      expect(status).toBe(200)
      if (topics.includes('red')) expected.red.push({ i })
      if (topics.includes('blue')) expected.blue.push({ i })
      expected.both.push({ i })
    }
    expect((await publish(a!, ['red', 'blue'], END)).status).toBe(200)
    await Promise.all(spread.map((f) => f.until(endsWithMarker)))
    const want = [expected.red, expected.red, expected.blue, expected.both, expected.blue, expected.both]
    spread.forEach((follower, n) => {
      expect(follower.received).toEqual([...want[n]!, END])
      expect(follower.resets).toEqual([])
    })
  })

  it('SIGKILL of an instance while publishing: its clients resume on another one, nothing lost or repeated', async () => {
    const [a, b, c] = await startThree()
    const onA = [await client([a!, b!], ['t']), await client([a!, c!], ['t'])]
    const onB = await client([b!], ['t'])
    const accepted: unknown[] = []
    for (let i = 0; i < 120; i++) {
      if (i === 40) a!.child.kill('SIGKILL')
      // A publisher retries on another instance with the same key: at most one event per i.
      for (const target of [instances[i % 3]!, b!, c!]) {
        const result = await publish(target, ['t'], { i }, `k${i}`).catch(() => undefined)
        if (result?.status === 200) {
          if (result.body.duplicate !== true) accepted.push({ i })
          break
        }
      }
    }
    expect(accepted).toHaveLength(120)
    expect((await publish(b!, ['t'], END)).status).toBe(200)
    await Promise.all([...onA, onB].map((f) => f.until(endsWithMarker)))
    for (const follower of [...onA, onB]) {
      expect(follower.received).toEqual([...accepted, END])
      expect(follower.resets).toEqual([])
    }
    for (const follower of onA) expect(follower.streams).toBeGreaterThanOrEqual(2)
    expect(await a!.exited).toBe('SIGKILL')
  })

  it('Redis stopped gracefully (appendonly yes) and restarted: publishes fail with BACKPLANE_UNAVAILABLE, streams stay open, every accepted event arrives', async () => {
    const [a, b, c] = await startThree()
    const clients = [await client([a!], ['t']), await client([b!], ['t']), await client([c!], ['t'])]
    const accepted: unknown[] = []
    for (let i = 0; i < 10; i++) {
      expect((await publish(instances[i % 3]!, ['t'], { i })).status).toBe(200)
      accepted.push({ i })
    }
    await Promise.all(clients.map((f) => f.until((r) => r.length === 10)))
    const streamsBefore = clients.map((f) => f.current)

    await redis.stop()
    for (const instance of [a!, b!, c!])
      await expect.poll(() => statusOf(instance), { timeout: 10_000 }).toBe('down')
    for (let i = 10; i < 16; i++) {
      const started = Date.now()
      const { status, body } = await publish(instances[i % 3]!, ['t'], { i })
      expect(status).toBe(503)
      expect(body.error?.code).toBe('BACKPLANE_UNAVAILABLE')
      expect(Date.now() - started).toBeLessThan(2500)
    }

    await redis.start()
    for (const instance of [a!, b!, c!])
      await expect.poll(() => statusOf(instance), { timeout: 15_000 }).toBe('up')
    for (let i = 16; i < 30; i++) {
      expect((await publish(instances[i % 3]!, ['t'], { i })).status).toBe(200)
      accepted.push({ i })
    }
    expect((await publish(c!, ['t'], END)).status).toBe(200)
    await Promise.all(clients.map((f) => f.until(endsWithMarker)))
    clients.forEach((follower, n) => {
      expect(follower.received).toEqual([...accepted, END])
      // The same stream throughout: the outage did not close it.
      expect(follower.current).toBe(streamsBefore[n])
      expect(follower.streams).toBe(1)
    })
  })

  it('retention: a Last-Event-ID older than maxEvents gets notify:reset (evicted), a recent one its missed events', async () => {
    const [a, b] = await startThree({ MAX_EVENTS: '5' })
    const ids: string[] = []
    for (let i = 0; i < 10; i++) {
      const { body } = await publish(a!, ['t'], { i })
      ids.push(body.id!)
    }
    const old = await client([b!], ['t'], ids[2])
    await expect.poll(() => old.resets.length, { timeout: 10_000 }).toBe(1)
    expect(old.resets[0]).toEqual({ reason: 'evicted', lastEventId: ids[2] })
    const recent = await client([b!], ['t'], ids[6])
    await recent.until((r) => r.length === 3)
    expect(recent.received).toEqual([{ i: 7 }, { i: 8 }, { i: 9 }])
    expect(recent.resets).toEqual([])
    expect(old.received).toEqual([])
  })
})

describe.skipIf(binary === undefined)('Redis killed without persistence', () => {
  let redis: RedisServer
  let instances: Instance[] = []
  const followers: Follower[] = []

  beforeAll(async () => {
    redis = await redisServer({ binary, appendonly: false })
  })
  afterAll(async () => {
    for (const follower of followers) follower.close()
    const codes = await Promise.all(instances.map((instance) => instance.stop()))
    for (const code of codes) expect(code).toBe(0)
    await redis?.dispose()
  })

  it('nothing crashes, streams stay open, and clients holding ids Redis lost get notify:reset', async () => {
    instances = await Promise.all(
      [0, 1, 2].map(() => startInstance({ REDIS_URL: redis.url, PREFIX: 'lost' })),
    )
    const [a, b, c] = instances
    const live = await follow([a!], ['t'])
    followers.push(live)
    await expect.poll(() => live.current?.ids.length ?? 0, { timeout: 10_000 }).toBeGreaterThan(0)
    const ids: string[] = []
    for (let i = 0; i < 5; i++) ids.push((await publish(b!, ['t'], { i })).body.id!)
    await live.until((r) => r.length === 5)
    const stream = live.current

    await redis.kill()
    await expect.poll(() => statusOf(c!), { timeout: 10_000 }).toBe('down')
    expect((await publish(c!, ['t'], { lost: true })).body.error?.code).toBe('BACKPLANE_UNAVAILABLE')
    await redis.start()
    for (const instance of instances)
      await expect.poll(() => statusOf(instance), { timeout: 15_000 }).toBe('up')

    // Live streams continue with the new log's events.
    expect((await publish(c!, ['t'], { i: 5 })).status).toBe(200)
    await live.until((r) => r.length === 6)
    expect(live.received.at(-1)).toEqual({ i: 5 })
    expect(live.current).toBe(stream)
    expect(live.streams).toBe(1)

    // A client resuming from an id the restarted Redis never saw is told to reload.
    const resuming = await follow([b!], ['t'], ids[3])
    followers.push(resuming)
    await expect.poll(() => resuming.resets.length, { timeout: 10_000 }).toBe(1)
    expect(resuming.resets[0]).toEqual({ reason: 'unknown', lastEventId: ids[3] })
    // No lost event is replayed; the new one may follow live if b's reader had not delivered it yet.
    expect([[], [{ i: 5 }]]).toContainEqual(resuming.received)
    for (const instance of instances) {
      expect(instance.child.exitCode).toBeNull()
      expect(instance.stderr()).not.toMatch(/UNHANDLED|UNCAUGHT/)
    }
  })
})
