// Child processes for the bench: spawned through /bin/sh so each one first raises its
// open-files limit to the hard limit (10,000 sockets need more than the usual 1,024).
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const here = fileURLToPath(new URL('..', import.meta.url))
const running = new Set()

// Whatever way the run ends, no server or client process outlives it.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL')
})
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(130))

/** Hard limit on open files for processes started from here (`ulimit -Hn`). */
export async function hardFileLimit() {
  const child = spawn('/bin/sh', ['-c', 'ulimit -Hn'], { stdio: ['ignore', 'pipe', 'ignore'] })
  let out = ''
  for await (const chunk of child.stdout) out += chunk
  const value = out.trim()
  return value === 'unlimited' ? Number.POSITIVE_INFINITY : Number(value)
}

/**
 * Starts `node [nodeArgs] <script> [args]` with an IPC channel, its file limit raised.
 * @returns a handle: `send`, `next(type)` (the next message of that type), `on(type, fn)`, `kill()`
 */
export function startChild(script, args = [], nodeArgs = []) {
  const child = spawn(
    '/bin/sh',
    [
      '-c',
      'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"',
      'sh',
      process.execPath,
      ...nodeArgs,
      script,
      ...args,
    ],
    { cwd: here, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  )
  running.add(child)
  const waiting = new Map()
  const listeners = new Map()
  let exited = false
  const exit = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      exited = true
      running.delete(child)
      for (const [, queue] of waiting) {
        for (const { reject } of queue)
          reject(new Error(`${script} ${args.join(' ')} exited (${signal ?? code})`))
      }
      waiting.clear()
      resolve({ code, signal })
    })
  })
  child.on('message', (msg) => {
    listeners.get(msg.t)?.(msg)
    const queue = waiting.get(msg.t)
    if (queue !== undefined && queue.length > 0) queue.shift().resolve(msg)
  })
  return {
    child,
    exit,
    get exited() {
      return exited
    },
    send(msg) {
      if (!exited && child.connected) child.send(msg)
    },
    next(type, timeoutMs = 120_000) {
      if (exited) return Promise.reject(new Error(`${script} has exited`))
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`timed out waiting for "${type}" from ${script}`)),
          timeoutMs,
        )
        const entry = {
          resolve: (m) => {
            clearTimeout(timer)
            resolve(m)
          },
          reject: (e) => {
            clearTimeout(timer)
            reject(e)
          },
        }
        if (!waiting.has(type)) waiting.set(type, [])
        waiting.get(type).push(entry)
      })
    },
    on(type, fn) {
      listeners.set(type, fn)
    },
    async kill() {
      if (exited) return
      child.kill('SIGKILL')
      await exit
    },
  }
}
