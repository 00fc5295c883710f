import { afterEach, describe, expect, it } from 'vitest'
import {
  type Backplane,
  type Hub,
  type HubOptions,
  NotifyError,
  type StandardSchemaV1,
  admit,
  createHub,
  isNotifyError,
  memoryReplayStore,
} from '../src/index.js'
import { nextTick, RecordingSink } from './sink.js'

const hubs: Hub[] = []
function hub<E extends Record<string, unknown> = Record<string, unknown>>(
  options: HubOptions<E> = {},
): Hub<E> {
  const created = createHub<E>(options)
  hubs.push(created as unknown as Hub)
  return created
}

async function rejection(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (error) {
    return isNotifyError(error) ? error.code : `not a NotifyError: ${String(error)}`
  }
  return 'resolved'
}

afterEach(async () => {
  await Promise.all(hubs.splice(0).map((h) => h.close()))
})

describe('hub.publish', () => {
  it('resolves to the id the log assigned and counts it', async () => {
    const h = hub()
    const { id, duplicate } = await h.publish('orders', 'order.updated', { id: '1' })
    expect(id).toMatch(/^\d+-1$/)
    expect(duplicate).toBe(false)
    expect(h.stats().published).toBe(1)
  })

  it('serialises with JSON.stringify, strings too, so a client can always JSON.parse', async () => {
    const h = hub()
    const sink = new RecordingSink()
    h.connect(sink, { principal: { id: 'u' }, topics: ['t'] })
    await nextTick()
    await h.publish('t', 'msg', 'two\nlines')
    await nextTick()
    expect(sink.text).toContain('event: msg\ndata: "two\\nlines"\n\n')
  })

  it('uses the serialize option when given, splitting multi-line output into data lines', async () => {
    const h = hub({ serialize: (value) => String(value) })
    const sink = new RecordingSink()
    h.connect(sink, { principal: { id: 'u' }, topics: ['t'] })
    await nextTick()
    await h.publish('t', 'msg', 'x\n\nid: 666\nevent: evil')
    await nextTick()
    expect(sink.text).toMatch(/event: msg\ndata: x\ndata:\ndata: id: 666\ndata: event: evil\n\n$/)
  })

  it.each([
    ['an empty topic', '', 'e', 'INVALID_TOPIC'],
    ['a topic with a newline', 'a\nb', 'e', 'INVALID_TOPIC'],
    ['a topic over 256 characters', 'x'.repeat(257), 'e', 'INVALID_TOPIC'],
    ['an empty topic list', [], 'e', 'INVALID_TOPIC'],
    ['an empty event name', 't', '', 'INVALID_EVENT'],
    ['an event name with a newline (field injection)', 't', 'a\nevent: evil', 'INVALID_EVENT'],
    ['a reserved event name', 't', 'notify:reset', 'RESERVED_EVENT'],
  ])('rejects %s, publishing nothing', async (_name, topics, event, code) => {
    const h = hub()
    expect(await rejection(h.publish(topics as string, event, {}))).toBe(code)
    expect(h.stats().published).toBe(0)
  })

  it('rejects a payload that cannot be serialised with INVALID_PAYLOAD', async () => {
    const h = hub()
    const circular: Record<string, unknown> = {}
    circular.self = circular
    expect(await rejection(h.publish('t', 'e', circular))).toBe('INVALID_PAYLOAD')
    expect(await rejection(h.publish('t', 'e', undefined))).toBe('INVALID_PAYLOAD')
  })

  it('rejects a bad idempotency key with INVALID_KEY', async () => {
    const h = hub()
    expect(await rejection(h.publish('t', 'e', 1, { key: '' }))).toBe('INVALID_KEY')
    expect(await rejection(h.publish('t', 'e', 1, { key: 'k'.repeat(300) }))).toBe('INVALID_KEY')
  })

  it('treats a repeated key as a no-op that resolves to the first id', async () => {
    const h = hub()
    const sink = new RecordingSink()
    h.connect(sink, { principal: { id: 'u' }, topics: ['t'] })
    await nextTick()
    const first = await h.publish('t', 'e', 1, { key: 'order-1-paid' })
    const again = await h.publish('t', 'e', 1, { key: 'order-1-paid' })
    await nextTick()
    expect(again).toEqual({ id: first.id, duplicate: true })
    expect(sink.text.match(/event: e/g)).toHaveLength(1)
    expect(h.stats().published).toBe(1)
  })

  it('validates payloads with a Standard Schema before publishing', async () => {
    const positive: StandardSchemaV1<number> = {
      '~standard': {
        version: 1,
        vendor: 'test',
        validate: (value) =>
          typeof value === 'number' && value > 0
            ? { value }
            : { issues: [{ message: 'must be positive', path: ['n'] }] },
      },
    }
    const h = hub<{ count: number }>({ schemas: { count: positive } })
    await expect(h.publish('t', 'count', 3)).resolves.toMatchObject({ duplicate: false })
    await expect(h.publish('t', 'count', -1)).rejects.toThrow(
      /payload of "count" is invalid: n: must be positive/,
    )
    expect(h.stats().published).toBe(1)
  })

  it('looks schemas up by own property only, and turns a throwing schema into INVALID_PAYLOAD', async () => {
    const throwing: StandardSchemaV1<number> = {
      '~standard': {
        version: 1,
        vendor: 'test',
        validate: () => {
          throw new Error('boom')
        },
      },
    }
    const h = hub<Record<string, unknown>>({ schemas: { count: throwing } })
    await expect(h.publish('t', 'constructor', 1)).resolves.toMatchObject({ duplicate: false })
    expect(await rejection(h.publish('t', 'count', 1))).toBe('INVALID_PAYLOAD')
  })

  it('rejects after close with HUB_CLOSED', async () => {
    const h = hub()
    await h.close()
    expect(await rejection(h.publish('t', 'e', 1))).toBe('HUB_CLOSED')
  })

  it('wraps a failing store as BACKPLANE_UNAVAILABLE and publishes nothing', async () => {
    const h = hub({
      store: {
        append: async () => {
          throw new Error('disk on fire')
        },
        head: async () => '0-0',
        readAfter: async () => ({ ok: false, reason: 'unknown' }),
        compare: (a, b) => a.localeCompare(b),
      },
    })
    expect(await rejection(h.publish('t', 'e', 1))).toBe('BACKPLANE_UNAVAILABLE')
    expect(h.stats().published).toBe(0)
  })
})

describe('fan-out', () => {
  it('encodes once and writes the same bytes to every recipient', async () => {
    const h = hub()
    const sinks = [new RecordingSink(), new RecordingSink(), new RecordingSink()]
    for (const sink of sinks) h.connect(sink, { principal: { id: 'u' }, topics: ['t'] })
    await nextTick()
    await h.publish('t', 'e', { a: 1 })
    await nextTick()
    const frames = sinks.map((s) => s.writes.at(-1)![0])
    expect(frames[0]).toBe(frames[1])
    expect(frames[1]).toBe(frames[2])
    expect(h.stats().delivered).toBe(3)
  })

  it('coalesces frames published in the same tick into one write per connection', async () => {
    const h = hub()
    const sink = new RecordingSink()
    h.connect(sink, { principal: { id: 'u' }, topics: ['t'] })
    await nextTick()
    const writesBefore = sink.writes.length
    await Promise.all(Array.from({ length: 20 }, (_, i) => h.publish('t', 'e', i)))
    await nextTick()
    expect(sink.writes.length).toBe(writesBefore + 1)
    expect(new TextDecoder().decode(sink.writes.at(-1)![0]).match(/event: e\n/g)).toHaveLength(20)
  })

  it("joins a tick's frames once and writes the same buffer to every connection that was queued them", async () => {
    const h = hub()
    const sinks = [new RecordingSink(), new RecordingSink(), new RecordingSink()]
    for (const sink of sinks) h.connect(sink, { principal: { id: 'u' }, topics: ['t'] })
    await nextTick()
    await Promise.all(Array.from({ length: 5 }, (_, i) => h.publish('t', 'e', i)))
    await nextTick()
    const last = sinks.map((sink) => sink.writes.at(-1)!)
    expect(last.every((chunks) => chunks.length === 1)).toBe(true)
    expect(last[0]![0]).toBe(last[1]![0])
    expect(last[1]![0]).toBe(last[2]![0])
  })

  it('delivers an event published to several topics once to a connection on several of them', async () => {
    const h = hub()
    const both = new RecordingSink()
    const one = new RecordingSink()
    h.connect(both, { principal: { id: 'u' }, topics: ['a', 'b'] })
    h.connect(one, { principal: { id: 'u' }, topics: ['b'] })
    await nextTick()
    await h.publish(['a', 'b'], 'e', 1)
    await h.publish(['a', 'b'], 'e', 2)
    await nextTick()
    expect(both.text.match(/event: e/g)).toHaveLength(2)
    expect(one.text.match(/event: e/g)).toHaveLength(2)
  })

  it('does not deliver to connections on other topics', async () => {
    const h = hub()
    const sink = new RecordingSink()
    h.connect(sink, { principal: { id: 'u' }, topics: ['user:1'] })
    await nextTick()
    await h.publish('user:2', 'secret', 'x')
    await nextTick()
    expect(sink.text).not.toContain('secret')
  })
})

describe('opening sequence', () => {
  it('writes retry, the heartbeat comment and the position, in that order', async () => {
    const h = hub({ retryMs: 2500, heartbeatMs: 20_000 })
    const sink = new RecordingSink()
    h.connect(sink, { principal: { id: 'u' }, topics: ['t'] })
    await nextTick()
    expect(sink.text).toMatch(/^retry: 2500\n\n: notify heartbeat=20000\n\nid: \d+-0\n\n$/)
  })

  it('replays what came after Last-Event-ID, then the position, then live events', async () => {
    const h = hub()
    const first = await h.publish('t', 'e', 1)
    await h.publish('other', 'e', 'not mine')
    const third = await h.publish('t', 'e', 3)
    const sink = new RecordingSink()
    h.connect(sink, { principal: { id: 'u' }, topics: ['t'], lastEventId: first.id })
    await nextTick()
    const live = await h.publish('t', 'e', 4)
    await nextTick()
    expect(sink.text).toBe(
      `retry: 1000\n\n: notify heartbeat=15000\n\nid: ${third.id}\nevent: e\ndata: 3\n\n` +
        `id: ${third.id.replace(/-\d+$/, '-3')}\n\nid: ${live.id}\nevent: e\ndata: 4\n\n`,
    )
    expect(h.stats().replayed).toBe(1)
  })

  it('sends notify:reset with the position and the requested id when the id is unknown', async () => {
    const h = hub()
    await h.publish('t', 'e', 1)
    const sink = new RecordingSink()
    h.connect(sink, { principal: { id: 'u' }, topics: ['t'], lastEventId: 'x'.repeat(300) })
    await nextTick()
    const head = `${(await h.publish('t', 'probe', 0)).id.split('-')[0]}-1`
    expect(sink.text).toContain(
      `id: ${head}\nevent: notify:reset\ndata: {"reason":"unknown","lastEventId":"${'x'.repeat(256)}"}\n\nid: ${head}\n\n`,
    )
    expect(h.stats().resets).toBe(1)
  })

  it('sends notify:reset with reason evicted when retention dropped events after the id', async () => {
    const h = hub({ replay: { maxEvents: 2 } })
    const first = await h.publish('t', 'e', 1)
    for (let i = 0; i < 3; i++) await h.publish('t', 'e', i)
    const sink = new RecordingSink()
    h.connect(sink, { principal: { id: 'u' }, topics: ['t'], lastEventId: first.id })
    await nextTick()
    expect(sink.text).toContain(`data: {"reason":"evicted","lastEventId":"${first.id}"}`)
    expect(sink.text).not.toContain('data: 2\n')
  })
})

describe('connections', () => {
  it('counts connections per principal and forgets them on close', async () => {
    const h = hub()
    const a = h.connect(new RecordingSink(), { principal: { id: 'alice' }, topics: ['t'] })
    h.connect(new RecordingSink(), { principal: { id: 'alice' }, topics: ['t'] })
    expect(h.connectionsOf('alice')).toBe(2)
    await nextTick()
    a.close()
    expect(h.connectionsOf('alice')).toBe(1)
    expect(h.stats()).toMatchObject({ connections: 1, topics: 1 })
    expect(await a.closed).toBe('client')
  })

  it('calls onConnect and onDisconnect with the reason', async () => {
    const seen: string[] = []
    const h = hub({
      onConnect: (info) => seen.push(`open ${info.principal.id} ${info.topics.join(',')}`),
      onDisconnect: (info, reason) => seen.push(`close ${info.connectionId} ${reason}`),
    })
    const c = h.connect(new RecordingSink(), { principal: { id: 'bob' }, topics: ['a', 'b'] })
    c.close()
    expect(seen).toEqual(['open bob a,b', `close ${c.id} client`])
  })

  it('closes a connection whose sink throws, with reason error, and reports it', async () => {
    const errors: unknown[] = []
    const h = hub({ onError: (error) => errors.push(error) })
    const sink = new RecordingSink()
    sink.write = () => {
      throw new Error('EPIPE')
    }
    const c = h.connect(sink, { principal: { id: 'u' }, topics: ['t'] })
    expect(await c.closed).toBe('error')
    expect(errors).toHaveLength(1)
  })

  it('refuses new streams after close with HUB_CLOSED', async () => {
    const h = hub()
    await h.close()
    expect(() => h.connect(new RecordingSink(), { principal: { id: 'u' }, topics: ['t'] })).toThrow(
      NotifyError,
    )
  })
})

describe('hub.close', () => {
  it('ends every stream, optionally with a retry hint, and leaves no timer behind', async () => {
    const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length
    const h = hub({ heartbeatMs: 50 })
    const sinks = [new RecordingSink(), new RecordingSink()]
    const handles = sinks.map((sink) => h.connect(sink, { principal: { id: 'u' }, topics: ['t'] }))
    await nextTick()
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBe(before + 1)
    await h.close({ retryMs: 3000 })
    expect(sinks.every((s) => s.ended && s.text.endsWith('retry: 3000\n\n'))).toBe(true)
    expect(await Promise.all(handles.map((c) => c.closed))).toEqual(['hub-closed', 'hub-closed'])
    await nextTick()
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBe(before)
    expect(h.stats().connections).toBe(0)
    await h.close()
  })

  it('rejects a bad retryMs before changing anything, so a second close still works', async () => {
    const h = hub()
    const sink = new RecordingSink()
    h.connect(sink, { principal: { id: 'u' }, topics: ['t'] })
    await nextTick()
    expect(await rejection(h.close({ retryMs: 2.5 }))).toBe('INVALID_FIELD')
    expect(h.closed).toBe(false)
    expect(sink.ended).toBe(false)
    await h.close()
    expect(sink.ended).toBe(true)
  })

  it('runs the heartbeat timer only while there are connections', async () => {
    const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length
    const h = hub()
    const c = h.connect(new RecordingSink(), { principal: { id: 'u' }, topics: ['t'] })
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBe(before + 1)
    c.close()
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBe(before)
  })
})

describe('createHub options', () => {
  it.each([
    ['heartbeatMs', { heartbeatMs: 0 }],
    ['retryMs', { retryMs: -1 }],
    ['maxBufferedBytes', { maxBufferedBytes: 1.5 }],
    ['keyTtlMs', { keyTtlMs: Number.NaN }],
    ['heartbeatMs beyond a timer', { heartbeatMs: 2 ** 31 }],
  ])('rejects a bad %s with INVALID_OPTION', (_name, options) => {
    expect(() => createHub(options)).toThrow(/must be an integer from [01] to \d+, got/)
  })
})

describe('a log that is unreachable at startup', () => {
  function flakyStore(failures: number) {
    const inner = memoryReplayStore()
    let left = failures
    return {
      ...inner,
      head: async () => {
        if (left-- > 0) throw new Error('ECONNREFUSED')
        return inner.head()
      },
    }
  }

  it('fails publishes fast with BACKPLANE_UNAVAILABLE, keeps retrying, then works', async () => {
    const errors: unknown[] = []
    const h = hub({ store: flakyStore(2), onError: (error) => errors.push(error) })
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(await rejection(h.publish('t', 'e', 1))).toBe('BACKPLANE_UNAVAILABLE')
    await h.ready()
    await expect(h.publish('t', 'e', 1)).resolves.toMatchObject({ duplicate: false })
    expect(errors).toHaveLength(2)
  })

  it('refuses new streams with 503 BACKPLANE_UNAVAILABLE and Retry-After meanwhile', async () => {
    const h = hub({ store: flakyStore(1000), onError: () => undefined })
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(h.state).toBe('unavailable')
    const view = { header: () => undefined, query: () => undefined }
    const refusal = await admit(h, { topics: ['t'] }, {}, view)
    expect(refusal).toMatchObject({ ok: false, status: 503, headers: { 'retry-after': '5' } })
    expect(JSON.parse((refusal as { body: string }).body).error.code).toBe('BACKPLANE_UNAVAILABLE')
  })

  it('stops retrying on close and leaves no timer behind', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length
    const before = timers()
    const h = hub({ store: flakyStore(1000), onError: () => undefined })
    await new Promise((resolve) => setTimeout(resolve, 20))
    await h.close()
    expect(timers()).toBe(before)
    await expect(h.ready()).rejects.toMatchObject({ code: 'HUB_CLOSED' })
  })
})

describe('a backplane that reports a gap', () => {
  it('closes every stream with reason gap, so clients resume from the log', async () => {
    let reportGap: (() => void) | undefined
    const store = memoryReplayStore()
    const backplane: Backplane = {
      store,
      subscribe: (_from, _onEntry, onGap) => {
        reportGap = onGap
        return async () => undefined
      },
      status: () => 'up',
      onStatus: () => () => undefined,
      close: async () => undefined,
    }
    const h = hub({ backplane })
    const handles = [1, 2].map(() =>
      h.connect(new RecordingSink(), { principal: { id: 'u' }, topics: ['t'] }),
    )
    await nextTick()
    reportGap!()
    expect(await Promise.all(handles.map((c) => c.closed))).toEqual(['gap', 'gap'])
    expect(h.stats()).toMatchObject({ connections: 0, backplane: 'up' })
  })
})
