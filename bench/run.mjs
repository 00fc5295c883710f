// `pnpm bench` — notify side by side with raw node:http, better-sse and Hono's streamSSE.
//
//   node bench/run.mjs            full run (3 interleaved rounds, N = 1,000 and 10,000; ≈ 12 min on 2 cores)
//   node bench/run.mjs --quick    smoke run for CI (1 round, N = 200, short phases; a few seconds)
//   options: --rounds 3  --n 1000,10000  --contenders raw,notify-node,...  --no-micro  --out file.json
//            --profile notify-node   (that server runs with --cpu-prof; see bench/profile.mjs)
//            --workloads light,burst  --measure 2200 (ms)  --stall-ms 60000
//
// Each contender runs in its own server process; load clients run in another process. Every
// (round, N, contender) gets a fresh server, contenders are interleaved within each round and
// the figures reported are medians over rounds. Results: bench/results/tmp/<time>.json for
// every run, bench/results/latest.json for full runs; a table on stdout.
import { mkdir, writeFile } from 'node:fs/promises'
import os from 'node:os'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { addSparse, createHistogram, summarize } from './lib/hist.mjs'
import { hardFileLimit, startChild } from './lib/proc.mjs'
import { renderTables } from './lib/table.mjs'

const ALL_CONTENDERS = ['raw', 'notify-node', 'notify-hono', 'better-sse', 'hono-streamsse']
// Before/after for a change to core: NOTIFY_CORE_ALT=<built core dir> adds `notify-node-alt` (opt-in).
const KNOWN = process.env.NOTIFY_CORE_ALT ? [...ALL_CONTENDERS, 'notify-node-alt'] : ALL_CONTENDERS

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    n: { type: 'string' },
    contenders: { type: 'string' },
    clients: { type: 'string' },
    micro: { type: 'boolean', default: true },
    'no-micro': { type: 'boolean', default: false },
    out: { type: 'string' },
    profile: { type: 'string' },
    'stall-ms': { type: 'string' },
    workloads: { type: 'string' },
    measure: { type: 'string' },
  },
})

const quick = args.quick
const rounds = Number(args.rounds ?? (quick ? 1 : 3))
const sizes = (args.n ?? (quick ? '200' : '1000,10000')).split(',').map(Number)
const contenders = (args.contenders ?? ALL_CONTENDERS.join(',')).split(',')
for (const c of contenders) {
  if (!KNOWN.includes(c)) throw new Error(`unknown contender ${c}; pick from ${KNOWN.join(', ')}`)
}
const clientCount = Number(args.clients ?? 1)
/** How long the drain after a workload may go without any delivery before it counts as lost. */
const stallMs = Number(args['stall-ms'] ?? 60_000)
/** `--profile notify-node,raw`: those servers run with `--cpu-prof`; profiles go to results/tmp/profiles/. */
const profiled = new Set(args.profile === undefined ? [] : args.profile.split(','))

/** Phase timings (ms): warm-up before measuring, then the measured window. */
const timing = quick ? { warmup: 200, measure: 600 } : { warmup: 500, measure: 2200 }
if (args.measure !== undefined) timing.measure = Number(args.measure)
/** `--workloads light,burst`: run only those (ids below). */
const onlyWorkloads = args.workloads === undefined ? undefined : new Set(args.workloads.split(','))

/**
 * The workloads, run in this order on every server. `window` is how many events per connection
 * may be in flight (published, not yet read by the clients): the pacing that keeps buffers
 * bounded. It is sized in deliveries (≈ 16,000 in flight) so that a slow contender at N = 10,000
 * does not sit on seconds of backlog. Light load is 50 events/s, capped at 20,000 deliveries/s
 * (N = 1,000: 20/s; N = 10,000: 2/s) so that it stays light on a 2-core machine, where one
 * delivery costs the server ≈ 10 µs of CPU (mostly the kernel's loopback TCP).
 */
function workloadsFor(n) {
  const window = Math.max(2, Math.ceil(16_000 / n))
  const all = [
    { id: 'light', kind: 'light', payload: 100, rate: Math.max(1, Math.min(50, Math.floor(20_000 / n))) },
    { id: 'saturate', kind: 'saturate', payload: 100, window },
    { id: 'saturate-4k', kind: 'saturate', payload: 4096, window },
    { id: 'burst', kind: 'burst', payload: 100, burst: 20, window: 20 + Math.max(1, Math.ceil(8_000 / n)) },
  ]
  return onlyWorkloads === undefined ? all : all.filter((w) => onlyWorkloads.has(w.id))
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const median = (xs) => {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b)
  if (v.length === 0) return null
  const mid = Math.floor(v.length / 2)
  return v.length % 2 === 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2
}

const failures = []
function fail(message) {
  failures.push(message)
  console.error(`  ✗ ${message}`)
}

async function startClients() {
  const clients = []
  for (let i = 0; i < clientCount; i++) {
    const client = startChild('client.mjs')
    await client.next('ready', 20_000)
    clients.push(client)
  }
  return clients
}

/** Runs one contender on one N: connect, memory, every workload. */
async function session(contender, n, clients) {
  const profiling = profiled.has(contender)
  const nodeArgs = ['--expose-gc']
  if (profiling) {
    nodeArgs.push(
      '--cpu-prof',
      '--cpu-prof-dir=results/tmp/profiles',
      `--cpu-prof-name=${contender}-${n}-${Date.now()}.cpuprofile`,
    )
  }
  const server = startChild('server.mjs', [contender], nodeArgs)
  const result = { contender, n, workloads: {} }
  try {
    const { port } = await server.next('ready', 30_000)
    server.send({ t: 'memory' })
    const before = await server.next('memory')

    // Connect N, split over the client processes; connected = every response head received
    // and every connection registered with the server's fan-out.
    const shares = clients.map((_, i) => Math.floor(n / clients.length) + (i < n % clients.length ? 1 : 0))
    server.send({ t: 'await-connections', n })
    const registered = server.next('connections', 120_000)
    const connected = clients.map((c, i) => {
      c.send({ t: 'connect', port, path: '/events', n: shares[i], concurrency: 128 })
      return c.next('connected', 120_000)
    })
    const heads = await Promise.all(connected)
    const failed = heads.reduce((a, h) => a + h.failed, 0)
    if (failed > 0) throw new Error(`${failed} of ${n} connections failed`)
    const reg = await registered
    const started = Math.min(...heads.map((h) => h.started))
    const finished = Math.max(reg.at, ...heads.map((h) => h.finished))
    result.connectMs = (finished - started) / 1000

    server.send({ t: 'memory' })
    const after = await server.next('memory')
    result.rssPerConn = (after.rss - before.rss) / n
    result.heapPerConn = (after.heapUsed + after.external - (before.heapUsed + before.external)) / n

    // Pacing: the clients report what they have read; the server is told the sum.
    const latest = clients.map(() => 0)
    for (const [i, c] of clients.entries()) {
      c.on('progress', (m) => {
        latest[i] = m.delivered
        server.send({ t: 'progress', delivered: latest.reduce((a, b) => a + b, 0) })
      })
    }
    for (const c of clients) c.send({ t: 'progress-on', everyMs: 5 })

    for (const workload of workloadsFor(n)) {
      server.send({ t: 'run', workload: { ...workload, connections: n } })
      await server.next('running')
      await sleep(timing.warmup)
      server.send({ t: 'mark' })
      for (const c of clients) c.send({ t: 'record' })
      const [, ...starts] = await Promise.all([
        server.next('mark'),
        ...clients.map((c) => c.next('recording')),
      ])
      await sleep(timing.measure)
      server.send({ t: 'mark' })
      for (const c of clients) c.send({ t: 'snapshot' })
      const [cpu, ...ends] = await Promise.all([
        server.next('mark'),
        ...clients.map((c) => c.next('snapshot')),
      ])
      server.send({ t: 'stop' })
      const stopped = await server.next('stopped')

      let deliveriesPerSec = 0
      let deliveries = 0
      let clientCpuShare = 0
      const hist = createHistogram()
      ends.forEach((end, i) => {
        const count = end.delivered - starts[i].delivered
        deliveries += count
        deliveriesPerSec += count / ((end.at - starts[i].at) / 1e6)
        clientCpuShare += end.cpuUs / (end.at - starts[i].at)
        addSparse(hist, end.hist)
      })
      const latency = summarize(hist)

      // Drain: every event published so far must reach every connection, exactly once. A slow
      // contender may take a while; only `stallMs` (60 s; Hono streamSSE at N = 10,000 can pause that long) without any progress counts as a failure.
      const expected = stopped.published * n
      let got
      let progressAt = Date.now()
      let lastDelivered = -1
      for (;;) {
        for (const c of clients) c.send({ t: 'stats' })
        const all = await Promise.all(clients.map((c) => c.next('stats')))
        got = all.reduce(
          (a, s) => ({
            delivered: a.delivered + s.delivered,
            min: Math.min(a.min, s.min),
            max: Math.max(a.max, s.max),
            closed: a.closed + s.closed,
          }),
          { delivered: 0, min: Number.POSITIVE_INFINITY, max: 0, closed: 0 },
        )
        if (got.delivered >= expected || got.closed > 0) break
        if (got.delivered !== lastDelivered) {
          lastDelivered = got.delivered
          progressAt = Date.now()
        } else if (Date.now() - progressAt > stallMs) break
        await sleep(50)
      }
      if (got.delivered !== expected || got.min !== stopped.published || got.max !== stopped.published) {
        fail(
          `${contender} N=${n} ${workload.id}: ${got.delivered} deliveries, expected ${expected} ` +
            `(per connection ${got.min}..${got.max} of ${stopped.published}; ${got.closed} closed)`,
        )
      }

      result.workloads[workload.id] = {
        events: cpu.publishedInWindow,
        deliveries,
        deliveriesPerSec,
        cpuUsPer1k: deliveries > 0 ? (cpu.cpuUs / deliveries) * 1000 : null,
        cpuShare: cpu.cpuUs / cpu.elapsedUs,
        clientCpuShare,
        p50: latency.p50,
        p99: latency.p99,
        max: latency.max,
      }
    }
    for (const c of clients) c.send({ t: 'progress-off' })
  } finally {
    for (const c of clients) {
      c.on('progress', () => {})
      c.send({ t: 'disconnect' })
    }
    await Promise.all(clients.map((c) => c.next('disconnected', 30_000).catch(() => undefined)))
    if (profiling) {
      // A clean exit, so that --cpu-prof writes its profile.
      server.send({ t: 'exit' })
      await Promise.race([server.exit, sleep(15_000)])
    }
    await server.kill()
  }
  return result
}

function line(r) {
  const w = r.workloads
  const f = (x, d = 0) => (x === null || x === undefined ? '–' : x.toFixed(d))
  return (
    `connect ${f(r.connectMs)} ms · rss/conn ${f(r.rssPerConn / 1024, 1)} KiB · ` +
    `light p50/p99 ${f(w.light?.p50, 2)}/${f(w.light?.p99, 2)} ms · ` +
    `sat ${f(w.saturate?.deliveriesPerSec / 1000)}k/s ${f(w.saturate?.cpuUsPer1k)} µs/1k ` +
    `(cpu server ${f(w.saturate?.cpuShare * 100)}% clients ${f(w.saturate?.clientCpuShare * 100)}%) · ` +
    `burst ${f(w.burst?.deliveriesPerSec / 1000)}k/s`
  )
}

/** Medians over rounds, per N and contender, of every figure. */
function aggregate(sessions) {
  const out = {}
  for (const n of sizes) {
    out[n] = {}
    for (const contender of contenders) {
      const runs = sessions.filter((s) => s.n === n && s.contender === contender && !s.error)
      if (runs.length === 0) continue
      const m = {
        rounds: runs.length,
        connectMs: median(runs.map((r) => r.connectMs)),
        rssPerConn: median(runs.map((r) => r.rssPerConn)),
        heapPerConn: median(runs.map((r) => r.heapPerConn)),
        workloads: {},
      }
      for (const workload of workloadsFor(n)) {
        const ws = runs.map((r) => r.workloads[workload.id]).filter(Boolean)
        const pick = (key) => median(ws.map((w) => w[key]))
        m.workloads[workload.id] = {
          deliveriesPerSec: pick('deliveriesPerSec'),
          cpuUsPer1k: pick('cpuUsPer1k'),
          cpuShare: pick('cpuShare'),
          clientCpuShare: pick('clientCpuShare'),
          p50: pick('p50'),
          p99: pick('p99'),
          max: pick('max'),
        }
      }
      out[n][contender] = m
    }
  }
  return out
}

async function main() {
  const startedAt = new Date()
  const limit = await hardFileLimit()
  const perProcess = Math.max(...sizes) / clientCount + 64
  if (limit < Math.max(...sizes) + 64 || limit < perProcess) {
    throw new Error(
      `open-files hard limit is ${limit}; N = ${Math.max(...sizes)} needs more (raise ulimit -Hn)`,
    )
  }
  console.log(
    `notify bench${quick ? ' --quick' : ''}: ${rounds} round(s), N = ${sizes.join(', ')}, ` +
      `${contenders.length} contenders, node ${process.version}, ${os.cpus().length} cores, open files ≤ ${limit}`,
  )
  const clients = await startClients()
  const sessions = []
  try {
    for (let round = 0; round < rounds; round++) {
      for (const n of sizes) {
        // Interleave: rotate the contender order every round.
        const order = contenders.map((_, i) => contenders[(i + round) % contenders.length])
        for (const contender of order) {
          process.stdout.write(`round ${round + 1}/${rounds} N=${n} ${contender.padEnd(15)} `)
          try {
            const r = await session(contender, n, clients)
            r.round = round
            sessions.push(r)
            console.log(line(r))
          } catch (error) {
            console.log('')
            fail(`${contender} N=${n}: ${error.message}`)
            sessions.push({ contender, n, round, error: error.message })
          }
        }
      }
    }
  } finally {
    for (const c of clients) c.send({ t: 'exit' })
    await Promise.all(clients.map((c) => c.exit))
  }

  let micro
  if (args.micro && !args['no-micro']) {
    const { runMicro } = await import('./micro.mjs')
    micro = await runMicro({ quick })
  }

  const results = {
    version: 1,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    durationS: Math.round((Date.now() - startedAt.getTime()) / 1000),
    quick,
    machine: {
      cores: os.cpus().length,
      cpu: os.cpus()[0]?.model ?? 'unknown',
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
      platform: `${os.platform()} ${os.release()}`,
    },
    config: {
      rounds,
      sizes,
      contenders,
      clients: clientCount,
      timing,
      workloads: Object.fromEntries(sizes.map((n) => [n, workloadsFor(n)])),
    },
    sessions,
    medians: aggregate(sessions),
    micro,
    failures,
  }
  console.log(`\n${renderTables(results)}`)

  const dir = fileURLToPath(new URL('./results/', import.meta.url))
  await mkdir(`${dir}tmp`, { recursive: true })
  const json = `${JSON.stringify(results, null, 2)}\n`
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-')
  await writeFile(args.out ?? `${dir}tmp/${stamp}${quick ? '-quick' : ''}.json`, json)
  if (!quick && !args.out) await writeFile(`${dir}latest.json`, json)
  console.log(
    `results: ${args.out ?? `bench/results/${quick ? 'tmp/…' : 'latest.json'}`} (${results.durationS} s)`,
  )
  if (failures.length > 0) {
    console.error(`\n${failures.length} failure(s):\n  ${failures.join('\n  ')}`)
    process.exitCode = 1
  }
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
