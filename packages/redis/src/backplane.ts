import type { Backplane, BackplaneStatus, LogEntry } from '@notify/core'
import type { Redis } from 'ioredis'
import { openClient, openReader, quit, type RedisConnectionOptions, reconnectDelay } from './connection.js'
import { compareStreamIds } from './ids.js'
import { positive } from './options.js'
import { createStore, parseEntries, type RedisReplayStoreOptions, storeSettings } from './replay-store.js'

const DEFAULT_BLOCK_MS = 5000
const DEFAULT_READ_COUNT = 1000

/** Options of {@link redisBackplane}: the replay store's, plus the reader's. */
export interface RedisBackplaneOptions extends RedisReplayStoreOptions {
  /** How long one `XREAD BLOCK` waits for new entries before asking again, in ms. @defaultValue 5000 */
  blockMs?: number
  /** Entries fetched per `XREAD` at most. @defaultValue 1000 */
  readCount?: number
  /**
   * Called with problems that have no caller to reject: a lost connection, or a gap the reader
   * could not fill (entries trimmed or lost while it was away). Pass the hub's `onError` here.
   */
  onError?: (error: unknown) => void
}

/**
 * Shares one event log and its fan-out across hub instances through Redis Streams. Every
 * instance appends with one Lua script (idempotency check, `XADD`, exact trim) and reads the
 * stream with `XREAD BLOCK` on a dedicated connection from the last id it saw, so a Redis blip
 * loses nothing: after a reconnect the reader continues where it stopped.
 *
 * While Redis is unreachable `hub.publish` rejects with `BACKPLANE_UNAVAILABLE` (after at most
 * `commandTimeoutMs`), open streams stay open, and `status()` is `'down'`.
 *
 * @param connection - `{ url }` (clients are created and closed with the hub) or `{ client }` (an ioredis client you own; it is duplicated for the reader and never closed)
 * @param options - retention, key prefix, timeouts (see {@link RedisBackplaneOptions})
 * @returns a `Backplane` for `createHub({ backplane })`
 * @throws {@link NotifyError} `INVALID_OPTION` for a missing url or an out-of-range option
 * @example
 * ```ts
 * import { createHub } from '@notify/core'
 * import { redisBackplane } from '@notify/redis'
 *
 * const hub = createHub({
 *   backplane: redisBackplane({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' }, {
 *     replay: { maxEvents: 10_000, maxAgeMs: 3_600_000 },
 *   }),
 * })
 * ```
 */
export function redisBackplane(
  connection: RedisConnectionOptions,
  options: RedisBackplaneOptions = {},
): Backplane {
  const settings = storeSettings(options)
  const blockMs = positive(options.blockMs, DEFAULT_BLOCK_MS, 'blockMs')
  const readCount = positive(options.readCount, DEFAULT_READ_COUNT, 'readCount')
  const handle = openClient(connection)
  const { client } = handle
  const store = createStore({ client, owned: false }, settings)
  const readers = new Set<Redis>()
  const stops = new Set<() => Promise<void>>()
  const listeners = new Set<(status: BackplaneStatus) => void>()
  let closed = false

  const report = (error: unknown): void => {
    try {
      options.onError?.(error)
    } catch {
      // A throwing hook must not stop the reader.
    }
  }

  function computeStatus(): BackplaneStatus {
    if (closed || client.status !== 'ready') return 'down'
    for (const reader of readers) if (reader.status !== 'ready') return 'down'
    return 'up'
  }

  let current = computeStatus()
  function refresh(): void {
    const next = computeStatus()
    if (next === current) return
    current = next
    for (const listener of [...listeners]) {
      try {
        listener(next)
      } catch (error) {
        report(error)
      }
    }
  }
  const watch = (redis: Redis): void => {
    for (const name of ['ready', 'close', 'end', 'reconnecting']) redis.on(name, refresh)
  }
  const unwatch = (redis: Redis): void => {
    for (const name of ['ready', 'close', 'end', 'reconnecting']) redis.off(name, refresh)
  }
  watch(client)

  function subscribe(
    from: string,
    onEntry: (entry: LogEntry) => void,
    onGap?: () => void,
  ): () => Promise<void> {
    const reader = openReader(client)
    readers.add(reader)
    watch(reader)
    refresh()
    let lastId = from
    let stopped = false
    let checkPosition = false

    const deliver = (entry: LogEntry): void => {
      try {
        onEntry(entry)
      } catch (error) {
        report(error)
      }
    }

    // After a reconnect: did Redis lose entries we had seen, or trim ones we had not? Either way
    // local streams may have missed events: onGap makes the hub send them back to the log.
    async function check(): Promise<void> {
      const position = await store.position()
      if (compareStreamIds(lastId, position.last) > 0) {
        report(
          new Error(
            `@notify/redis: the log is behind this reader (${position.last} < ${lastId}); Redis lost data`,
          ),
        )
        lastId = position.last
        onGap?.()
      } else if (
        compareStreamIds(lastId, position.floor) >= 0 &&
        compareStreamIds(lastId, position.trimmed) < 0
      ) {
        report(
          new Error(
            `@notify/redis: entries after ${lastId} were trimmed while this reader was away; raise replay.maxEvents`,
          ),
        )
        onGap?.()
      }
    }

    const loop = (async () => {
      while (!stopped) {
        if (reader.status !== 'ready') {
          if (!(await nextReady(reader))) break
          checkPosition = true
          continue
        }
        try {
          if (checkPosition) {
            await check()
            checkPosition = false
          }
          const reply = await reader.xread(
            'COUNT',
            readCount,
            'BLOCK',
            blockMs,
            'STREAMS',
            store.streamKey,
            lastId,
          )
          if (stopped || reply === null) continue
          for (const [, raw] of reply) {
            // XREAD returns only entries after `lastId`, in order: no need to compare ids again.
            for (const entry of parseEntries(raw)) deliver(entry)
            // Skip past entries that are not notify's, so they are not read again.
            const tail = raw[raw.length - 1]
            if (tail !== undefined) lastId = tail[0]
          }
        } catch (error) {
          if (stopped) break
          report(error)
          checkPosition = true
          // Connection errors wait for `ready` above; anything else must not spin.
          if (reader.status === 'ready') await sleep(reconnectDelay(3))
        }
      }
    })()

    const stop = async (): Promise<void> => {
      if (stopped) return
      stopped = true
      stops.delete(stop)
      reader.disconnect()
      await loop
      unwatch(reader)
      readers.delete(reader)
      refresh()
    }
    stops.add(stop)
    return stop
  }

  return {
    store,
    subscribe,
    status: () => current,
    onStatus(listener) {
      listeners.add(listener)
      return () => {
        listeners.delete(listener)
      }
    },
    async close() {
      if (closed) return
      await Promise.all([...stops].map((stop) => stop()))
      closed = true
      await store.close?.()
      if (handle.owned) await quit(client)
      refresh()
      unwatch(client)
      listeners.clear()
    },
  }
}

// Resolves true when the reader is (re)connected, false when it was closed for good.
function nextReady(reader: Redis): Promise<boolean> {
  if (reader.status === 'end') return Promise.resolve(false)
  return new Promise((resolve) => {
    const onReady = () => settle(true)
    const onEnd = () => settle(false)
    const settle = (value: boolean) => {
      reader.off('ready', onReady)
      reader.off('end', onEnd)
      resolve(value)
    }
    reader.on('ready', onReady)
    reader.on('end', onEnd)
  })
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
