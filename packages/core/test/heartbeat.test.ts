import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createHub, type Hub } from '../src/index.js'
import { nextTick, RecordingSink } from './sink.js'

/** A sink that stamps every write with the (fake) clock. */
class TimedSink extends RecordingSink {
  times: number[] = []
  override write(chunks: readonly Uint8Array[]): void {
    super.write(chunks)
    this.times.push(Date.now())
  }
}

let hub: Hub | undefined

beforeEach(() => {
  // The clock and timers are faked; the hub's per-tick flush (setImmediate) stays real.
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'setTimeout', 'clearTimeout', 'Date'] })
})

afterEach(async () => {
  await hub?.close()
  hub = undefined
  vi.useRealTimers()
})

async function advance(ms: number, step = 250): Promise<void> {
  for (let t = 0; t < ms; t += step) {
    vi.advanceTimersByTime(step)
    await nextTick()
  }
}

describe('heartbeat', () => {
  it('never leaves a silent stream without a comment for more than 1.5 × heartbeatMs', async () => {
    hub = createHub({ heartbeatMs: 15_000 })
    const sink = new TimedSink()
    hub.connect(sink, { principal: { id: 'u' }, topics: ['t'] })
    await nextTick()
    await advance(120_000)
    const gaps = sink.times.slice(1).map((t, i) => t - sink.times[i]!)
    expect(gaps.length).toBeGreaterThanOrEqual(6)
    // The contract allows 1.5 ×; the sweep (every heartbeatMs / 4) keeps it within 1.25 ×.
    expect(Math.max(...gaps)).toBeLessThanOrEqual(18_750)
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(15_000)
    expect(sink.text.match(/^:\n\n/gm)?.length).toBe(gaps.length)
  })

  it('sends no heartbeat to a stream that receives events often enough', async () => {
    hub = createHub({ heartbeatMs: 15_000 })
    const sink = new TimedSink()
    hub.connect(sink, { principal: { id: 'u' }, topics: ['t'] })
    await nextTick()
    for (let i = 0; i < 10; i++) {
      await advance(10_000)
      await hub.publish('t', 'e', i)
      await nextTick()
    }
    expect(sink.text).not.toMatch(/^:\n\n/m)
  })

  it('runs one shared timer however many streams are open', async () => {
    hub = createHub({ heartbeatMs: 1000 })
    const sinks = Array.from({ length: 1000 }, () => new TimedSink())
    for (const sink of sinks) hub.connect(sink, { principal: { id: 'u' }, topics: ['t'] })
    await nextTick()
    expect(vi.getTimerCount()).toBe(1)
    await advance(2000)
    expect(sinks.every((s) => /^:\n\n/m.test(s.text))).toBe(true)
  })

  it('closes a stream when its principal expires, to the millisecond, with reason expired', async () => {
    hub = createHub({ heartbeatMs: 10_000 })
    const sink = new TimedSink()
    const start = Date.now()
    // Not a multiple of the sweep period (2.5 s): only the expiry timer can be this exact.
    const connection = hub.connect(sink, { principal: { id: 'u', expiresAt: start + 30_100 }, topics: ['t'] })
    await nextTick()
    await advance(29_750)
    vi.advanceTimersByTime(349)
    await nextTick()
    expect(sink.ended).toBe(false)
    vi.advanceTimersByTime(1)
    await nextTick()
    expect(sink.ended).toBe(true)
    expect(await connection.closed).toBe('expired')
  })

  it('closes streams with different expiries each at its own time, with one timer', async () => {
    hub = createHub({ heartbeatMs: 60_000 })
    const start = Date.now()
    const handles = [40_000, 10_000, 25_000].map((ms) =>
      hub!.connect(new TimedSink(), { principal: { id: 'u', expiresAt: start + ms }, topics: ['t'] }),
    )
    await nextTick()
    const ended: number[] = []
    handles.forEach((handle, i) => void handle.closed.then(() => ended.push(i)))
    await advance(10_500, 100)
    expect(ended).toEqual([1])
    await advance(15_000, 100)
    expect(ended).toEqual([1, 2])
    await advance(15_000, 100)
    expect(ended).toEqual([1, 2, 0])
    // The heartbeat interval is gone with the last stream, and so is the expiry timer.
    expect(vi.getTimerCount()).toBe(0)
  })
})

describe('backpressure', () => {
  it('closes a connection whose queued bytes exceed maxBufferedBytes and counts it; others keep receiving', async () => {
    const reasons: string[] = []
    hub = createHub({ maxBufferedBytes: 64 * 1024, onDisconnect: (_info, reason) => reasons.push(reason) })
    const slow = new RecordingSink()
    const fast = new RecordingSink()
    const slowHandle = hub.connect(slow, { principal: { id: 's' }, topics: ['t'] })
    hub.connect(fast, { principal: { id: 'f' }, topics: ['t'] })
    await nextTick()
    await hub.publish('t', 'e', 1)
    await nextTick()
    slow.buffered = 64 * 1024 + 1
    await hub.publish('t', 'e', 2)
    await nextTick()
    expect(await slowHandle.closed).toBe('slow-consumer')
    expect(slow.ended).toBe(true)
    await hub.publish('t', 'e', 3)
    await nextTick()
    expect(fast.text.match(/event: e/g)).toHaveLength(3)
    expect(hub.stats().slowConsumerDisconnects).toBe(1)
    expect(reasons).toEqual(['slow-consumer'])
  })
})
