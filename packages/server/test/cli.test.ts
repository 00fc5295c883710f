import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { request } from 'node:http'
import { fileURLToPath } from 'node:url'
import { freePort, openStream } from '@notify/test-utils'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { SECRET, waitFor } from './helpers.js'

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url))
const children: ChildProcess[] = []

interface Run {
  child: ChildProcess
  stdout: () => string
  stderr: () => string
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>
}

function run(args: string[], env: Record<string, string> = {}): Run {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.push(child)
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString()
  })
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
  )
  return { child, stdout: () => stdout, stderr: () => stderr, exited }
}

async function listening(cli: Run): Promise<void> {
  await waitFor(
    () => cli.stdout().includes('"msg":"listening"') || cli.child.exitCode !== null,
    15_000,
    'listening',
  )
  if (cli.child.exitCode !== null) throw new Error(`the CLI exited: ${cli.stderr()}`)
}

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run pnpm --filter @notify/server build first`)
})

afterEach(() => {
  for (const child of children.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
})

describe('notify CLI', () => {
  it('--help documents the flags and exits 0', async () => {
    const cli = run(['--help'])
    expect((await cli.exited).code).toBe(0)
    expect(cli.stdout()).toContain('--jwt-secret')
    expect(cli.stdout()).toContain('NOTIFY_PORT')
  })

  it('refuses to start without a JWT key unless --dev, exit code 2', async () => {
    const cli = run(['--port', '0'])
    expect((await cli.exited).code).toBe(2)
    expect(cli.stderr()).toContain('no JWT key')
    const bad = run(['--port', 'x'])
    expect((await bad.exited).code).toBe(2)
    expect(bad.stderr()).toContain('--port (NOTIFY_PORT)')
  })

  it.each([
    [
      ['--heartbeat', '15'],
      {},
      '--heartbeat (NOTIFY_HEARTBEAT) got "15": add a unit, e.g. 15s (ms, s, m or h)',
    ],
    [[], { NOTIFY_RETRY: '1' }, '--retry (NOTIFY_RETRY) got "1": add a unit, e.g. 1s'],
    [['--heartbeat', '200ms'], {}, '--heartbeat (NOTIFY_HEARTBEAT) got "200ms": must be at least 1s'],
    [
      ['--max-body', '65536'],
      {},
      '--max-body (NOTIFY_MAX_BODY) got "65536": add a unit: 65536b (bytes), 65536kb or 65536mb',
    ],
    [[], { NOTIFY_DEV: 'maybe' }, 'NOTIFY_DEV got "maybe": use 1, true, yes or on'],
  ] as [string[], Record<string, string>, string][])(
    'fails at startup with exit code 2 on %j %j, naming the flag and the fix',
    async (args, env, message) => {
      const cli = run(['--port', '0', ...args], { NOTIFY_JWT_SECRET: SECRET, ...env })
      expect((await cli.exited).code).toBe(2)
      expect(cli.stderr()).toContain(`notify: ${message}`)
      expect(cli.stdout()).not.toContain('listening')
    },
  )

  it('logs the --redis URL with the password fully replaced; a URL that does not parse fails naming --redis', async () => {
    const port = await freePort()
    const redisPort = await freePort()
    // No Redis on that port: the server starts anyway (not ready), which is enough to see the log line.
    const cli = run(['--port', String(port), '--host', '127.0.0.1'], {
      NOTIFY_JWT_SECRET: SECRET,
      NOTIFY_REDIS_URL: `redis://default:p@ssw0rd@127.0.0.1:${redisPort}`,
      NOTIFY_LOG_LEVEL: 'info',
    })
    await waitFor(() => cli.stdout().includes('using the Redis backplane') || cli.child.exitCode !== null)
    expect(cli.stdout()).toContain(`"redis":"redis://default:***@127.0.0.1:${redisPort}"`)
    expect(cli.stdout() + cli.stderr()).not.toContain('ssw0rd')
    cli.child.kill('SIGKILL')

    const bad = run(['--port', '0', '--redis', 'redis://default:hunter2@[::1'], { NOTIFY_JWT_SECRET: SECRET })
    expect((await bad.exited).code).toBe(2)
    expect(bad.stderr()).toMatch(/^notify: --redis \(NOTIFY_REDIS_URL\) is not a valid Redis URL/)
    expect(bad.stdout() + bad.stderr()).not.toContain('hunter2')
  })

  it('SIGTERM with connected clients: streams end cleanly with a retry hint, exit 0 in time', async () => {
    const port = await freePort()
    const cli = run([], {
      NOTIFY_PORT: String(port),
      NOTIFY_HOST: '127.0.0.1',
      NOTIFY_JWT_SECRET: SECRET,
      NOTIFY_RETRY: '2500ms',
      NOTIFY_SHUTDOWN_TIMEOUT: '3s',
    })
    await listening(cli)
    const { mintToken } = await import('../src/index.js')
    const headers = (sub: string) =>
      mintToken({ secret: SECRET, sub }).then((t) => ({ authorization: `Bearer ${t}` }))
    const streams = [
      await openStream(`http://127.0.0.1:${port}/events`, { headers: await headers('alice') }),
      await openStream(`http://127.0.0.1:${port}/events`, { headers: await headers('bob') }),
    ]
    await Promise.all(streams.map((s) => s.until((x) => x.ids.length > 0)))
    const sentAt = Date.now()
    cli.child.kill('SIGTERM')
    const exit = await cli.exited
    expect(exit.code).toBe(0)
    expect(exit.at - sentAt).toBeLessThan(3000)
    for (const stream of streams) {
      await stream.ended
      // The opening retry, then the shutdown hint just before the end.
      expect(stream.retries).toEqual([2500, 2500])
      expect(stream.text.endsWith('retry: 2500\n\n')).toBe(true)
    }
    expect(cli.stdout()).toContain('"reason":"hub-closed"')
    expect(cli.stdout()).toContain('"msg":"stopped"')
  })

  it('SIGINT is bounded by the shutdown timeout even with a request that never finishes', async () => {
    const port = await freePort()
    const cli = run(['--port', String(port), '--host', '127.0.0.1', '--shutdown-timeout', '800ms'], {
      NOTIFY_JWT_SECRET: SECRET,
    })
    await listening(cli)
    const { mintToken } = await import('../src/index.js')
    const token = await mintToken({ secret: SECRET, sub: 'slow', publish: ['*'] })
    // A publish whose body never ends: in flight for ever unless the server gives up on it.
    const stuck = request(`http://127.0.0.1:${port}/publish`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${token}`,
        'transfer-encoding': 'chunked',
      },
    })
    stuck.on('error', () => {})
    stuck.write('[')
    await new Promise((resolve) => setTimeout(resolve, 200))
    const sentAt = Date.now()
    cli.child.kill('SIGINT')
    const exit = await cli.exited
    expect(exit.code).toBe(0)
    expect(exit.at - sentAt).toBeGreaterThanOrEqual(700)
    expect(exit.at - sentAt).toBeLessThan(3000)
    expect(cli.stdout()).toContain('shutdown timed out')
    stuck.destroy()
  })

  it('--dev prints a secret and ready tokens that work', async () => {
    const port = await freePort()
    const cli = run(['--dev', '--port', String(port)])
    await waitFor(() => cli.stdout().includes('PUB='), 15_000, 'dev banner')
    const alice = /ALICE=(\S+)/.exec(cli.stdout())![1]!
    const publisher = /PUB=(\S+)/.exec(cli.stdout())![1]!
    expect(cli.stdout()).toMatch(/JWT secret\s+\S{32,}/)
    const stream = await openStream(`http://127.0.0.1:${port}/events?topic=orders`, {
      headers: { authorization: `Bearer ${alice}` },
    })
    expect(stream.status).toBe(200)
    await stream.until((s) => s.ids.length > 0)
    const response = await fetch(`http://127.0.0.1:${port}/publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${publisher}` },
      body: JSON.stringify({ topic: 'orders', event: 'order.created', data: { id: 7 } }),
    })
    expect(response.status).toBe(202)
    await stream.until((s) => s.events.length === 1)
    expect(stream.events[0]?.data).toBe('{"id":7}')
    stream.close()
    cli.child.kill('SIGTERM')
    expect((await cli.exited).code).toBe(0)
  })
})
