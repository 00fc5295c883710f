import { afterEach, describe, expect, it, vi } from 'vitest'
import { isNotifyError, memoryReplayStore, type ReplayStore } from '../src/index.js'

const TTL = 600_000

async function append(store: ReplayStore, topic: string, data = 'x', key?: string) {
  return store.append({ topics: [topic], event: 'e', data, key, keyTtlMs: TTL })
}

describe('memoryReplayStore', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('assigns <epoch>-<seq> ids counting up from <epoch>-1, head starting at <epoch>-0', async () => {
    const store = memoryReplayStore()
    const head = await store.head()
    expect(head).toMatch(/^\d+-0$/)
    const epoch = head.split('-')[0]
    expect((await append(store, 'a')).id).toBe(`${epoch}-1`)
    expect((await append(store, 'b')).id).toBe(`${epoch}-2`)
    expect(await store.head()).toBe(`${epoch}-2`)
  })

  it('gives every store a new epoch, so a restarted hub never reuses an id', async () => {
    const first = memoryReplayStore()
    const second = memoryReplayStore()
    const id = (await append(first, 'a')).id
    expect((await append(second, 'a')).id).not.toBe(id)
    expect(await second.readAfter(id, new Set(['a']))).toEqual({ ok: false, reason: 'unknown' })
  })

  it('returns the events after an id for the asked topics only, oldest first', async () => {
    const store = memoryReplayStore()
    const start = await store.head()
    const a1 = await append(store, 'a', '1')
    await append(store, 'b', '2')
    const a3 = await append(store, 'a', '3')
    await store.append({ topics: ['b', 'a'], event: 'e', data: '4', keyTtlMs: TTL })
    const all = await store.readAfter(start, new Set(['a']))
    expect(all.ok && all.events.map((e) => e.data)).toEqual(['1', '3', '4'])
    const afterFirst = await store.readAfter(a1.id, new Set(['a']))
    expect(afterFirst.ok && afterFirst.events.map((e) => e.id)).toEqual([a3.id, `${a1.id.split('-')[0]}-4`])
    expect(afterFirst.ok && afterFirst.head).toBe(await store.head())
  })

  it('answers the head itself with no events', async () => {
    const store = memoryReplayStore()
    await append(store, 'a')
    expect(await store.readAfter(await store.head(), new Set(['a']))).toEqual({
      ok: true,
      events: [],
      head: await store.head(),
    })
  })

  it('answers evicted once maxEvents pushed an event after the id out, for any topic', async () => {
    const store = memoryReplayStore({ maxEvents: 3 })
    const start = await store.head()
    const first = await append(store, 'quiet')
    for (let i = 0; i < 3; i++) await append(store, 'busy')
    // The quiet topic lost nothing of its own, but the log cannot prove it: one log for all topics.
    expect(await store.readAfter(start, new Set(['quiet']))).toEqual({ ok: false, reason: 'evicted' })
    const kept = await store.readAfter(first.id, new Set(['busy']))
    expect(kept.ok && kept.events).toHaveLength(3)
  })

  it('answers evicted once maxAgeMs has passed for an event after the id', async () => {
    vi.useFakeTimers()
    const store = memoryReplayStore({ maxAgeMs: 1000 })
    const start = await store.head()
    const first = await append(store, 'a')
    vi.advanceTimersByTime(600)
    const second = await append(store, 'a')
    vi.advanceTimersByTime(600)
    expect(await store.readAfter(start, new Set(['a']))).toEqual({ ok: false, reason: 'evicted' })
    const rest = await store.readAfter(first.id, new Set(['a']))
    expect(rest.ok && rest.events.map((e) => e.id)).toEqual([second.id])
  })

  it.each([
    ['malformed', 'not-an-id'],
    ['empty', ''],
    ['ahead of the log', 'EPOCH-99'],
    ['from another epoch', '1-1'],
    ['over 256 characters', `EPOCH-${'1'.repeat(300)}`],
    ['with a huge number', 'EPOCH-99999999999999999999'],
    ['with a leading zero in the sequence', 'EPOCH-01'],
    ['with a leading zero in the epoch', '0EPOCH-1'],
  ])('answers unknown for an id %s, never throws', async (_name, raw) => {
    const store = memoryReplayStore()
    await append(store, 'a')
    const id = raw.replace('EPOCH', (await store.head()).split('-')[0]!)
    expect(await store.readAfter(id, new Set(['a']))).toEqual({ ok: false, reason: 'unknown' })
  })

  it('drops the oldest events once the retained payloads pass maxBytes', async () => {
    const store = memoryReplayStore({ maxBytes: 100_000 })
    const start = await store.head()
    const big = 'x'.repeat(20_000) // about 40 KB as UTF-16
    const first = await append(store, 'a', big)
    await append(store, 'a', big)
    await append(store, 'a', big)
    expect(await store.readAfter(start, new Set(['a']))).toEqual({ ok: false, reason: 'evicted' })
    const kept = await store.readAfter(first.id, new Set(['a']))
    expect(kept.ok && kept.events).toHaveLength(2)
  })

  it('remembers an idempotency key: a repeat appends nothing and returns the first id', async () => {
    const store = memoryReplayStore()
    const first = await append(store, 'a', '1', 'k1')
    const again = await append(store, 'a', 'different', 'k1')
    expect(again).toEqual({ id: first.id, duplicate: true })
    expect(await store.head()).toBe(first.id)
  })

  it('forgets a key after its TTL', async () => {
    vi.useFakeTimers()
    const store = memoryReplayStore()
    const first = await store.append({ topics: ['a'], event: 'e', data: '1', key: 'k', keyTtlMs: 1000 })
    vi.advanceTimersByTime(1001)
    const later = await store.append({ topics: ['a'], event: 'e', data: '1', key: 'k', keyTtlMs: 1000 })
    expect(later.duplicate).toBe(false)
    expect(later.id).not.toBe(first.id)
  })

  it('bounds the key memory by maxKeys, dropping the oldest', async () => {
    const store = memoryReplayStore({ maxKeys: 2 })
    const first = await append(store, 'a', '1', 'k1')
    await append(store, 'a', '2', 'k2')
    await append(store, 'a', '3', 'k3')
    expect((await append(store, 'a', '4', 'k1')).id).not.toBe(first.id)
    expect((await append(store, 'a', '5', 'k3')).duplicate).toBe(true)
  })

  it('orders its ids numerically, not as strings', async () => {
    const store = memoryReplayStore()
    const epoch = (await store.head()).split('-')[0]
    expect(store.compare(`${epoch}-9`, `${epoch}-10`)).toBeLessThan(0)
    expect(store.compare(`${epoch}-10`, `${epoch}-10`)).toBe(0)
    expect(store.compare(`${Number(epoch) + 1}-1`, `${epoch}-10`)).toBeGreaterThan(0)
  })

  it('keeps working across many evictions (ring compaction)', async () => {
    const store = memoryReplayStore({ maxEvents: 10 })
    let last = ''
    for (let i = 0; i < 5000; i++) last = (await append(store, 'a', String(i))).id
    const epoch = last.split('-')[0]
    const tail = await store.readAfter(`${epoch}-4990`, new Set(['a']))
    expect(tail.ok && tail.events.map((e) => e.data)).toEqual(
      ['4990', '4991', '4992', '4993', '4994', '4995', '4996', '4997', '4998', '4999'].slice(0, 10),
    )
  })

  it.each([
    ['maxEvents', { maxEvents: 0 }],
    ['maxAgeMs', { maxAgeMs: -5 }],
    ['maxKeys', { maxKeys: 1.5 }],
    ['maxBytes', { maxBytes: 0 }],
  ])('rejects a bad %s with INVALID_OPTION', (_name, options) => {
    try {
      memoryReplayStore(options)
      expect.unreachable()
    } catch (error) {
      expect(isNotifyError(error) && error.code).toBe('INVALID_OPTION')
    }
  })
})
