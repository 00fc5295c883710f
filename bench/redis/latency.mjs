// Cross-instance delivery through Redis: 3 notify instances (separate processes) on one
// redis-server, SSE clients spread over them, events published on every instance.
//
//   node bench/redis/latency.mjs            full run (≈ 1 min)
//   node bench/redis/latency.mjs --quick    smoke run (a few seconds; results go to the temp dir)
//   options: --clients 30  --rate 500  --seconds 10  --burst 20000  --no-aof  --out file.json
//
// Latency: events published at a steady rate, spread over the instances; each sample is the
// time from just before `hub.publish()` on one instance to the client on ANOTHER instance
// having parsed the event (same-instance samples reported separately). Throughput: every
// instance publishes as fast as it can (64 in flight); events/s = events appended / time until
// the last client has every event. Clients run in this process (fetch + eventsource-parser), so
// the machine's cores are shared by Redis, 3 instances and the clients: figures are a floor.
// Last, the Redis hop alone: append on one backplane, XREAD on another, in this process.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import os from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { createParser } from 'eventsource-parser'
import { redisBackplane } from '../../packages/redis/dist/index.js'

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    clients: { type: 'string' },
    rate: { type: 'string' },
    seconds: { type: 'string' },
    burst: { type: 'string' },
    'no-aof': { type: 'boolean', default: false },
    out: { type: 'string' },
  },
})
const quick = args.quick
const CLIENTS = Number(args.clients ?? (quick ? 6 : 30))
const RATE = Number(args.rate ?? (quick ? 200 : 500))
const SECONDS = Number(args.seconds ?? (quick ? 1 : 10))
const BURST = Number(args.burst ?? (quick ? 600 : 30_000))
const AOF = !args['no-aof']
const here = fileURLToPath(new URL('.', import.meta.url))
const PREFIX = `bench${Date.now()}`
// A quick run is a smoke test: its figures go to the temp dir, not next to the real ones.
const OUT =
  args.out ??
  (quick ? join(os.tmpdir(), 'notify-redis-quick.json') : join(here, '..', 'results', 'redis.json'))

async function freePort() {
  const probe = createServer()
  await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const { port } = probe.address()
  await new Promise((resolve) => probe.close(resolve))
  return port
}

function startRedis(port, dir) {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '']
  args.push('--appendonly', AOF ? 'yes' : 'no', '--appendfsync', 'everysec')
  const child = spawn('redis-server', args, { stdio: 'ignore' })
  child.on('error', (error) => {
    console.error(
      `redis-server could not start (${error.message}); install it: apt-get install -y redis-server`,
    )
    process.exit(1)
  })
  return child
}

function startInstance(redisUrl, index) {
  const child = spawn(process.execPath, [join(here, 'instance.mjs')], {
    env: { ...process.env, REDIS_URL: redisUrl, PREFIX: PREFIX, INSTANCE: String(index) },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  return new Promise((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (chunk) => {
      out += chunk
      if (out.includes('\n')) resolve({ child, index, url: `http://127.0.0.1:${JSON.parse(out).port}` })
    })
    child.once('exit', (code) => reject(new Error(`instance ${index} exited with ${code}`)))
  })
}

async function openClient(instance) {
  const client = { instance: instance.index, count: 0, samples: [], controller: new AbortController() }
  const response = await fetch(`${instance.url}/events`, { signal: client.controller.signal })
  const parser = createParser({
    onEvent(event) {
      if (event.event !== 'tick') return
      const now = performance.timeOrigin + performance.now()
      const { from, t } = JSON.parse(event.data)
      client.count++
      if (client.recording) client.samples.push({ cross: from !== client.instance, ms: now - t })
    },
  })
  const ready = new Promise((resolve) => {
    client.reading = (async () => {
      const decoder = new TextDecoder()
      try {
        for await (const chunk of response.body) {
          parser.feed(decoder.decode(chunk, { stream: true }))
          resolve()
        }
      } catch {
        // aborted at the end
      }
    })()
  })
  await ready
  return client
}

function quantile(sorted, q) {
  if (sorted.length === 0) return Number.NaN
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]
}
const round = (x) => Math.round(x * 100) / 100

async function waitFor(predicate, timeoutMs) {
  const started = Date.now()
  while (!predicate()) {
    if (Date.now() - started > timeoutMs) throw new Error('timed out waiting for delivery')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

async function redisHop(url, n) {
  const prefix = `${PREFIX}-hop`
  const writer = redisBackplane({ url }, { prefix })
  const reader = redisBackplane({ url }, { prefix })
  const sentAt = []
  const samples = []
  const stop = reader.subscribe(await writer.store.head(), (entry) => {
    samples.push(performance.now() - sentAt[Number(entry.data)])
  })
  await waitFor(() => reader.status() === 'up', 10_000)
  for (let i = 0; i < n; i++) {
    sentAt[i] = performance.now()
    await writer.store.append({ topics: ['hop'], event: 'hop', data: String(i), keyTtlMs: 1000 })
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
  await waitFor(() => samples.length === n, 10_000)
  await stop()
  await Promise.all([writer.close(), reader.close()])
  samples.sort((a, b) => a - b)
  return { samples: n, p50: round(quantile(samples, 0.5)), p99: round(quantile(samples, 0.99)) }
}

const burst = (instance, query) =>
  fetch(`${instance.url}/burst?${new URLSearchParams(query)}`, { method: 'POST' }).then((r) => r.json())

const loadAtStart = Math.round(os.loadavg()[0] * 100) / 100
const dir = mkdtempSync(join(os.tmpdir(), 'notify-bench-redis-'))
const redisPort = await freePort()
const redis = startRedis(redisPort, dir)
const redisUrl = `redis://127.0.0.1:${redisPort}`
let instances = []
try {
  for (let attempt = 0; ; attempt++) {
    try {
      instances = await Promise.all([0, 1, 2].map((i) => startInstance(redisUrl, i)))
      break
    } catch (error) {
      if (attempt > 20) throw error
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
  const clients = []
  for (let i = 0; i < CLIENTS; i++) clients.push(await openClient(instances[i % 3]))

  // Warm-up, then the steady-rate latency phase: each instance publishes RATE/3 events/s.
  await Promise.all(instances.map((instance) => burst(instance, { n: 50, concurrency: 1 })))
  await waitFor(() => clients.every((c) => c.count === 150), 30_000)
  for (const client of clients) client.recording = true
  const perInstance = Math.round((RATE * SECONDS) / 3)
  await Promise.all(
    instances.map((instance) =>
      burst(instance, { n: perInstance, concurrency: 8, rate: Math.round(RATE / 3) }),
    ),
  )
  const expected = 150 + perInstance * 3
  await waitFor(() => clients.every((c) => c.count === expected), 60_000)
  for (const client of clients) client.recording = false
  const samples = clients.flatMap((c) => c.samples)
  const cross = samples
    .filter((s) => s.cross)
    .map((s) => s.ms)
    .sort((a, b) => a - b)
  const same = samples
    .filter((s) => !s.cross)
    .map((s) => s.ms)
    .sort((a, b) => a - b)

  // Throughput: all three instances publish as fast as they can.
  const before = clients.map((c) => c.count)
  const perBurst = Math.round(BURST / 3)
  const started = performance.now()
  const results = await Promise.all(
    instances.map((instance) => burst(instance, { n: perBurst, concurrency: 64 })),
  )
  const appendedMs = performance.now() - started
  const appended = results.reduce((sum, r) => sum + r.published, 0)
  await waitFor(() => clients.every((c, i) => c.count - before[i] === appended), 120_000)
  const deliveredMs = performance.now() - started

  // The Redis hop alone: append on one backplane, receive on another (same process, no HTTP).
  const hop = await redisHop(redisUrl, quick ? 200 : 2000)

  const result = {
    date: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      model: os.cpus()[0]?.model,
      node: process.version,
      loadavg1mAtStart: loadAtStart,
    },
    redis: { aof: AOF ? 'appendonly yes, appendfsync everysec' : 'no persistence' },
    setup: { instances: 3, clients: CLIENTS, rate: RATE, seconds: SECONDS, burst: BURST },
    latency: {
      crossInstance: {
        samples: cross.length,
        p50: round(quantile(cross, 0.5)),
        p90: round(quantile(cross, 0.9)),
        p99: round(quantile(cross, 0.99)),
        max: round(cross.at(-1)),
      },
      sameInstance: {
        samples: same.length,
        p50: round(quantile(same, 0.5)),
        p90: round(quantile(same, 0.9)),
        p99: round(quantile(same, 0.99)),
        max: round(same.at(-1)),
      },
    },
    redisHop: hop,
    throughput: {
      events: appended,
      failed: results.reduce((sum, r) => sum + r.failed, 0),
      appendPerSecond: Math.round(appended / (appendedMs / 1000)),
      deliveredPerSecond: Math.round(appended / (deliveredMs / 1000)),
      framesPerSecond: Math.round((appended * CLIENTS) / (deliveredMs / 1000)),
    },
  }
  await mkdir(dirname(OUT), { recursive: true })
  await writeFile(OUT, `${JSON.stringify(result, null, 2)}\n`)

  const rows = [
    ['measure', 'value'],
    ['cross-instance latency p50', `${result.latency.crossInstance.p50} ms`],
    ['cross-instance latency p90', `${result.latency.crossInstance.p90} ms`],
    ['cross-instance latency p99', `${result.latency.crossInstance.p99} ms`],
    ['same-instance latency p50', `${result.latency.sameInstance.p50} ms`],
    ['same-instance latency p99', `${result.latency.sameInstance.p99} ms`],
    ['appended events/s (3 instances)', String(result.throughput.appendPerSecond)],
    ['delivered events/s (every client has all)', String(result.throughput.deliveredPerSecond)],
    [`frames/s written (${CLIENTS} clients)`, String(result.throughput.framesPerSecond)],
    ['Redis hop alone p50 / p99 (append → XREAD)', `${hop.p50} ms / ${hop.p99} ms`],
  ]
  const width = Math.max(...rows.map((r) => r[0].length))
  console.log(
    `\n@notify/redis — 3 instances, ${CLIENTS} clients, ${result.redis.aof}, ${os.cpus().length} cores, load ${loadAtStart}`,
  )
  for (const [name, value] of rows) console.log(`${name.padEnd(width)}  ${value}`)
  console.log(`\nresults: ${OUT}`)
  for (const client of clients) client.controller.abort()
} finally {
  await Promise.all(
    instances.map(
      ({ child }) =>
        new Promise((resolve) => {
          child.once('exit', resolve)
          child.kill('SIGTERM')
        }),
    ),
  )
  redis.kill('SIGKILL')
  rmSync(dir, { recursive: true, force: true })
}
