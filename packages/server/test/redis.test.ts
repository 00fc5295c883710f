import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { redisBackplane } from '@notify/redis'
import { type RedisServer, freePort, openStream, redisServer, requireBinary } from '@notify/test-utils'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { mintToken } from '../src/index.js'
import { SECRET, type Started, start, waitFor } from './helpers.js'

const redisBinary = requireBinary('redis-server', 'apt-get install -y redis-server')

describe.skipIf(redisBinary === undefined)('with the Redis backplane', () => {
  let redis: RedisServer
  const servers: Started[] = []

  beforeEach(async () => {
    redis = await redisServer()
  })
  afterEach(async () => {
    for (const server of servers.splice(0)) await server.close()
    await redis.dispose()
  })

  const instance = async () => {
    const prefix = `t${redis.port}`
    const server = await start({
      backplane: redisBackplane({ url: redis.url }, { prefix, commandTimeoutMs: 500 }),
    })
    servers.push(server)
    await server.notify.hub.ready()
    return server
  }

  it('an event published on one instance reaches a subscriber of another; ids resume across instances', async () => {
    const a = await instance()
    const b = await instance()
    const token = await b.token('alice')
    const stream = await openStream(`${b.url}/events`, { headers: { authorization: `Bearer ${token}` } })
    await stream.until((s) => s.ids.length > 0)
    const response = await a.publish({ topic: 'user:alice', event: 'hello', data: 1 })
    expect(response.status).toBe(202)
    await stream.until((s) => s.events.length === 1)
    const firstId = stream.events[0]!.id!
    stream.close()
    await a.publish({ topic: 'user:alice', event: 'missed', data: 2 })
    // Resuming on the other instance: the log is shared, so nothing is lost.
    const resumed = await openStream(`${a.url}/events`, {
      headers: { authorization: `Bearer ${token}`, 'last-event-id': firstId },
    })
    await resumed.until((s) => s.events.length === 1)
    expect(resumed.events[0]?.event).toBe('missed')
    resumed.close()
  })

  it('ready is 503 and publish is 503 while Redis is down; both recover', async () => {
    const server = await instance()
    // The backplane reports up once its reader is connected, which may come just after hub.ready().
    await waitFor(() => server.notify.hub.stats().backplane === 'up', 10_000, 'backplane up')
    const first = await fetch(`${server.url}/ready`)
    expect(await first.json()).toEqual({ ready: true })
    await redis.stop()
    await waitFor(() => server.notify.hub.stats().backplane === 'down', 15_000, 'backplane down')
    expect((await fetch(`${server.url}/ready`)).status).toBe(503)
    expect((await (await fetch(`${server.url}/health`)).json()) as object).toMatchObject({
      status: 'degraded',
    })
    const refused = await server.publish({ topic: 'a', event: 'e', data: 1 })
    expect(refused.status).toBe(503)
    expect(refused.headers.get('retry-after')).toBeTruthy()
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('BACKPLANE_UNAVAILABLE')
    await redis.start()
    await waitFor(() => server.notify.hub.stats().backplane === 'up', 20_000, 'backplane up')
    expect((await fetch(`${server.url}/ready`)).status).toBe(200)
    expect((await server.publish({ topic: 'a', event: 'e', data: 1 })).status).toBe(202)
  })

  it('the CLI shares events across two processes with --redis', async () => {
    const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url))
    const ports = [await freePort(), await freePort()]
    const children = ports.map((port) =>
      spawn(process.execPath, [cli, '--port', String(port), '--host', '127.0.0.1', '--redis', redis.url], {
        env: { PATH: process.env.PATH, NOTIFY_JWT_SECRET: SECRET },
        stdio: ['ignore', 'pipe', 'inherit'],
      }),
    )
    try {
      const outputs = children.map((child) => {
        const out = { text: '' }
        child.stdout!.on('data', (chunk: Buffer) => {
          out.text += chunk.toString()
        })
        return out
      })
      await waitFor(
        () => outputs.every((o) => o.text.includes('"msg":"listening"')),
        15_000,
        'both listening',
      )
      expect(outputs[0]!.text).toContain('"backplane":')
      const token = await mintToken({ secret: SECRET, sub: 'alice' })
      const stream = await openStream(`http://127.0.0.1:${ports[1]}/events`, {
        headers: { authorization: `Bearer ${token}` },
      })
      await stream.until((s) => s.ids.length > 0)
      const publisher = await mintToken({ secret: SECRET, sub: 'svc', publish: ['*'] })
      const response = await fetch(`http://127.0.0.1:${ports[0]}/publish`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${publisher}` },
        body: JSON.stringify({ topic: 'user:alice', event: 'cross', data: 'instance' }),
      })
      expect(response.status).toBe(202)
      await stream.until((s) => s.events.length === 1, 10_000)
      expect(stream.events[0]?.event).toBe('cross')
      stream.close()
    } finally {
      await Promise.all(
        children.map(
          (child) =>
            new Promise<void>((resolve) => {
              child.once('exit', () => resolve())
              child.kill('SIGTERM')
            }),
        ),
      )
    }
  })
})
