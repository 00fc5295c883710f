import type { StandardSchemaV1 } from './schema.js'

/** Map of event name → payload type, shared by server and client. */
export type EventMap = Record<string, unknown>

/** One event as the log keeps it: payload already serialised. */
export interface LogEntry {
  /** Id assigned by the log (`<epoch>-<seq>` in memory, the Stream id on Redis). Opaque outside the store. */
  readonly id: string
  /** Topics the event was published to. */
  readonly topics: readonly string[]
  /** Event name. */
  readonly event: string
  /** Serialised payload (the `data:` text). */
  readonly data: string
}

/** What {@link ReplayStore.append} is given. */
export interface AppendInput {
  readonly topics: readonly string[]
  readonly event: string
  readonly data: string
  /** Idempotency key: when seen within `keyTtlMs`, nothing is appended and the first id is returned. */
  readonly key?: string
  /** How long a key is remembered, in ms. */
  readonly keyTtlMs: number
}

/** Result of an append. `duplicate` is true when the key was seen: `id` is then the first event's id. */
export interface AppendResult {
  readonly id: string
  readonly duplicate: boolean
  /** The appended entry (absent for duplicates). */
  readonly entry?: LogEntry
}

/** Result of {@link ReplayStore.readAfter}. */
export type ReadAfterResult =
  | {
      readonly ok: true
      /** Retained events after the id, for the given topics, oldest first. */
      readonly events: readonly LogEntry[]
      /** Log position the read covered: every matching event up to it is in `events`. */
      readonly head: string
    }
  | { readonly ok: false; readonly reason: 'evicted' | 'unknown' }

/**
 * The log every event goes through. It assigns ids, keeps bounded history and answers
 * "what comes after this id for these topics". The hub never parses ids; only the store does.
 *
 * Implementations must resolve `append` calls in the order they were made.
 */
export interface ReplayStore {
  /** Appends one event (or recognises a repeated idempotency key) and assigns its id. */
  append(input: AppendInput): Promise<AppendResult>
  /** The id of the newest event, or the epoch start (`<epoch>-0`) on an empty log. A valid resume point. */
  head(): Promise<string>
  /** Events after `lastId` for any of `topics`, or why that id cannot be resumed from. */
  readAfter(lastId: string, topics: ReadonlySet<string>): Promise<ReadAfterResult>
  /** Orders two ids this store issued: negative, zero or positive. */
  compare(a: string, b: string): number
  /** Releases timers and connections. */
  close?(): Promise<void>
}

/** Health of a backplane, as reported by {@link Backplane.status}. */
export type BackplaneStatus = 'up' | 'down'

/**
 * Shares one log across hub instances (e.g. `@notify/redis`). Every instance appends through
 * `store` and receives every appended entry, from every instance, through `subscribe`, in log order.
 */
export interface Backplane {
  /** The shared log. */
  readonly store: ReplayStore
  /**
   * Delivers every entry appended after `from` (own and other instances'), in log order, with
   * no gap across reconnects. Returns a function that stops the subscription.
   * Call `onGap` when entries were lost or trimmed before they could be delivered: the hub then
   * closes its streams (reason `gap`) so clients resume from the log or get `notify:reset`.
   */
  subscribe(from: string, onEntry: (entry: LogEntry) => void, onGap?: () => void): () => Promise<void>
  /** Current health. */
  status(): BackplaneStatus
  /** Called whenever the status changes. Returns an unsubscribe function. */
  onStatus(listener: (status: BackplaneStatus) => void): () => void
  /** Stops subscriptions and releases connections. */
  close(): Promise<void>
}

/** Who is connected. `id` counts towards `maxConnectionsPerPrincipal`; `expiresAt` (epoch ms) closes the stream. */
export interface Principal {
  readonly id: string
  /** Epoch ms after which the stream is closed (reason `expired`), e.g. a token's `exp`. */
  readonly expiresAt?: number
}

/** Why a connection ended. */
export type DisconnectReason = 'client' | 'slow-consumer' | 'expired' | 'hub-closed' | 'gap' | 'error'

/** Information passed to lifecycle hooks. */
export interface ConnectionInfo {
  readonly connectionId: number
  readonly principal: Principal
  readonly topics: readonly string[]
  /** The `Last-Event-ID` the client resumed from, if any. */
  readonly lastEventId: string | undefined
}

/** Replay retention, shared by all topics (a busy topic shortens a quiet one's history). */
export interface ReplayOptions {
  /** Events kept. @defaultValue 10000 */
  maxEvents?: number
  /** Age after which events are dropped, in ms. @defaultValue 3600000 (1 h) */
  maxAgeMs?: number
  /**
   * In-memory log only: approximate bytes of retained events (payloads, names, topics), oldest
   * dropped first, so large payloads cannot grow the log without bound. @defaultValue 67108864 (64 MiB)
   */
  maxBytes?: number
}

/** Options of {@link createHub}. */
export interface HubOptions<E extends EventMap = EventMap> {
  /** Retention of the default in-memory log. Ignored when `store` or `backplane` is given. */
  replay?: ReplayOptions
  /** A custom log. Ignored when `backplane` is given (the backplane brings its own). */
  store?: ReplayStore
  /** Share the log and fan-out across instances (e.g. `redisBackplane()` from `@notify/redis`). */
  backplane?: Backplane
  /** Longest silence before a heartbeat comment, in ms. @defaultValue 15000 */
  heartbeatMs?: number
  /** Reconnection delay sent to clients as `retry:`, in ms. @defaultValue 1000 */
  retryMs?: number
  /** Bytes a connection may have queued before it is closed as a slow consumer. @defaultValue 1048576 */
  maxBufferedBytes?: number
  /** How long idempotency keys are remembered, in ms. @defaultValue 600000 (10 min) */
  keyTtlMs?: number
  /** Turns a payload into `data:` text. @defaultValue `JSON.stringify` (strings too) */
  serialize?: (data: unknown) => string
  /** Standard Schema (zod, valibot, arktype…) per event, validated on publish. */
  schemas?: { [K in keyof E]?: StandardSchemaV1<E[K]> }
  /** Called when a stream opens. */
  onConnect?: (info: ConnectionInfo) => void
  /** Called when a stream ends, with the reason. */
  onDisconnect?: (info: ConnectionInfo, reason: DisconnectReason) => void
  /** Called with errors that have no caller to reject (a failing sink, a backplane hiccup). */
  onError?: (error: unknown) => void
}

/** Counters reported by `hub.stats()`. */
export interface HubStats {
  /** Open streams. */
  connections: number
  /** Topics with at least one open stream. */
  topics: number
  /** Events appended through this hub (idempotent repeats excluded). */
  published: number
  /** Frames written to streams (one per event per connection). */
  delivered: number
  /** Connections closed for exceeding `maxBufferedBytes`. */
  slowConsumerDisconnects: number
  /** Events sent from the log to resuming connections. */
  replayed: number
  /** `notify:reset` events sent. */
  resets: number
  /** `none` without a backplane. */
  backplane: BackplaneStatus | 'none'
}

/** Options of `hub.publish`. */
export interface PublishOptions {
  /** Idempotency key: a repeat within `keyTtlMs` publishes nothing and resolves to the first id. */
  key?: string
}

/** Result of `hub.publish`. */
export interface PublishResult {
  /** The id the log assigned (the first event's id for an idempotent repeat). */
  id: string
  /** True when the key had been seen and nothing was published. */
  duplicate: boolean
}
