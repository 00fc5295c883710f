import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createConnection } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from './listen.js'

export interface RedisServer {
  readonly port: number
  readonly url: string
  /** Graceful stop (SHUTDOWN via SIGTERM; with appendonly the data survives a `start()`). */
  stop(): Promise<void>
  /** SIGKILL: no chance to persist. */
  kill(): Promise<void>
  /** Starts it again on the same port and directory. */
  start(): Promise<void>
  /** Stops it and removes its directory. */
  dispose(): Promise<void>
}

/** Starts a private `redis-server` on a free 127.0.0.1 port, in a temporary directory. */
export async function redisServer(
  options: { binary?: string; appendonly?: boolean; port?: number } = {},
): Promise<RedisServer> {
  const binary = options.binary ?? 'redis-server'
  const port = options.port ?? (await freePort())
  const dir = mkdtempSync(join(tmpdir(), 'notify-redis-'))
  let child: ChildProcess | undefined

  async function start(): Promise<void> {
    const args = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--protected-mode',
      'no',
    ]
    args.push('--appendonly', options.appendonly ? 'yes' : 'no')
    child = spawn(binary, args, { stdio: 'ignore' })
    const started = Date.now()
    while (!(await ping(port))) {
      if (Date.now() - started > 10_000) throw new Error(`redis-server did not start on port ${port}`)
      await new Promise((resolve) => setTimeout(resolve, 25))
    }
  }

  async function signal(name: NodeJS.Signals): Promise<void> {
    const current = child
    child = undefined
    if (current === undefined || current.exitCode !== null) return
    const exited = new Promise<void>((resolve) => current.once('exit', () => resolve()))
    current.kill(name)
    await exited
  }

  await start()
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    stop: () => signal('SIGTERM'),
    kill: () => signal('SIGKILL'),
    start,
    async dispose() {
      await signal('SIGKILL')
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' })
    socket.once('connect', () => socket.write('PING\r\n'))
    socket.once('data', (data) => {
      socket.destroy()
      resolve(data.toString().startsWith('+PONG'))
    })
    socket.once('error', () => resolve(false))
  })
}
