import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { openStream, type Stream } from '@notify/test-utils'

const FIXTURE = fileURLToPath(new URL('./fixtures/instance.mjs', import.meta.url))
const DIST = fileURLToPath(new URL('../dist/index.js', import.meta.url))

/** A notify instance in its own process. */
export interface Instance {
  readonly url: string
  readonly child: ChildProcess
  /** What it wrote to stderr. */
  readonly stderr: () => string
  /** Resolves with the exit code (or signal) once it exits. */
  readonly exited: Promise<number | NodeJS.Signals | null>
  /** SIGTERM and wait (graceful: hub.close()). */
  stop(): Promise<number | NodeJS.Signals | null>
}

/** Starts `test/fixtures/instance.mjs` (which imports the built package: run `pnpm build` first). */
export async function startInstance(env: Record<string, string>): Promise<Instance> {
  if (!existsSync(DIST))
    throw new Error(`${DIST} is missing: run \`pnpm --filter @notify/redis build\` first`)
  const child = spawn(process.execPath, [FIXTURE], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stderr!.on('data', (chunk) => {
    stderr += chunk
  })
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal)),
  )
  const port = await new Promise<number>((resolve, reject) => {
    let out = ''
    child.stdout!.on('data', (chunk) => {
      out += chunk
      const line = out.split('\n')[0]
      if (out.includes('\n') && line !== undefined) resolve((JSON.parse(line) as { port: number }).port)
    })
    void exited.then((code) =>
      reject(new Error(`instance exited (${String(code)}) before listening:\n${stderr}`)),
    )
  })
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    stderr: () => stderr,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      return exited
    },
  }
}

/** Publishes through an instance's HTTP endpoint; resolves with the status and JSON body. */
export async function publish(
  instance: Instance,
  topics: string[],
  data: unknown,
  key?: string,
): Promise<{ status: number; body: { id?: string; duplicate?: boolean; error?: { code: string } } }> {
  const query = new URLSearchParams(topics.map((t) => ['topic', t]))
  query.set('event', 'msg')
  if (key !== undefined) query.set('key', key)
  const response = await fetch(`${instance.url}/publish?${query}`, {
    method: 'POST',
    body: JSON.stringify(data),
  })
  return { status: response.status, body: (await response.json()) as never }
}

/** The backplane status an instance reports. */
export async function statusOf(instance: Instance): Promise<string> {
  const response = await fetch(`${instance.url}/status`)
  return ((await response.json()) as { status: string }).status
}

/**
 * A client that follows a list of instances like a load balancer would: when its stream ends
 * it reconnects to the next live one, sending `Last-Event-ID` (the last id it was sent).
 */
export interface Follower {
  /** Data of every app event received, across reconnects, in order. */
  readonly received: unknown[]
  /** Every `notify:reset` data received. */
  readonly resets: unknown[]
  /** How many streams it opened. */
  readonly streams: number
  /** The current stream. */
  readonly current: Stream | undefined
  /** Resolves once `predicate(received)` holds. */
  until(predicate: (received: unknown[]) => boolean, timeoutMs?: number): Promise<void>
  close(): void
}

export async function follow(
  instances: Instance[],
  topics: string[],
  lastEventId?: string,
): Promise<Follower> {
  const received: unknown[] = []
  const resets: unknown[] = []
  let lastId = lastEventId
  let closed = false
  let streams = 0
  let current: Stream | undefined
  let index = 0
  const waiters = new Set<() => void>()
  const notify = () => {
    for (const waiter of [...waiters]) waiter()
  }

  async function connect(): Promise<void> {
    for (let attempt = 0; !closed; attempt++) {
      const instance = instances[index % instances.length]!
      const query = new URLSearchParams(topics.map((t) => ['topic', t]))
      try {
        const stream = await openStream(`${instance.url}/events?${query}`, {
          headers: lastId === undefined ? {} : { 'last-event-id': lastId },
        })
        if (stream.status !== 200) throw new Error(`status ${stream.status}`)
        streams++
        current = stream
        let seen = 0
        let seenIds = 0
        const pump = () => {
          for (; seen < stream.events.length; seen++) {
            const event = stream.events[seen]!
            if (event.event === 'notify:reset') resets.push(JSON.parse(event.data))
            else received.push(JSON.parse(event.data))
          }
          for (; seenIds < stream.ids.length; seenIds++) lastId = stream.ids[seenIds]
          notify()
        }
        // The stream has no per-event callback; polling its arrays is plenty for a test client.
        const timer = setInterval(pump, 10)
        await stream.ended
        clearInterval(timer)
        pump()
        if (closed) return
      } catch {
        // Instance down: try the next one.
      }
      index++
      await new Promise((resolve) => setTimeout(resolve, Math.min(50 * attempt, 200)))
    }
  }

  void connect()
  return {
    received,
    resets,
    get streams() {
      return streams
    },
    get current() {
      return current
    },
    until(predicate, timeoutMs = 20_000) {
      if (predicate(received)) return Promise.resolve()
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(
            new Error(`timed out; received ${JSON.stringify(received)}, resets ${JSON.stringify(resets)}`),
          )
        }, timeoutMs)
        const check = () => {
          if (!predicate(received)) return
          clearTimeout(timer)
          waiters.delete(check)
          resolve()
        }
        waiters.add(check)
      })
    },
    close() {
      closed = true
      current?.close()
    },
  }
}
