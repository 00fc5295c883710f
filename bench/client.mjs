// Load client: a child process holding many raw TCP connections to one SSE server.
// It writes a plain HTTP/1.1 GET, skips the response head, then only looks for frame ends
// (`\n\n`) and the send stamp `{"t":<µs>` the server put in each event's data: no SSE parser,
// no string decoding, so the client side stays cheap. Driven over IPC by run.mjs.
import net from 'node:net'
import { createHistogram, record, toSparse } from './lib/hist.mjs'

const LFLF = Buffer.from('\n\n')
const MARK = Buffer.from('{"t":')
const HEAD_END = Buffer.from('\r\n\r\n')
const OK_PREFIX = 'HTTP/1.1 200'

/** Monotonic clock in µs, the same clock in every process on the machine (CLOCK_MONOTONIC). */
const nowUs = () => Number(process.hrtime.bigint() / 1000n)

let sockets = []
let delivered = 0
let hist = createHistogram()
let recording = false
let progressTimer
let cpuAtRecord

function send(message) {
  process.send?.(message)
}

function onFrames(state, chunk) {
  const buf = state.tail === null ? chunk : Buffer.concat([state.tail, chunk])
  state.tail = null
  let pos = 0
  if (!state.open) {
    const end = buf.indexOf(HEAD_END)
    if (end === -1) {
      state.tail = buf
      return
    }
    const status = buf.toString('latin1', 0, OK_PREFIX.length)
    if (status !== OK_PREFIX) {
      state.failed = true
      state.socket.destroy()
      return
    }
    state.open = true
    state.onOpen()
    pos = end + 4
  }
  let now = -1
  let mark = -1
  for (;;) {
    const end = buf.indexOf(LFLF, pos)
    if (end === -1) break
    if (mark < pos) mark = buf.indexOf(MARK, pos)
    if (mark !== -1 && mark < end) {
      state.count++
      delivered++
      if (recording) {
        let sent = 0
        for (let i = mark + MARK.length; ; i++) {
          const c = buf[i]
          if (c === undefined || c < 48 || c > 57) break
          sent = sent * 10 + (c - 48)
        }
        if (now === -1) now = nowUs()
        record(hist, now - sent)
      }
    } else if (mark === -1) {
      mark = buf.length // no stamp left in this buffer: skip the search for the remaining frames
    }
    pos = end + 2
  }
  if (pos < buf.length) state.tail = buf.subarray(pos)
}

function connectOne(port, path) {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1', noDelay: true })
    const state = { socket, tail: null, open: false, failed: false, count: 0, onOpen: () => resolve(state) }
    socket.on('connect', () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAccept: text/event-stream\r\n\r\n`)
    })
    socket.on('data', (chunk) => onFrames(state, chunk))
    socket.on('error', () => {
      state.failed = true
      resolve(state)
    })
    socket.on('close', () => {
      state.closed = true
      if (!state.open) resolve(state)
    })
  })
}

async function connectAll({ port, path, n, concurrency }) {
  const started = nowUs()
  const results = []
  let next = 0
  async function worker() {
    while (next < n) {
      next++
      results.push(await connectOne(port, path))
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker))
  const finished = nowUs()
  sockets = results
  const failed = results.filter((s) => !s.open || s.failed).length
  return { started, finished, failed }
}

function stats() {
  let min = Number.POSITIVE_INFINITY
  let max = 0
  let closed = 0
  for (const s of sockets) {
    if (s.count < min) min = s.count
    if (s.count > max) max = s.count
    if (s.closed) closed++
  }
  return { delivered, min: sockets.length === 0 ? 0 : min, max, closed, sockets: sockets.length }
}

process.on('message', async (msg) => {
  switch (msg.t) {
    case 'connect': {
      delivered = 0
      const result = await connectAll(msg)
      send({ t: 'connected', ...result })
      break
    }
    case 'progress-on':
      clearInterval(progressTimer)
      progressTimer = setInterval(() => send({ t: 'progress', delivered }), msg.everyMs)
      break
    case 'progress-off':
      clearInterval(progressTimer)
      break
    case 'record':
      hist = createHistogram()
      recording = true
      cpuAtRecord = process.cpuUsage()
      send({ t: 'recording', at: nowUs(), delivered })
      break
    case 'snapshot':
      recording = false
      {
        const cpu = process.cpuUsage(cpuAtRecord)
        send({ t: 'snapshot', at: nowUs(), delivered, cpuUs: cpu.user + cpu.system, hist: toSparse(hist) })
      }
      break
    case 'stats':
      send({ t: 'stats', ...stats() })
      break
    case 'disconnect':
      clearInterval(progressTimer)
      for (const s of sockets) {
        // RST, not FIN: no TIME_WAIT left behind, so ten thousand ports are free again at once.
        if (!s.socket.destroyed) s.socket.resetAndDestroy()
      }
      sockets = []
      send({ t: 'disconnected' })
      break
    case 'exit':
      process.exit(0)
  }
})
process.on('disconnect', () => process.exit(0))
send({ t: 'ready' })
