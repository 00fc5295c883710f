import { connect as connectSocket } from 'node:net'
import { type Listening, openStream, type Stream } from '@notify/test-utils'
import { EventSource } from 'eventsource'
import { afterEach, describe, expect, it } from 'vitest'
import { createHub, type Hub, type HubOptions, type Principal, type RequestView } from '../../src/index.js'

/** `sse()` options written once against a neutral request view; each target adapts them to its request type. */
export interface NeutralOptions {
  topics: (request: RequestView) => string[]
  authenticate?: (request: RequestView) => Principal | null
  authorize?: (principal: Principal, topic: string) => boolean
  maxConnections?: number
  maxConnectionsPerPrincipal?: number
}

/** One adapter under test: serves `sse(hub, options)` at `/events` on a real 127.0.0.1 server. */
export interface AdapterTarget {
  name: string
  start(hub: Hub, options: NeutralOptions): Promise<Listening>
}

const queryTopics: NeutralOptions['topics'] = (request) => {
  const topic = request.query('topic')
  return topic === undefined ? ['news'] : topic.split(',')
}

function bearer(request: RequestView): Principal | null {
  const header = request.header('authorization')
  if (header === undefined || !header.startsWith('Bearer ')) return null
  return { id: header.slice('Bearer '.length) }
}

async function eventually(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const started = Date.now()
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/** The behaviour every adapter must show on the wire, run once per adapter. */
export function describeAdapter(target: AdapterTarget): void {
  describe(`adapter contract: ${target.name}`, () => {
    const cleanups: (() => Promise<void> | void)[] = []
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
    })

    async function serve(hubOptions: HubOptions = {}, options: Partial<NeutralOptions> = {}) {
      const hub = createHub(hubOptions)
      const server = await target.start(hub, { topics: queryTopics, ...options })
      cleanups.push(
        () => server.close(),
        () => hub.close(),
      )
      return { hub, server, url: `${server.url}/events` }
    }

    async function stream(url: string, headers?: Record<string, string>): Promise<Stream> {
      const opened = await openStream(url, { headers })
      cleanups.push(() => opened.close())
      return opened
    }

    it('opens with the stream headers, retry, heartbeat comment and position frame', async () => {
      const { url } = await serve({ retryMs: 1500, heartbeatMs: 20_000 })
      const s = await stream(url)
      expect(s.status).toBe(200)
      expect(s.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
      expect(s.headers.get('cache-control')).toBe('no-cache, no-transform')
      expect(s.headers.get('x-accel-buffering')).toBe('no')
      await s.until((x) => x.ids.length === 1)
      expect(s.text).toMatch(/^retry: 1500\n\n: notify heartbeat=20000\n\nid: \d+-0\n\n$/)
      expect(s.events).toEqual([])
    })

    it('delivers multi-line and Unicode payloads with ids, in order', async () => {
      const { hub, url } = await serve()
      const s = await stream(`${url}?topic=news`)
      await s.until((x) => x.ids.length === 1)
      const payloads = [
        'plain',
        'two\nlines\r\nand\rthree',
        { emoji: '😀', accents: 'éàü', cjk: '通知', sep: '\u2028' },
        '',
      ]
      const ids: string[] = []
      for (const payload of payloads) ids.push((await hub.publish('news', 'note', payload)).id)
      await s.until((x) => x.events.length === payloads.length)
      expect(s.events.map((e) => e.id)).toEqual(ids)
      expect(s.events.map((e) => JSON.parse(e.data))).toEqual(payloads)
      expect(s.events.every((e) => e.event === 'note')).toBe(true)
    })

    it('writes a string that tries to inject fields as data lines only', async () => {
      const { hub, url } = await serve({ serialize: String })
      const s = await stream(url)
      await s.until((x) => x.ids.length === 1)
      const evil = 'x\n\nid: 666\nevent: evil\ndata: y'
      const { id } = await hub.publish('news', 'note', evil)
      await s.until((x) => x.events.length === 1)
      expect(s.events).toEqual([{ id, event: 'note', data: evil }])
      await expect(hub.publish('news', 'a\nevent: evil', 1)).rejects.toMatchObject({ code: 'INVALID_EVENT' })
    })

    it('works with the eventsource npm package, which resumes with Last-Event-ID after a drop', async () => {
      const resumedFrom: (string | undefined)[] = []
      const { hub, server, url } = await serve({
        retryMs: 50,
        onConnect: (info) => resumedFrom.push(info.lastEventId),
      })
      const received: { data: string; lastEventId: string }[] = []
      const source = new EventSource(url)
      cleanups.push(() => source.close())
      source.addEventListener('order.updated', (e) =>
        received.push({ data: e.data, lastEventId: e.lastEventId }),
      )
      await new Promise<void>((resolve, reject) => {
        source.onopen = () => resolve()
        source.onerror = () => reject(new Error('EventSource failed to open'))
      })
      source.onerror = null
      const first = await hub.publish('news', 'order.updated', { id: '1', status: 'paid' })
      await eventually(() => received.length === 1)
      expect(received[0]).toEqual({ data: '{"id":"1","status":"paid"}', lastEventId: first.id })
      // Drop every socket server-side and publish while the client is away.
      server.server.closeAllConnections()
      const missed = await hub.publish('news', 'order.updated', { id: '1', status: 'shipped' })
      await eventually(() => received.length === 2)
      expect(received[1]).toEqual({ data: '{"id":"1","status":"shipped"}', lastEventId: missed.id })
      expect(resumedFrom).toEqual([undefined, first.id])
    })

    it('replays what a client missed across repeated drops while publishing continues: no gap, no duplicate', async () => {
      const { hub, url } = await serve()
      // The position frame of a first visit is the resume point for everything published after it.
      const first = await stream(url)
      await first.until((x) => x.ids.length === 1)
      first.close()
      let lastId = first.ids[0]
      const published: string[] = []
      let publishing = true
      const publisher = (async () => {
        for (let i = 0; publishing && i < 2000; i++) {
          published.push((await hub.publish('news', 'n', i)).id)
          if (i % 5 === 0) await new Promise((resolve) => setImmediate(resolve))
        }
      })()
      const seen: string[] = []
      for (let round = 0; round < 6; round++) {
        const s = await stream(url, { 'last-event-id': lastId! })
        const target = seen.length + 20
        await s.until((x) => seen.length + x.events.length >= target, 10_000)
        s.close()
        await s.ended
        for (const e of s.events) seen.push(e.id!)
        expect(s.events.some((e) => e.event === 'notify:reset')).toBe(false)
        lastId = s.ids.at(-1)
      }
      publishing = false
      await publisher
      const final = await stream(url, { 'last-event-id': lastId! })
      await final.until((x) => seen.length + x.events.length === published.length, 10_000)
      for (const e of final.events) seen.push(e.id!)
      expect(seen).toEqual(published)
    })

    it('resumes from ?lastEventId= and lets the Last-Event-ID header win over it', async () => {
      const { hub, url } = await serve()
      const a = await hub.publish('news', 'n', 'a')
      const b = await hub.publish('news', 'n', 'b')
      const c = await hub.publish('news', 'n', 'c')
      const byQuery = await stream(`${url}?lastEventId=${encodeURIComponent(a.id)}`)
      await byQuery.until((x) => x.events.length === 2)
      expect(byQuery.events.map((e) => e.id)).toEqual([b.id, c.id])
      const both = await stream(`${url}?lastEventId=${encodeURIComponent(a.id)}`, { 'last-event-id': b.id })
      await both.until((x) => x.ids.length === 2)
      expect(both.events.map((e) => e.id)).toEqual([c.id])
    })

    it('sends notify:reset for an evicted id, then continues live', async () => {
      const { hub, url } = await serve({ replay: { maxEvents: 3 } })
      const old = await hub.publish('news', 'n', 0)
      for (let i = 1; i <= 5; i++) await hub.publish('news', 'n', i)
      const s = await stream(url, { 'last-event-id': old.id })
      await s.until((x) => x.ids.length === 2)
      expect(s.events).toHaveLength(1)
      expect(s.events[0]!.event).toBe('notify:reset')
      expect(JSON.parse(s.events[0]!.data)).toEqual({ reason: 'evicted', lastEventId: old.id })
      expect(s.events[0]!.id).toBe(s.ids[1])
      const live = await hub.publish('news', 'n', 'live')
      await s.until((x) => x.events.length === 2)
      expect(s.events[1]!.id).toBe(live.id)
    })

    it('treats a malformed or over-long Last-Event-ID as unknown, never a crash', async () => {
      const { url } = await serve()
      for (const id of ['garbage', 'x'.repeat(1000)]) {
        const s = await stream(url, { 'last-event-id': id })
        await s.until((x) => x.events.length === 1)
        expect(JSON.parse(s.events[0]!.data)).toEqual({ reason: 'unknown', lastEventId: id.slice(0, 256) })
      }
    })

    it('sends heartbeat comments on a silent stream', async () => {
      const { url } = await serve({ heartbeatMs: 100 })
      const s = await stream(url)
      await s.until((x) => x.comments.filter((c) => c === '').length >= 3, 3000)
      expect(s.comments[0]).toBe('notify heartbeat=100')
    })

    it('disconnects a slow consumer (a socket that stops reading) while a normal client keeps receiving', async () => {
      const { hub, server, url } = await serve({ maxBufferedBytes: 64 * 1024 })
      const normal = await stream(url)
      await normal.until((x) => x.ids.length === 1)
      const slow = connectSocket({ host: '127.0.0.1', port: server.port })
      cleanups.push(() => void slow.destroy())
      slow.setNoDelay(true)
      await new Promise<void>((resolve) => slow.once('connect', () => resolve()))
      slow.write(`GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n`)
      slow.pause()
      await eventually(() => hub.stats().connections === 2)
      const payload = 'x'.repeat(4096)
      let sent = 0
      while (hub.stats().slowConsumerDisconnects === 0 && sent < 20_000) {
        for (let i = 0; i < 50; i++) await hub.publish('news', 'big', payload)
        sent += 50
        await normal.until((x) => x.events.length === sent, 10_000)
      }
      expect(hub.stats().slowConsumerDisconnects).toBe(1)
      await eventually(() => hub.stats().connections === 1)
      // The slow peer's socket is dropped with its queue, not left to drain forever.
      const sockets = () =>
        new Promise<number>((resolve) => server.server.getConnections((_error, count) => resolve(count)))
      const started = Date.now()
      while ((await sockets()) > 1 && Date.now() - started < 5000) await new Promise((r) => setTimeout(r, 20))
      expect(await sockets()).toBe(1)
      await hub.publish('news', 'after', 1)
      await normal.until((x) => x.events.at(-1)?.event === 'after')
      expect(normal.events).toHaveLength(sent + 1)
    })

    it('replays a backlog far larger than maxBufferedBytes to a fast reader without cutting it off', async () => {
      const { hub, url } = await serve({ maxBufferedBytes: 64 * 1024 })
      const first = await stream(url)
      await first.until((x) => x.ids.length === 1)
      first.close()
      await eventually(() => hub.stats().connections === 0)
      const payload = 'y'.repeat(1000)
      const ids: string[] = []
      for (let i = 0; i < 2000; i++) ids.push((await hub.publish('news', 'n', payload)).id)
      const resumed = await stream(url, { 'last-event-id': first.ids[0]! })
      await resumed.until((x) => x.events.length === 2000, 15_000)
      expect(resumed.events.map((e) => e.id)).toEqual(ids)
      const live = await hub.publish('news', 'after', 1)
      await resumed.until((x) => x.events.at(-1)?.id === live.id)
      expect(hub.stats().slowConsumerDisconnects).toBe(0)
    })

    it('answers 401 when the principal has already expired', async () => {
      const { url } = await serve(
        {},
        {
          authenticate: (request) =>
            request.header('authorization') === 'Bearer old'
              ? { id: 'old', expiresAt: Date.now() - 1 }
              : null,
        },
      )
      const response = await fetch(url, { headers: { authorization: 'Bearer old' } })
      expect(response.status).toBe(401)
      expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(/expired/)
    })

    it('answers 401 with a JSON body when authenticate returns null', async () => {
      const { url } = await serve({}, { authenticate: bearer })
      const response = await fetch(url)
      expect(response.status).toBe(401)
      expect(response.headers.get('content-type')).toMatch(/^application\/json/)
      expect(await response.json()).toEqual({ error: { code: 'UNAUTHORIZED', message: expect.any(String) } })
      const ok = await stream(url, { authorization: 'Bearer alice' })
      expect(ok.status).toBe(200)
    })

    it('answers 500 without leaking a throwing callback, and hands the error to onError', async () => {
      const errors: unknown[] = []
      const { url } = await serve(
        { onError: (error) => errors.push(error) },
        {
          authenticate: () => {
            throw new Error('database password is hunter2')
          },
        },
      )
      const response = await fetch(url)
      expect(response.status).toBe(500)
      const body = (await response.json()) as { error: { code: string; message: string } }
      expect(body.error.code).toBe('INTERNAL_ERROR')
      expect(body.error.message).not.toContain('hunter2')
      expect(errors).toHaveLength(1)
      expect(String(errors[0])).toContain('hunter2')
    })

    it('answers 403 naming the topic when authorize refuses it', async () => {
      const { url } = await serve(
        {},
        { authenticate: bearer, authorize: (p, topic) => topic === `user:${p.id}` },
      )
      const response = await fetch(`${url}?topic=user:alice,user:bob`, {
        headers: { authorization: 'Bearer alice' },
      })
      expect(response.status).toBe(403)
      const body = (await response.json()) as { error: { code: string; message: string } }
      expect(body.error.code).toBe('FORBIDDEN')
      expect(body.error.message).toContain('user:bob')
    })

    it('answers 400 for an invalid topic', async () => {
      const { url } = await serve()
      const response = await fetch(`${url}?topic=ok,`)
      expect(response.status).toBe(400)
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('INVALID_TOPIC')
    })

    it('answers 429 with Retry-After past maxConnectionsPerPrincipal, 503 past maxConnections', async () => {
      const { url } = await serve(
        {},
        { authenticate: bearer, maxConnectionsPerPrincipal: 1, maxConnections: 2 },
      )
      const first = await stream(url, { authorization: 'Bearer alice' })
      await first.until((x) => x.ids.length === 1)
      const perUser = await fetch(url, { headers: { authorization: 'Bearer alice' } })
      expect(perUser.status).toBe(429)
      expect(perUser.headers.get('retry-after')).toBe('5')
      expect(((await perUser.json()) as { error: { code: string } }).error.code).toBe('TOO_MANY_CONNECTIONS')
      const second = await stream(url, { authorization: 'Bearer bob' })
      await second.until((x) => x.ids.length === 1)
      const global = await fetch(url, { headers: { authorization: 'Bearer carol' } })
      expect(global.status).toBe(503)
      expect(global.headers.get('retry-after')).toBe('5')
      expect(((await global.json()) as { error: { code: string } }).error.code).toBe('SERVER_BUSY')
    })

    it('holds the per-principal limit exactly under concurrent requests', async () => {
      const { url } = await serve({}, { authenticate: bearer, maxConnectionsPerPrincipal: 3 })
      const attempts = await Promise.all(
        Array.from({ length: 12 }, () => openStream(url, { headers: { authorization: 'Bearer alice' } })),
      )
      for (const attempt of attempts) cleanups.push(() => attempt.close())
      expect(attempts.filter((a) => a.status === 200)).toHaveLength(3)
      expect(attempts.filter((a) => a.status === 429)).toHaveLength(9)
    })

    it('removes the subscription as soon as the client goes away', async () => {
      const { hub, url } = await serve()
      const s = await stream(url)
      await s.until((x) => x.ids.length === 1)
      expect(hub.stats()).toMatchObject({ connections: 1, topics: 1 })
      s.close()
      await eventually(() => hub.stats().connections === 0, 3000)
      expect(hub.stats().topics).toBe(0)
    })

    it('hub.close() ends every stream cleanly and leaves no timer behind', async () => {
      const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length
      const before = timers()
      const { hub, url } = await serve({ heartbeatMs: 1000 })
      const streams = [await stream(url), await stream(url)]
      await Promise.all(streams.map((s) => s.until((x) => x.ids.length === 1)))
      await hub.close({ retryMs: 2000 })
      await Promise.all(streams.map((s) => s.ended))
      expect(streams.every((s) => s.retries.at(-1) === 2000)).toBe(true)
      expect(hub.stats().connections).toBe(0)
      expect(timers()).toBeLessThanOrEqual(before)
    })
  })
}
