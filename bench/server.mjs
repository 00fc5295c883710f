// One contender's server process: `node --expose-gc server.mjs <contender>`. It serves
// /events on 127.0.0.1, publishes the workloads run.mjs asks for (stamping each event with
// the send time), and reports its own CPU time and memory. Driven over IPC by run.mjs.
import { once } from 'node:events'

const contender = process.argv[2]
const mod = await import(`./contenders/${contender}.mjs`)
const impl = mod.start()
const { server } = impl
server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 })
await once(server, 'listening')

const nowUs = () => Number(process.hrtime.bigint() / 1000n)
const send = (message) => process.send?.(message)

function memory() {
  for (let i = 0; i < 3; i++) globalThis.gc?.()
  const m = process.memoryUsage()
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers }
}

let seq = 0
// Both count from the first connection on: events published, and deliveries the clients reported.
let published = 0
let delivered = 0
let running
let waitingForProgress

/** Event data: the send stamp first (clients find it by the `{"t":` prefix), then padding. */
function makeData(t, s, padding) {
  return { t, s, p: padding }
}

function padFor(bytes) {
  const bare = JSON.stringify(makeData(nowUs(), 100000, '')).length
  return 'x'.repeat(Math.max(0, bytes - bare))
}

async function publishOne(padding) {
  seq++
  published++
  await impl.publish(seq, makeData(nowUs(), seq, padding))
}

function stopRunning() {
  if (running === undefined) return
  running.stopped = true
  clearInterval(running.timer)
  waitingForProgress = undefined
  running = undefined
}

/**
 * light: a fixed rate from a timer. saturate: one event per tick, as long as fewer than
 * `window` events per connection are in flight (published but not yet counted by the clients).
 * burst: `burst` events in one tick, same pacing.
 */
function run(workload) {
  stopRunning()
  const padding = padFor(workload.payload)
  const state = { stopped: false, timer: undefined }
  running = state
  const { connections } = workload
  if (workload.kind === 'light') {
    state.timer = setInterval(() => {
      publishOne(padding).catch(fail)
    }, 1000 / workload.rate)
    return
  }
  const perStep = workload.kind === 'burst' ? workload.burst : 1
  const limit = workload.window * connections
  const step = async () => {
    if (state.stopped) return
    if (published * connections - delivered >= limit) {
      waitingForProgress = step
      return
    }
    if (perStep === 1) await publishOne(padding)
    else {
      const all = []
      for (let i = 0; i < perStep; i++) all.push(publishOne(padding))
      await Promise.all(all)
    }
    setImmediate(() => step().catch(fail))
  }
  step().catch(fail)
}

function fail(error) {
  console.error(`[${contender}]`, error)
  process.exit(1)
}

let cpuMark
process.on('message', (msg) => {
  switch (msg.t) {
    case 'memory':
      send({ t: 'memory', ...memory(), connections: impl.count() })
      break
    case 'await-connections': {
      const check = () => {
        if (impl.count() >= msg.n) send({ t: 'connections', at: nowUs(), n: impl.count() })
        else setTimeout(check, 5)
      }
      check()
      break
    }
    case 'run':
      run(msg.workload)
      send({ t: 'running' })
      break
    case 'progress': {
      delivered = msg.delivered
      const resume = waitingForProgress
      waitingForProgress = undefined
      resume?.().catch(fail)
      break
    }
    case 'mark': {
      const cpu = process.cpuUsage()
      const at = nowUs()
      const result = { t: 'mark', at, published, seq }
      if (cpuMark !== undefined) {
        result.cpuUs = cpu.user - cpuMark.cpu.user + (cpu.system - cpuMark.cpu.system)
        result.elapsedUs = at - cpuMark.at
        result.publishedInWindow = published - cpuMark.published
      }
      cpuMark = { cpu, at, published }
      send(result)
      break
    }
    case 'stop':
      stopRunning()
      cpuMark = undefined
      send({ t: 'stopped', published, seq, stats: impl.stats?.() })
      break
    case 'exit':
      process.exit(0)
  }
})
process.on('disconnect', () => process.exit(0))
send({ t: 'ready', port: server.address().port, pid: process.pid })
