// Micro-benchmarks of @notify/core alone (tinybench): the encoder, and hub.publish fanning out
// to 10,000 in-memory connections whose Sink only counts bytes (no sockets, no kernel).
// Run alone with `node bench/micro.mjs [--quick]`; run.mjs calls runMicro() after the servers.
import { createHub, encodeEvent } from '@notify/core'
import { Bench } from 'tinybench'

const CONNECTIONS = 10_000
const nextTick = () => new Promise((resolve) => setImmediate(resolve))

function payload(bytes) {
  const base = { t: 1733300000000000, s: 123456, p: '' }
  base.p = 'x'.repeat(Math.max(0, bytes - JSON.stringify(base).length))
  return base
}

/** A hub with `n` live in-memory connections on topic `bench`; `bytes()` is what they received. */
async function hubWith(n) {
  const hub = createHub()
  await hub.ready()
  let bytes = 0
  const sink = {
    write(chunks) {
      for (const chunk of chunks) bytes += chunk.byteLength
    },
    bufferedBytes: () => 0,
    end() {},
  }
  const principal = { id: 'bench' }
  for (let i = 0; i < n; i++) hub.connect(sink, { principal, topics: ['bench'] })
  await nextTick() // opening sequences flushed
  await nextTick()
  if (hub.stats().connections !== n)
    throw new Error(`expected ${n} connections, got ${hub.stats().connections}`)
  return { hub, bytes: () => bytes }
}

/**
 * @param {{ quick?: boolean }} options - quick: shorter sampling (CI smoke)
 * @returns one row per task: name, meanUs, opsPerSec, perDeliveryNs (fan-out tasks)
 */
export async function runMicro({ quick = false } = {}) {
  const bench = new Bench({ time: quick ? 100 : 1500, warmupTime: quick ? 20 : 300 })
  const small = payload(100)
  const smallJson = JSON.stringify(small)
  const largeJson = JSON.stringify(payload(4096))
  const encoder = new TextEncoder()

  bench.add('encodeEvent, 100 B data', () => {
    encodeEvent({ id: '1733300000000-42', event: 'tick', data: smallJson })
  })
  bench.add('encodeEvent, 4 KiB data', () => {
    encodeEvent({ id: '1733300000000-42', event: 'tick', data: largeJson })
  })

  const fan = await hubWith(CONNECTIONS)
  bench.add(
    `hub.publish → ${CONNECTIONS.toLocaleString('en-US')} connections (1 event, flushed)`,
    async () => {
      await fan.hub.publish('bench', 'tick', small)
      await nextTick()
    },
  )
  bench.add(
    `hub.publish ×20 same tick → ${CONNECTIONS.toLocaleString('en-US')} connections (flushed)`,
    async () => {
      const all = []
      for (let i = 0; i < 20; i++) all.push(fan.hub.publish('bench', 'tick', small))
      await Promise.all(all)
      await nextTick()
    },
  )

  // The floor under hub.publish: the same bytes handed to 10,000 sinks in a plain loop.
  const sinks = []
  let floorBytes = 0
  for (let i = 0; i < CONNECTIONS; i++) {
    sinks.push({
      write(chunks) {
        for (const chunk of chunks) floorBytes += chunk.byteLength
      },
    })
  }
  bench.add(`floor: encode once + loop of ${CONNECTIONS.toLocaleString('en-US')} sink.write`, () => {
    const bytes = encoder.encode(`id: 1-1\nevent: tick\ndata: ${JSON.stringify(small)}\n\n`)
    const chunks = [bytes]
    for (const sink of sinks) sink.write(chunks)
  })

  const before = fan.bytes()
  await bench.run()
  if (fan.bytes() === before || floorBytes === 0)
    throw new Error('micro-benchmark: no bytes reached the sinks')
  await fan.hub.close()

  return bench.tasks.map((task) => {
    const r = task.result
    if (r.state !== 'completed')
      throw new Error(`micro-benchmark "${task.name}" ${r.state}: ${r.error ?? ''}`)
    const meanUs = r.period * 1000
    const deliveries = task.name.includes('×20')
      ? 20 * CONNECTIONS
      : task.name.includes('connections')
        ? CONNECTIONS
        : 0
    const floor = task.name.startsWith('floor') ? CONNECTIONS : 0
    const perDelivery = deliveries || floor
    return {
      name: task.name,
      meanUs,
      p99Us: r.latency.p99 * 1000,
      opsPerSec: 1e6 / meanUs,
      samples: r.latency.samplesCount,
      ...(perDelivery ? { perDeliveryNs: (meanUs * 1000) / perDelivery } : {}),
    }
  })
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await runMicro({ quick: process.argv.includes('--quick') })
  console.table(rows)
}
