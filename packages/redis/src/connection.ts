import { createHash } from 'node:crypto'
import { isNotifyError, NotifyError } from '@notify/core'
import { Redis, type RedisOptions } from 'ioredis'

/**
 * How to reach Redis: a URL (the package creates, configures and closes its own clients) or an
 * ioredis client you own (used for commands as is, duplicated for the blocking reader, never closed).
 */
export type RedisConnectionOptions =
  | {
      /** `redis://[:password@]host:port[/db]` or `rediss://…` for TLS. */
      url: string
      /** Extra ioredis options for the clients created from `url` (TLS, username, …). */
      redisOptions?: RedisOptions
      client?: never
    }
  | {
      /** An ioredis client. Prefer `enableOfflineQueue: false` so commands fail fast while Redis is away. */
      client: Redis
      url?: never
      redisOptions?: never
    }

/** Reconnect delay: doubling from 100 ms, capped at 2 s, plus up to 100 ms of jitter. */
export function reconnectDelay(attempt: number): number {
  return Math.min(100 * 2 ** Math.max(0, attempt - 1), 2000) + Math.floor(Math.random() * 100)
}

// Options for clients we create: fail fast instead of queueing while disconnected, reconnect forever.
const OWNED_OPTIONS: RedisOptions = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  retryStrategy: reconnectDelay,
  lazyConnect: false,
}

/** A client and whether we must close it. @internal */
export interface Handle {
  readonly client: Redis
  readonly owned: boolean
}

/** Opens (or adopts) the command client. @internal */
export function openClient(connection: RedisConnectionOptions): Handle {
  if (connection.client !== undefined) {
    const client = connection.client
    // A `lazyConnect` client waits for its first command; ours wait for `ready`, so connect it.
    if (client.status === 'wait') client.connect().catch(() => undefined)
    return { client, owned: false }
  }
  if (typeof connection.url !== 'string' || connection.url === '') {
    throw new NotifyError('INVALID_OPTION', 'pass { url: "redis://host:6379" } or { client: new Redis(…) }')
  }
  const client = new Redis(connection.url, { ...connection.redisOptions, ...OWNED_OPTIONS })
  // Without a listener ioredis prints every failed reconnect; the status listeners report it instead.
  client.on('error', () => undefined)
  return { client, owned: true }
}

/** QUIT, or a hard disconnect when Redis is not there to answer. @internal */
export async function quit(client: Redis): Promise<void> {
  if (client.status === 'end') return
  if (client.status !== 'ready') {
    client.disconnect()
    return
  }
  try {
    await client.quit()
  } catch {
    client.disconnect()
  }
}

/** A second connection for XREAD BLOCK (a blocked connection can carry nothing else). @internal */
export function openReader(client: Redis): Redis {
  const reader = client.duplicate({
    ...OWNED_OPTIONS,
    // A blocking read must not be cut by the command timeout of a user's client.
    commandTimeout: undefined,
    connectionName: 'notify-reader',
  })
  reader.on('error', () => undefined)
  return reader
}

/** Resolves once `client` is ready, rejects after `timeoutMs` (or at once if it was closed for good). @internal */
export function whenReady(client: Redis, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') return Promise.resolve()
  if (client.status === 'end') return Promise.reject(unavailable('the Redis client was closed'))
  return new Promise<void>((resolve, reject) => {
    const done = (error?: Error) => {
      clearTimeout(timer)
      client.off('ready', onReady)
      client.off('end', onEnd)
      if (error === undefined) resolve()
      else reject(error)
    }
    const onReady = () => done()
    const onEnd = () => done(unavailable('the Redis client was closed'))
    const timer = setTimeout(
      () => done(unavailable(`Redis was not reachable within ${timeoutMs} ms`)),
      timeoutMs,
    )
    client.on('ready', onReady)
    client.on('end', onEnd)
  })
}

/** The error every failed Redis call becomes. @internal */
export function unavailable(message: string, cause?: unknown): NotifyError {
  return new NotifyError('BACKPLANE_UNAVAILABLE', message, { cause })
}

/**
 * Runs Lua scripts by SHA, loading them with EVAL when Redis does not know them (first use,
 * after a restart, after SCRIPT FLUSH). Every call fails with `BACKPLANE_UNAVAILABLE` after
 * `timeoutMs` or when the client is not connected, instead of waiting in a queue. @internal
 */
export class ScriptRunner {
  readonly #client: Redis
  readonly #timeoutMs: number
  readonly #loaded = new Set<string>()
  readonly #shas = new Map<string, string>()
  readonly #connectTimeoutMs: number
  #everReady: boolean

  constructor(client: Redis, timeoutMs: number, connectTimeoutMs: number) {
    this.#client = client
    this.#timeoutMs = timeoutMs
    this.#connectTimeoutMs = connectTimeoutMs
    this.#everReady = client.status === 'ready'
    // A restarted Redis has an empty script cache: send the body again on the new connection.
    client.on('ready', () => {
      this.#everReady = true
      this.#loaded.clear()
    })
  }

  async run(script: string, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    let sha = this.#shas.get(script)
    if (sha === undefined) {
      sha = createHash('sha1').update(script).digest('hex')
      this.#shas.set(script, sha)
    }
    const client = this.#client
    // The first connection may still be on its way (a store used right after creation): wait for
    // it. Once connected, a lost connection fails calls at once instead of queueing them.
    if (!this.#everReady) await whenReady(client, this.#connectTimeoutMs)
    if (client.status !== 'ready')
      throw unavailable(`Redis is not connected (${client.status}); nothing was done`)
    // EVAL until one has been sent on this connection: later EVALSHAs queue behind it, so they
    // find the script loaded and replies (hence ids) keep the order of the calls.
    const call = this.#loaded.has(sha)
      ? client.evalsha(sha, keys.length, ...keys, ...args).catch((error: unknown) => {
          if (!String(error).includes('NOSCRIPT')) throw error
          return client.eval(script, keys.length, ...keys, ...args)
        })
      : client.eval(script, keys.length, ...keys, ...args)
    this.#loaded.add(sha)
    return withTimeout(call, this.#timeoutMs)
  }
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(unavailable(`Redis did not answer within ${timeoutMs} ms; the command may still have run`)),
      timeoutMs,
    )
    promise.then(
      (value) => {
        clearTimeout(timer)
        resolve(value)
      },
      (error: unknown) => {
        clearTimeout(timer)
        reject(isNotifyError(error) ? error : unavailable(`Redis failed: ${String(error)}`, error))
      },
    )
  })
}
