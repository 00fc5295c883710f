import { Writable } from 'node:stream'
import { SignJWT } from 'jose'
import { pino } from 'pino'
import { createServer, mintToken, type NotifyServer, type ServerOptions } from '../src/index.js'

export const SECRET = 'test-secret-0123456789-abcdefghijklmnopqrstuvwxyz'

export interface Started {
  readonly notify: NotifyServer
  readonly url: string
  /** Every log line, parsed. */
  readonly logs: Record<string, unknown>[]
  /** The raw log text. */
  readonly logText: () => string
  token(
    sub: string,
    claims?: { subscribe?: string[]; publish?: string[] },
    expiresInSeconds?: number,
  ): Promise<string>
  publish(body: unknown, init?: { token?: string; headers?: Record<string, string> }): Promise<Response>
  close(): Promise<void>
}

/** Starts a server on 127.0.0.1 and a free port, logging into memory. */
export async function start(options: ServerOptions = {}): Promise<Started> {
  const logs: Record<string, unknown>[] = []
  let text = ''
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      text += chunk.toString()
      for (const line of chunk.toString().split('\n')) if (line !== '') logs.push(JSON.parse(line))
      callback()
    },
  })
  const notify = createServer({
    host: '127.0.0.1',
    port: 0,
    jwt: { secret: SECRET },
    logger: pino({ level: 'debug' }, sink),
    ...options,
  })
  const url = await notify.listen()
  const started: Started = {
    notify,
    url,
    logs,
    logText: () => text,
    token: (sub, claims = {}, expiresInSeconds = 3600) =>
      mintToken({ secret: SECRET, sub, ...claims, expiresInSeconds }),
    async publish(body, init = {}) {
      const token = init.token ?? (await started.token('publisher', { publish: ['*'] }))
      return fetch(`${url}/publish`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...init.headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      })
    },
    close: () => notify.close(),
  }
  return started
}

/** Signs arbitrary claims and headers (for tokens the server must refuse). */
export async function signRaw(
  payload: Record<string, unknown>,
  options: { secret?: string; alg?: string; exp?: number; nbf?: number } = {},
): Promise<string> {
  let jwt = new SignJWT(payload).setProtectedHeader({ alg: options.alg ?? 'HS256' }).setIssuedAt()
  if (options.exp !== undefined) jwt = jwt.setExpirationTime(options.exp)
  if (options.nbf !== undefined) jwt = jwt.setNotBefore(options.nbf)
  return jwt.sign(new TextEncoder().encode(options.secret ?? SECRET))
}

/** An unsigned (`alg: none`) token with the given claims. */
export function unsignedToken(payload: Record<string, unknown>): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
  return `${encode({ alg: 'none', typ: 'JWT' })}.${encode(payload)}.`
}

export async function errorOf(response: Response): Promise<{ code: string; message: string }> {
  const body = (await response.json()) as { error: { code: string; message: string } }
  return body.error
}

/** Waits until `predicate` holds, polling every 10 ms. */
export async function waitFor(
  predicate: () => boolean,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<void> {
  const started = Date.now()
  while (!predicate()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}
