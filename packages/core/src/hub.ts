import { Connection, type ConnectionHandle, type Sink } from './connection.js'
import { encodeEvent } from './encode.js'
import { isNotifyError, NotifyError } from './errors.js'
import { afterTick, createSharedTimer } from './heartbeat.js'
import { MAX_EVENT_ID_LENGTH, memoryReplayStore } from './replay.js'
import { validateWithSchema } from './schema.js'
import type {
  DisconnectReason,
  EventMap,
  HubOptions,
  HubStats,
  LogEntry,
  Principal,
  PublishOptions,
  PublishResult,
  ReplayStore,
} from './types.js'
import { assertEventName, assertKey, integerOption, normaliseTopics } from './validate.js'

/** Name of the reserved event that tells a client it may have missed events. */
export const RESET_EVENT = 'notify:reset'

const DEFAULT_HEARTBEAT_MS = 15_000
const DEFAULT_RETRY_MS = 1000
const DEFAULT_MAX_BUFFERED_BYTES = 1024 * 1024
const DEFAULT_KEY_TTL_MS = 10 * 60 * 1000

/** Options of `hub.connect()`, given by adapters. */
export interface ConnectOptions {
  /** Who is connecting. */
  principal: Principal
  /** Topics, already validated and authorised. */
  topics: readonly string[]
  /** Resume point from `Last-Event-ID` (or `?lastEventId=`), if the client sent one. */
  lastEventId?: string
}

/** Options of `hub.close()`. */
export interface CloseOptions {
  /** Sent as `retry:` before each stream ends, so clients reconnect (elsewhere) after this delay. */
  retryMs?: number
}

/** A notification hub: topics, fan-out, heartbeat, replay, backpressure. Created by {@link createHub}. */
export interface Hub<E extends EventMap = EventMap> {
  /**
   * Publishes an event to one topic or several. The payload is serialised and encoded once;
   * the same bytes go to every open stream on those topics (once per stream).
   *
   * @returns the id the log assigned (or, for a repeated `key`, the first event's id)
   * @throws {@link NotifyError} `INVALID_TOPIC`, `INVALID_EVENT`, `RESERVED_EVENT`, `INVALID_KEY`,
   *   `INVALID_PAYLOAD`, `BACKPLANE_UNAVAILABLE`, `HUB_CLOSED`
   */
  publish<K extends keyof E & string>(
    topics: string | readonly string[],
    event: K,
    data: E[K],
    options?: PublishOptions,
  ): Promise<PublishResult>
  /**
   * Attaches a stream: writes the opening sequence (retry, heartbeat comment, replay or
   * `notify:reset`, position), then live events. For adapters; apps use `sse()`.
   */
  connect(sink: Sink, options: ConnectOptions): ConnectionHandle
  /** Hands an error nobody else will see to the `onError` hook (for adapters: a throwing callback). */
  reportError(error: unknown): void
  /** Open streams of one principal (for `maxConnectionsPerPrincipal`). */
  connectionsOf(principalId: string): number
  /** Counters and state. */
  stats(): HubStats
  /** Resolves once the log's position is known (and the backplane subscribed). */
  ready(): Promise<void>
  /** Ends every stream, stops the heartbeat, closes the store and backplane. Idempotent. */
  close(options?: CloseOptions): Promise<void>
  /** True once `close()` was called. */
  readonly closed: boolean
  /**
   * `starting` until the log's position is known, `unavailable` while the log (backplane) cannot
   * be reached at startup (retried with backoff; publishes and new streams are refused with 503),
   * `ready`, then `closed`.
   */
  readonly state: 'starting' | 'ready' | 'unavailable' | 'closed'
  /** The resolved heartbeat interval in ms. */
  readonly heartbeatMs: number
  /** The resolved `maxBufferedBytes`. */
  readonly maxBufferedBytes: number
}

const encoder = new TextEncoder()

/**
 * Creates a hub.
 *
 * @param options - see {@link HubOptions}; every option has a default
 * @returns the hub
 * @throws {@link NotifyError} `INVALID_OPTION` for an out-of-range option
 * @example
 * ```ts
 * type Events = { 'order.updated': { id: string; status: string } }
 * const hub = createHub<Events>({ heartbeatMs: 15_000 })
 * await hub.publish('orders', 'order.updated', { id: '1', status: 'paid' }) // → { id, duplicate }
 * ```
 */
export function createHub<E extends EventMap = EventMap>(options: HubOptions<E> = {}): Hub<E> {
  const heartbeatMs = integerOption(options.heartbeatMs, DEFAULT_HEARTBEAT_MS, 'heartbeatMs', 1, MAX_TIMER_MS)
  const retryMs = integerOption(options.retryMs, DEFAULT_RETRY_MS, 'retryMs', 0)
  const maxBufferedBytes = integerOption(
    options.maxBufferedBytes,
    DEFAULT_MAX_BUFFERED_BYTES,
    'maxBufferedBytes',
  )
  const keyTtlMs = integerOption(options.keyTtlMs, DEFAULT_KEY_TTL_MS, 'keyTtlMs')
  const serialize = options.serialize ?? JSON.stringify
  const backplane = options.backplane
  const store: ReplayStore = backplane?.store ?? options.store ?? memoryReplayStore(options.replay)
  const { onConnect, onDisconnect } = options
  const reportError = (error: unknown): void => {
    try {
      options.onError?.(error)
    } catch {
      // A throwing error hook must not take the hub down with it.
    }
  }

  // `retry:` first, then the comment advertising the heartbeat (clients size their timeout from it).
  const preamble = encoder.encode(
    encodeEvent({ retry: retryMs }) + encodeEvent({ comment: `notify heartbeat=${heartbeatMs}` }),
  )
  const heartbeatFrame = encoder.encode(':\n\n')
  // Replay pages: at most half the buffer budget queued before waiting for the reader.
  const replayPageBytes = Math.max(1, Math.floor(maxBufferedBytes / 2))
  // An entry's frame is encoded once, on first delivery, and reused for every replay of it.
  const frames = new WeakMap<LogEntry, Uint8Array>()
  const frameOf = (entry: LogEntry): Uint8Array => {
    let bytes = frames.get(entry)
    if (bytes === undefined) {
      bytes = encoder.encode(encodeEvent({ id: entry.id, event: entry.event, data: entry.data }))
      frames.set(entry, bytes)
    }
    return bytes
  }

  const connections = new Set<Connection>()
  const byTopic = new Map<string, Set<Connection>>()
  const byPrincipal = new Map<string, number>()
  let dirty: Connection[] = []
  let flushScheduled = false
  let nextConnectionId = 1
  let deliveryStamp = 0
  let liveHead = ''
  let isReady = false
  let closed = false
  let unsubscribe: (() => Promise<void>) | undefined
  const counters = { published: 0, delivered: 0, slowConsumerDisconnects: 0, replayed: 0, resets: 0 }

  let startFailed = false
  let retryTimer: ReturnType<typeof setTimeout> | undefined
  let wakeRetry: (() => void) | undefined
  const readyPromise = (async () => {
    // A backplane may be unreachable at startup: keep trying (publishes fail fast meanwhile).
    for (let attempt = 0; ; attempt++) {
      try {
        liveHead = await store.head()
        break
      } catch (error) {
        if (closed) throw new NotifyError('HUB_CLOSED', 'the hub was closed before it started')
        startFailed = true
        reportError(error)
        await new Promise<void>((resolve) => {
          wakeRetry = resolve
          retryTimer = setTimeout(resolve, Math.min(5000, 100 * 2 ** attempt))
        })
        retryTimer = undefined
        if (closed) throw new NotifyError('HUB_CLOSED', 'the hub was closed before it started')
      }
    }
    startFailed = false
    if (backplane !== undefined && !closed) unsubscribe = backplane.subscribe(liveHead, deliver, resync)
    isReady = true
  })()
  // Surfaced through ready(), connect() and publish(); never an unhandled rejection.
  readyPromise.catch(reportError)

  // The backplane lost entries it cannot deliver: every stream reconnects and resumes from
  // the log, which answers with the missed events or an explicit notify:reset.
  function resync(): void {
    for (const connection of [...connections]) connection.close('gap')
  }

  // A quarter of the interval: a stream is silent at most 1.25 × heartbeatMs (the contract says 1.5 ×),
  // leaving room for a late tick on a loaded machine.
  const timer = createSharedTimer(Math.max(1, Math.floor(heartbeatMs / 4)), sweep)

  // Expiry: one timer per hub, armed for the earliest `principal.expiresAt`. Each firing scans the
  // streams once and re-arms for the next; scans are at least EXPIRY_GRANULARITY_MS apart.
  let expiryTimer: ReturnType<typeof setTimeout> | undefined
  let expiryAt = Number.POSITIVE_INFINITY

  function armExpiry(at: number): void {
    if (at >= expiryAt) return
    if (expiryTimer !== undefined) clearTimeout(expiryTimer)
    expiryAt = at
    expiryTimer = setTimeout(expire, Math.min(MAX_TIMER_MS, Math.max(0, at - Date.now())))
  }

  function disarmExpiry(): void {
    if (expiryTimer !== undefined) clearTimeout(expiryTimer)
    expiryTimer = undefined
    expiryAt = Number.POSITIVE_INFINITY
  }

  function expire(): void {
    disarmExpiry()
    const now = Date.now()
    let next = Number.POSITIVE_INFINITY
    for (const connection of [...connections]) {
      const at = connection.principal.expiresAt
      if (at === undefined) continue
      if (at <= now) connection.close('expired')
      else if (at < next) next = at
    }
    if (next !== Number.POSITIVE_INFINITY) armExpiry(Math.max(next, now + EXPIRY_GRANULARITY_MS))
  }

  function sweep(): void {
    const now = Date.now()
    for (const connection of connections) {
      if (connection.state !== 'live') continue
      // A peer that stopped reading after the last event is found here, not only on the next one.
      if (isSlow(connection)) continue
      if (now - connection.lastWriteAt >= heartbeatMs && connection.pending.length === 0) {
        queue(connection, heartbeatFrame)
      }
    }
  }

  function queue(connection: Connection, bytes: Uint8Array): void {
    if (connection.pending.push(bytes) === 1) {
      dirty.push(connection)
      if (!flushScheduled) {
        flushScheduled = true
        afterTick(flush)
      }
    }
  }

  function flush(): void {
    flushScheduled = false
    const batch = dirty
    dirty = []
    const now = Date.now()
    // Connections on the same topics were queued the same frames this tick: join them once and
    // write that one buffer to each (one small writev per socket instead of four buffers per frame).
    let joinedFrom: Uint8Array[] | undefined
    let joined: Uint8Array[] = []
    for (const connection of batch) {
      if (connection.state !== 'live' || connection.pending.length === 0) continue
      // Checked before writing: what earlier ticks left unsent is what the peer failed to take. Right
      // after a write, Node still counts bytes the kernel is accepting, so a fast peer could look slow.
      if (isSlow(connection)) continue
      let chunks = connection.pending
      if (chunks.length > 1) {
        if (joinedFrom === undefined || !sameChunks(chunks, joinedFrom)) {
          joinedFrom = chunks.slice()
          joined = [concat(chunks)]
        }
        chunks = joined
      }
      try {
        connection.sink.write(chunks)
        // The array is kept and emptied, not replaced: no allocation per delivery (sinks never keep it).
        connection.pending.length = 0
      } catch (error) {
        reportError(error)
        connection.close('error')
        continue
      }
      connection.lastWriteAt = now
    }
  }

  function isSlow(connection: Connection): boolean {
    if (connection.sink.bufferedBytes() <= maxBufferedBytes) return false
    dropSlow(connection)
    return true
  }

  function dropSlow(connection: Connection): void {
    counters.slowConsumerDisconnects++
    connection.close('slow-consumer')
  }

  function deliver(entry: LogEntry): void {
    liveHead = entry.id
    const { topics } = entry
    let bytes: Uint8Array | undefined
    const stamp = topics.length > 1 ? ++deliveryStamp : 0
    for (const topic of topics) {
      const subscribers = byTopic.get(topic)
      if (subscribers === undefined) continue
      bytes ??= frameOf(entry)
      for (const connection of subscribers) {
        if (stamp !== 0) {
          if (connection.stamp === stamp) continue
          connection.stamp = stamp
        }
        if (connection.state === 'opening') {
          connection.held.push({ id: entry.id, bytes })
          continue
        }
        if (connection.cursor !== undefined) {
          if (store.compare(entry.id, connection.cursor) <= 0) continue
          connection.cursor = undefined
        }
        counters.delivered++
        queue(connection, bytes)
      }
    }
  }

  function detach(connection: Connection, reason: DisconnectReason): void {
    connections.delete(connection)
    for (const topic of connection.topics) {
      const subscribers = byTopic.get(topic)
      if (subscribers === undefined) continue
      subscribers.delete(connection)
      if (subscribers.size === 0) byTopic.delete(topic)
    }
    const id = connection.principal.id
    const count = (byPrincipal.get(id) ?? 1) - 1
    if (count === 0) byPrincipal.delete(id)
    else byPrincipal.set(id, count)
    if (connections.size === 0) {
      timer.stop()
      disarmExpiry()
    }
    try {
      // A slow or broken peer is cut off at once; end() would wait for it to drain its queue.
      const { sink } = connection
      if ((reason === 'slow-consumer' || reason === 'error') && sink.abort !== undefined) sink.abort()
      else sink.end()
    } catch (error) {
      reportError(error)
    }
    try {
      onDisconnect?.(connection.info, reason)
    } catch (error) {
      reportError(error)
    }
  }

  async function open(connection: Connection): Promise<void> {
    if (!isReady) await readyPromise
    if (connection.state === 'closed') return
    // From here on live entries are held, so none can fall between the replay read and live delivery.
    for (const topic of connection.topics) {
      let subscribers = byTopic.get(topic)
      if (subscribers === undefined) {
        subscribers = new Set()
        byTopic.set(topic, subscribers)
      }
      subscribers.add(connection)
    }
    const startHead = liveHead
    const lastEventId = connection.info.lastEventId
    let page: Uint8Array[] = [preamble]
    let pageBytes = preamble.byteLength
    let cursor = startHead
    if (lastEventId !== undefined) {
      const result = await store.readAfter(lastEventId, connection.topicSet)
      if (isClosed(connection)) return
      if (result.ok) {
        for (const entry of result.events) {
          const bytes = frameOf(entry)
          page.push(bytes)
          pageBytes += bytes.byteLength
          if (pageBytes >= replayPageBytes && connection.sink.drained !== undefined) {
            // A long replay goes out page by page at the reader's pace, so a fast reader is
            // never mistaken for a slow one; live entries stay held meanwhile.
            connection.sink.write(page)
            connection.lastWriteAt = Date.now()
            page = []
            pageBytes = 0
            await Promise.race([connection.sink.drained(), connection.closed])
            if (isClosed(connection)) return
            if (heldBytes(connection) > maxBufferedBytes) return dropSlow(connection)
          }
        }
        counters.replayed += result.events.length
        if (store.compare(result.head, startHead) > 0) cursor = result.head
      } else {
        const data = JSON.stringify({
          reason: result.reason,
          lastEventId: lastEventId.slice(0, MAX_EVENT_ID_LENGTH),
        })
        page.push(encoder.encode(encodeEvent({ id: startHead, event: RESET_EVENT, data })))
        counters.resets++
      }
    }
    page.push(encoder.encode(encodeEvent({ id: cursor })))
    for (const held of connection.held) {
      if (store.compare(held.id, cursor) > 0) {
        page.push(held.bytes)
        counters.delivered++
      }
    }
    connection.held = []
    // Live entries not yet seen here may still be at or before the cursor (a backplane that lags its log).
    connection.cursor = cursor === startHead ? undefined : cursor
    connection.state = 'live'
    for (const frame of page) queue(connection, frame)
  }

  const hub: Hub<E> = {
    async publish(topicOrTopics, event, data, publishOptions = {}) {
      if (closed) throw new NotifyError('HUB_CLOSED', 'the hub is closed; create a new one to publish')
      const topics = normaliseTopics(topicOrTopics)
      assertEventName(event)
      const { key } = publishOptions
      if (key !== undefined) assertKey(key)
      const schemas = options.schemas
      const schema = schemas !== undefined && Object.hasOwn(schemas, event) ? schemas[event] : undefined
      const value =
        schema === undefined ? data : await validateWithSchema(schema, data, `payload of "${event}"`)
      let text: unknown
      try {
        text = serialize(value)
      } catch (error) {
        throw new NotifyError('INVALID_PAYLOAD', `payload of "${event}" could not be serialised`, {
          cause: error,
        })
      }
      if (typeof text !== 'string') {
        throw new NotifyError(
          'INVALID_PAYLOAD',
          `payload of "${event}" serialised to ${typeof text}, not a string`,
        )
      }
      if (!isReady) {
        if (startFailed) {
          throw new NotifyError(
            'BACKPLANE_UNAVAILABLE',
            'the event log is not reachable yet; nothing was published',
          )
        }
        await readyPromise
      }
      let result: Awaited<ReturnType<ReplayStore['append']>>
      try {
        result = await store.append({ topics, event, data: text, key, keyTtlMs })
      } catch (error) {
        if (isNotifyError(error)) throw error
        throw new NotifyError(
          'BACKPLANE_UNAVAILABLE',
          'the event log could not be written; nothing was published',
          {
            cause: error,
          },
        )
      }
      if (!result.duplicate) {
        counters.published++
        if (backplane === undefined && result.entry !== undefined && !closed) deliver(result.entry)
      }
      return { id: result.id, duplicate: result.duplicate }
    },

    connect(sink, { principal, topics, lastEventId }) {
      if (closed) throw new NotifyError('HUB_CLOSED', 'the hub is closed; it accepts no new streams')
      const connection = new Connection(nextConnectionId++, sink, principal, topics, lastEventId, detach)
      connections.add(connection)
      byPrincipal.set(principal.id, (byPrincipal.get(principal.id) ?? 0) + 1)
      connection.lastWriteAt = Date.now()
      timer.start()
      if (principal.expiresAt !== undefined) armExpiry(principal.expiresAt)
      try {
        onConnect?.(connection.info)
      } catch (error) {
        reportError(error)
      }
      open(connection).catch((error: unknown) => {
        reportError(error)
        connection.close('error')
      })
      return connection
    },

    reportError,

    connectionsOf(principalId) {
      return byPrincipal.get(principalId) ?? 0
    },

    stats() {
      return {
        connections: connections.size,
        topics: byTopic.size,
        ...counters,
        backplane: backplane === undefined ? 'none' : backplane.status(),
      }
    },

    ready() {
      return readyPromise
    },

    async close(closeOptions = {}) {
      if (closed) return
      // Validated before anything changes: a bad option must not leave the hub half-closed.
      const goodbye =
        closeOptions.retryMs === undefined
          ? undefined
          : encoder.encode(encodeEvent({ retry: closeOptions.retryMs }))
      closed = true
      for (const connection of [...connections]) {
        if (goodbye !== undefined && connection.state === 'live') {
          try {
            connection.sink.write([...connection.pending, goodbye])
          } catch {
            // The peer is gone already; ending the stream is all that is left.
          }
          connection.pending = []
        }
        connection.close('hub-closed')
      }
      timer.stop()
      disarmExpiry()
      if (retryTimer !== undefined) clearTimeout(retryTimer)
      wakeRetry?.()
      await readyPromise.catch(() => undefined)
      await unsubscribe?.()
      if (backplane !== undefined) await backplane.close()
      else await store.close?.()
    },

    get closed() {
      return closed
    },
    get state() {
      return closed ? 'closed' : isReady ? 'ready' : startFailed ? 'unavailable' : 'starting'
    },
    heartbeatMs,
    maxBufferedBytes,
  }
  return hub
}

function sameChunks(a: readonly Uint8Array[], b: readonly Uint8Array[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** Joins chunks into one buffer. */
export function concat(chunks: readonly Uint8Array[]): Uint8Array {
  let size = 0
  for (const chunk of chunks) size += chunk.byteLength
  const out = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.byteLength
  }
  return out
}

function heldBytes(connection: Connection): number {
  let total = 0
  for (const held of connection.held) total += held.bytes.byteLength
  return total
}

// A fresh read of the state after an await (TypeScript narrows the field across it).
function isClosed(connection: Connection): boolean {
  return connection.state === 'closed'
}

// Expiry scans run at most this often (a burst of tokens expiring together costs one scan).
const EXPIRY_GRANULARITY_MS = 250

// Timers take a signed 32-bit delay; anything longer fires at once, in a loop.
const MAX_TIMER_MS = 2 ** 31 - 1
