import { randomUUID } from 'node:crypto'
import type { ConnectionInfo } from '@notify/core'
import { openClient, quit, type RedisConnectionOptions, ScriptRunner, unavailable } from './connection.js'
import { DEFAULT_COMMAND_TIMEOUT_MS, DEFAULT_CONNECT_TIMEOUT_MS, keyPrefix, positive } from './options.js'

const DEFAULT_TTL_MS = 30_000
// Changes are batched: a burst of connections costs one write.
const FLUSH_DELAY_MS = 50
// Fields per HSET call inside Lua (its C stack limits unpack()).
const HSET_CHUNK = 200

// KEYS[1] the instance set (zset: id → expiry), KEYS[2] this instance's hash (topic → count).
// ARGV: instance id, ttlMs, then topic, count, topic, count…
const FLUSH_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('DEL', KEYS[2])
for i = 3, #ARGV, ${HSET_CHUNK * 2} do
  redis.call('HSET', KEYS[2], unpack(ARGV, i, math.min(i + ${HSET_CHUNK * 2 - 1}, #ARGV)))
end
if #ARGV > 2 then redis.call('PEXPIRE', KEYS[2], ARGV[2]) end
redis.call('ZADD', KEYS[1], string.format('%.0f', now + tonumber(ARGV[2])), ARGV[1])
return 1
`

// KEYS[1] the instance set. ARGV: hash key prefix, then topics. Returns one total per topic.
const COUNT_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%.0f', now))
local totals = {}
for i = 2, #ARGV do totals[i - 1] = 0 end
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local values = redis.call('HMGET', ARGV[1] .. id, unpack(ARGV, 2))
  for i = 1, #ARGV - 1 do
    if values[i] then totals[i] = totals[i] + tonumber(values[i]) end
  end
end
return totals
`

/** Options of {@link redisPresence}. */
export interface RedisPresenceOptions {
  /** Key prefix, the same as the backplane's: `<prefix>:presence`, `<prefix>:presence:<instance>`. @defaultValue `'notify'` */
  prefix?: string
  /**
   * An instance not heard from for this long no longer counts (its process died), in ms.
   * Live instances refresh every third of it. @defaultValue 30000
   */
  ttlMs?: number
  /** A Redis call not answered within this fails, in ms. @defaultValue 2000 */
  commandTimeoutMs?: number
  /** Called when this instance's counts could not be written (they are retried on the next refresh). */
  onError?: (error: unknown) => void
}

/** Connections per topic across instances. Created by {@link redisPresence}. */
export interface Presence {
  /** Pass as `createHub({ onConnect })` (or call it from yours). */
  readonly onConnect: (info: ConnectionInfo) => void
  /** Pass as `createHub({ onDisconnect })` (or call it from yours). */
  readonly onDisconnect: (info: ConnectionInfo) => void
  /** Open streams on `topic` across every live instance (as of their last refresh). */
  count(topic: string): Promise<number>
  /** {@link Presence.count} for several topics in one round trip. */
  counts(topics: readonly string[]): Promise<Record<string, number>>
  /** Open streams per topic on this instance. */
  local(): ReadonlyMap<string, number>
  /** Removes this instance's counts from Redis and stops refreshing. */
  close(): Promise<void>
}

/**
 * Counts connections per topic across instances. Each instance keeps its own counts in a Redis
 * hash that expires unless refreshed, so a dead instance's connections disappear after `ttlMs`.
 *
 * @param connection - `{ url }` (a client is created and closed by `close()`) or `{ client }` (yours)
 * @param options - key prefix, expiry, timeouts (see {@link RedisPresenceOptions})
 * @returns a {@link Presence}; wire its `onConnect`/`onDisconnect` into the hub
 * @throws {@link NotifyError} `INVALID_OPTION` for a missing url or an out-of-range option
 * @example
 * ```ts
 * const presence = redisPresence({ url: 'redis://127.0.0.1:6379' })
 * const hub = createHub({ backplane, onConnect: presence.onConnect, onDisconnect: presence.onDisconnect })
 * const watching = await presence.count('orders') // across all instances
 * ```
 */
export function redisPresence(
  connection: RedisConnectionOptions,
  options: RedisPresenceOptions = {},
): Presence {
  const prefix = keyPrefix(options.prefix)
  const ttlMs = positive(options.ttlMs, DEFAULT_TTL_MS, 'ttlMs')
  const commandTimeoutMs = positive(options.commandTimeoutMs, DEFAULT_COMMAND_TIMEOUT_MS, 'commandTimeoutMs')
  const handle = openClient(connection)
  const scripts = new ScriptRunner(handle.client, commandTimeoutMs, DEFAULT_CONNECT_TIMEOUT_MS)
  const instance = randomUUID()
  const setKey = `${prefix}:presence`
  const hashPrefix = `${prefix}:presence:`
  const counts = new Map<string, number>()
  let flushTimer: ReturnType<typeof setTimeout> | undefined
  let flushing: Promise<void> | undefined
  let again = false
  let closed = false

  const report = (error: unknown): void => {
    try {
      options.onError?.(error)
    } catch {
      // A throwing hook must not stop the refresh.
    }
  }

  async function flush(): Promise<void> {
    if (closed) return
    const args: (string | number)[] = [instance, ttlMs]
    for (const [topic, count] of counts) args.push(topic, count)
    await scripts.run(FLUSH_SCRIPT, [setKey, hashPrefix + instance], args)
  }

  function scheduleFlush(delayMs: number): void {
    if (closed) return
    if (flushing !== undefined) {
      again = true
      return
    }
    // A pending write will carry this change too (and keeps a stream of changes from postponing it).
    if (flushTimer !== undefined) return
    flushTimer = setTimeout(() => {
      flushTimer = undefined
      flushing = flush()
        .catch(report)
        .finally(() => {
          flushing = undefined
          if (again) {
            again = false
            scheduleFlush(FLUSH_DELAY_MS)
          }
        })
    }, delayMs)
    flushTimer.unref?.()
  }

  // Refresh well before expiry, also when nothing changed.
  const refresh = setInterval(() => scheduleFlush(0), Math.max(1, Math.floor(ttlMs / 3)))
  refresh.unref?.()
  scheduleFlush(0)

  function change(topics: readonly string[], delta: number): void {
    for (const topic of topics) {
      const next = (counts.get(topic) ?? 0) + delta
      if (next > 0) counts.set(topic, next)
      else counts.delete(topic)
    }
    scheduleFlush(FLUSH_DELAY_MS)
  }

  async function counts_(topics: readonly string[]): Promise<Record<string, number>> {
    const result: Record<string, number> = {}
    if (topics.length === 0) return result
    const reply = await scripts.run(COUNT_SCRIPT, [setKey], [hashPrefix, ...topics])
    if (!Array.isArray(reply))
      throw unavailable(`unexpected reply from the count script: ${JSON.stringify(reply)}`)
    topics.forEach((topic, i) => {
      result[topic] = Number(reply[i] ?? 0)
    })
    return result
  }

  return {
    onConnect: (info) => change(info.topics, 1),
    onDisconnect: (info) => change(info.topics, -1),
    async count(topic) {
      return (await counts_([topic]))[topic] ?? 0
    },
    counts: counts_,
    local: () => counts,
    async close() {
      if (closed) return
      closed = true
      clearInterval(refresh)
      if (flushTimer !== undefined) clearTimeout(flushTimer)
      await flushing
      if (handle.client.status === 'ready') {
        try {
          await handle.client
            .multi()
            .del(hashPrefix + instance)
            .zrem(setKey, instance)
            .exec()
        } catch (error) {
          report(error)
        }
      }
      if (handle.owned) await quit(handle.client)
    },
  }
}
