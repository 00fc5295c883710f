import type {
  AppendInput,
  AppendResult,
  LogEntry,
  ReadAfterResult,
  ReplayOptions,
  ReplayStore,
} from '@notify/core'
import {
  type Handle,
  openClient,
  quit,
  type RedisConnectionOptions,
  ScriptRunner,
  unavailable,
  whenReady,
} from './connection.js'
import { compareStreamIds, parseStreamId } from './ids.js'
import { DEFAULT_COMMAND_TIMEOUT_MS, DEFAULT_CONNECT_TIMEOUT_MS, keyPrefix, positive } from './options.js'
import { APPEND_SCRIPT, HEAD_SCRIPT, READ_SCRIPT } from './scripts.js'

const DEFAULT_MAX_EVENTS = 10_000
const DEFAULT_MAX_AGE_MS = 60 * 60 * 1000
const DEFAULT_READ_PAGE = 1000
// Topics cannot contain control characters (core rejects them), so LF separates them safely.
const TOPIC_SEPARATOR = '\n'

/** Options of {@link redisReplayStore}. */
export interface RedisReplayStoreOptions {
  /** Retention, shared by all topics, trimmed exactly (`MAXLEN =`, `MINID =`). @defaultValue `{ maxEvents: 10000, maxAgeMs: 3600000 }` */
  replay?: ReplayOptions
  /**
   * Prefix of every key: `<prefix>:log` (the stream), `<prefix>:meta`, `<prefix>:key:<key>`.
   * Use one per application sharing a Redis; on Redis Cluster wrap it in braces (`{notify}`)
   * so all keys share a slot. @defaultValue `'notify'`
   */
  prefix?: string
  /** A Redis call not answered within this is failed with `BACKPLANE_UNAVAILABLE`, in ms. @defaultValue 2000 */
  commandTimeoutMs?: number
  /** How long `head()` (the hub's start) waits for a first connection, in ms. @defaultValue 10000 */
  connectTimeoutMs?: number
}

/** A {@link ReplayStore} with the Redis details the backplane needs. @internal */
export interface RedisReplayStore extends ReplayStore {
  /** The log's last id, first resumable id and newest trimmed id, creating the log if needed. */
  position(): Promise<{ last: string; floor: string; trimmed: string }>
  /** Name of the stream key. */
  readonly streamKey: string
}

/** Resolved options shared by the store and the backplane. @internal */
export interface StoreSettings {
  maxEvents: number
  maxAgeMs: number
  prefix: string
  commandTimeoutMs: number
  connectTimeoutMs: number
}

/** Validates and fills in defaults. @internal */
export function storeSettings(options: RedisReplayStoreOptions): StoreSettings {
  return {
    prefix: keyPrefix(options.prefix),
    maxEvents: positive(options.replay?.maxEvents, DEFAULT_MAX_EVENTS, 'replay.maxEvents'),
    maxAgeMs: positive(options.replay?.maxAgeMs, DEFAULT_MAX_AGE_MS, 'replay.maxAgeMs'),
    commandTimeoutMs: positive(options.commandTimeoutMs, DEFAULT_COMMAND_TIMEOUT_MS, 'commandTimeoutMs'),
    connectTimeoutMs: positive(options.connectTimeoutMs, DEFAULT_CONNECT_TIMEOUT_MS, 'connectTimeoutMs'),
  }
}

/**
 * A replay log on a Redis Stream, shared by every hub that uses the same Redis and prefix.
 * Ids are Stream ids (`<ms>-<n>`); retention is exact; idempotent appends are one Lua script.
 * `redisBackplane()` creates one for you; use this directly for a single instance whose log
 * must survive restarts.
 *
 * @param connection - `{ url }` (a client is created and closed by `close()`) or `{ client }` (yours)
 * @param options - retention, key prefix, timeouts (see {@link RedisReplayStoreOptions})
 * @returns a `ReplayStore` for `createHub({ store })`
 * @throws {@link NotifyError} `INVALID_OPTION` for a missing url or an out-of-range option
 * @example
 * ```ts
 * import { createHub } from '@notify/core'
 * import { redisReplayStore } from '@notify/redis'
 *
 * const hub = createHub({ store: redisReplayStore({ url: 'redis://127.0.0.1:6379' }, { replay: { maxEvents: 50_000 } }) })
 * ```
 */
export function redisReplayStore(
  connection: RedisConnectionOptions,
  options: RedisReplayStoreOptions = {},
): ReplayStore {
  const settings = storeSettings(options)
  return createStore(openClient(connection), settings)
}

/** The store over an open handle. @internal */
export function createStore(handle: Handle, settings: StoreSettings): RedisReplayStore {
  const { client } = handle
  const { maxEvents, maxAgeMs, prefix, commandTimeoutMs, connectTimeoutMs } = settings
  const streamKey = `${prefix}:log`
  const metaKey = `${prefix}:meta`
  const scripts = new ScriptRunner(client, commandTimeoutMs, connectTimeoutMs)
  let closed = false

  function checkOpen(): void {
    if (closed) throw unavailable('the Redis replay store is closed')
  }

  async function position(): Promise<{ last: string; floor: string; trimmed: string }> {
    checkOpen()
    const reply = await scripts.run(HEAD_SCRIPT, [streamKey, metaKey], [])
    const [last, floor, trimmed] = strings(reply, 3)
    return { last: last!, floor: floor!, trimmed: trimmed! }
  }

  return {
    streamKey,
    position,

    async append(input: AppendInput): Promise<AppendResult> {
      checkOpen()
      const topics = input.topics.join(TOPIC_SEPARATOR)
      const keys = [streamKey, metaKey]
      if (input.key !== undefined) keys.push(`${prefix}:key:${input.key}`)
      const args = [topics, input.event, input.data, maxEvents, maxAgeMs, input.keyTtlMs]
      const reply = await scripts.run(APPEND_SCRIPT, keys, args)
      if (!Array.isArray(reply) || reply.length !== 2 || typeof reply[1] !== 'string') {
        throw unavailable(`unexpected reply from the append script: ${JSON.stringify(reply)}`)
      }
      const id = reply[1]
      if (reply[0] === 1) return { id, duplicate: true }
      return {
        id,
        duplicate: false,
        entry: { id, topics: input.topics, event: input.event, data: input.data },
      }
    },

    async head(): Promise<string> {
      checkOpen()
      // The hub's start: wait for a first connection rather than fail while Redis is still booting.
      await whenReady(client, connectTimeoutMs)
      return (await position()).last
    },

    async readAfter(lastId: string, topics: ReadonlySet<string>): Promise<ReadAfterResult> {
      checkOpen()
      const parsed = parseStreamId(lastId)
      if (parsed === undefined) return { ok: false, reason: 'unknown' }
      let cursor = `${parsed[0]}-${parsed[1]}`
      let first = true
      const events: LogEntry[] = []
      // Pages of DEFAULT_READ_PAGE; each page re-checks eviction, so a trim between pages is
      // reported as `evicted`, never skipped over.
      for (;;) {
        const reply = await scripts.run(
          READ_SCRIPT,
          [streamKey, metaKey],
          [cursor, DEFAULT_READ_PAGE, maxEvents, maxAgeMs],
        )
        if (!Array.isArray(reply) || typeof reply[1] !== 'string') {
          throw unavailable(`unexpected reply from the read script: ${JSON.stringify(reply)}`)
        }
        const [status, last] = reply as [string, string, unknown]
        if (status === 'unknown' || status === 'evicted') {
          // Only the first page can find the client's id unknown; later, eviction is all that can happen.
          return { ok: false, reason: first ? status : 'evicted' }
        }
        const raw = Array.isArray(reply[2]) ? (reply[2] as unknown[]) : []
        for (const entry of parseEntries(raw)) {
          if (entry.topics.some((topic) => topics.has(topic))) events.push(entry)
        }
        const lastRaw = raw[raw.length - 1]
        if (raw.length < DEFAULT_READ_PAGE || !Array.isArray(lastRaw)) return { ok: true, events, head: last }
        cursor = String(lastRaw[0])
        first = false
      }
    },

    compare: compareStreamIds,

    async close(): Promise<void> {
      if (closed) return
      closed = true
      if (handle.owned) await quit(client)
    },
  }
}

/** XRANGE / XREAD entries (`[id, [field, value, …]]`) → log entries. @internal */
export function parseEntries(raw: unknown): LogEntry[] {
  if (!Array.isArray(raw)) return []
  const entries: LogEntry[] = []
  for (const item of raw) {
    if (!Array.isArray(item) || typeof item[0] !== 'string' || !Array.isArray(item[1])) continue
    const fields = item[1] as unknown[]
    let topics: string | undefined
    let event: string | undefined
    let data: string | undefined
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const value = fields[i + 1]
      if (typeof value !== 'string') continue
      if (fields[i] === 'topics') topics = value
      else if (fields[i] === 'event') event = value
      else if (fields[i] === 'data') data = value
    }
    // Entries not written by notify (someone else XADDing to the key) are skipped, not guessed at.
    if (topics === undefined || event === undefined || data === undefined) continue
    entries.push({ id: item[0], topics: topics.split(TOPIC_SEPARATOR), event, data })
  }
  return entries
}

function strings(reply: unknown, count: number): string[] {
  if (
    !Array.isArray(reply) ||
    reply.length < count ||
    reply.slice(0, count).some((v) => typeof v !== 'string')
  ) {
    throw unavailable(`unexpected reply from Redis: ${JSON.stringify(reply)}`)
  }
  return reply as string[]
}
