import type { KeyValueStorage, NetworkSource, VisibilitySource } from './environment.js'
import type { NotifyClientError } from './errors.js'

/** Event name → payload type; the same map the server's `createHub<Events>()` uses. */
export type EventMap = Record<string, unknown>

/** A value or a promise of it. */
export type MaybePromise<T> = T | Promise<T>

/** Removes the handler it was returned for. */
export type Unsubscribe = () => void

/** `connecting` (first attempt) → `open` → `reconnecting` (after a drop) → … → `closed`. */
export type ClientStatus = 'connecting' | 'open' | 'reconnecting' | 'closed'

/**
 * The reserved event a server sends when it cannot resume from the requested id. The client hands it to
 * `onReset` only, never to `on`/`onAny`/`events()`.
 *
 * @example
 * ```ts
 * client.onReset(({ reason }) => reloadOrders(reason))
 * ```
 */
export const RESET_EVENT = 'notify:reset'

/** Data of `notify:reset`: events may have been missed; reload state from your source of truth. */
export interface ResetInfo {
  /** `evicted`: the id is older than the server keeps; `unknown`: another epoch, malformed or unknown. */
  reason: 'evicted' | 'unknown'
  /** The id the client asked to resume from. */
  lastEventId: string
}

/** Facts about one received event. */
export interface EventMeta<K extends string = string> {
  /** The last event id after this event (the spec's `lastEventId`: it persists across events without `id:`). */
  id: string
  /** The event name (`message` when the server sent none). */
  event: K
  /** When it was parsed, in epoch ms. */
  receivedAt: number
}

/** What `events()` yields and `onAny` receives: a union over the event map. */
export type ClientEvent<E extends EventMap> = {
  [K in keyof E & string]: { event: K; data: E[K]; id: string; receivedAt: number }
}[keyof E & string]

/** The Standard Schema v1 interface (https://standardschema.dev), copied as the spec asks: zod, valibot, arktype fit. */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': {
    readonly version: 1
    readonly vendor: string
    readonly validate: (value: unknown) => StandardResult<Output> | Promise<StandardResult<Output>>
    readonly types?: { readonly input: Input; readonly output: Output } | undefined
  }
}

/** A Standard Schema validation result. */
export type StandardResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: ReadonlyArray<{ readonly message: string }> }

/** Options of {@link createClient}. */
export interface ClientOptions<E extends EventMap = EventMap> {
  /** Request headers: an object, or a (sync or async) function called before every connect, e.g. to refresh a token. */
  headers?: Record<string, string> | (() => MaybePromise<Record<string, string>>)
  /** `fetch` credentials mode (`include` sends cookies cross-origin). @defaultValue the fetch default, `same-origin` */
  credentials?: RequestCredentials
  /** Query parameters appended to the URL (arrays repeat the key). */
  query?: Record<string, string | number | boolean | readonly string[]>
  /** Topics, appended as `topic=a&topic=b` (the `@notify/server` convention). */
  topics?: readonly string[]
  /**
   * The fetch to use (a polyfill, an instrumented one). It gets the URL as given, so it may resolve a relative one
   * itself; its failures are `NETWORK_ERROR` (never `INVALID_URL`). @defaultValue `globalThis.fetch`, looked up at each connect
   */
  fetch?: (input: string, init: RequestInit) => Promise<Response>
  /** Turns `data:` text into a value. Throwing reports a `PARSE_ERROR` with the raw text; no handler is called. @defaultValue `JSON.parse` */
  parse?: (data: string, event: string) => unknown
  /** Standard Schema per event, validated after `parse` and before handlers; failure reports `INVALID_PAYLOAD`. */
  schemas?: { [K in keyof E]?: StandardSchemaV1<unknown, E[K]> }
  /** Seeds `Last-Event-ID` for the first connect (wins over a persisted id). */
  lastEventId?: string
  /** Keep the last event id in storage under this key, so a reload resumes where the page left off. Off by default. */
  persistLastEventId?: string
  /** Where `persistLastEventId` keeps it. @defaultValue `sessionStorage` when present */
  storage?: KeyValueStorage
  /** Do not connect until `connect()` is called. @defaultValue false */
  lazy?: boolean
  /** Aborting it closes the client for good. */
  signal?: AbortSignal
  /** `false`: never reconnect (every failure closes). @defaultValue true */
  retry?: boolean
  /** Failed reconnects in a row before giving up with `RETRIES_EXHAUSTED`. @defaultValue Infinity */
  maxRetries?: number
  /** Backoff base when the server sent no `retry:`, in ms. @defaultValue 1000 */
  initialDelayMs?: number
  /** Backoff cap, in ms. @defaultValue 30000 */
  maxDelayMs?: number
  /**
   * No byte for this long (comments count) aborts the stream and reconnects; `Infinity` disables it.
   * @defaultValue 3 × the server's advertised heartbeat (`: notify heartbeat=N`), or 45000 when none is advertised
   */
  heartbeatTimeoutMs?: number
  /**
   * Called on 401/403, once per failure streak. Return headers (merged over `headers` from then on) or `true`
   * to retry at once (not a reconnect: `retry: false` and `maxRetries` do not apply), or `false`/nothing to close.
   */
  onUnauthorized?: (error: NotifyClientError) => MaybePromise<Record<string, string> | boolean | undefined>
  /** Network state: no attempts while offline, an immediate attempt on `online`. @defaultValue the browser's, when present */
  network?: NetworkSource
  /** Disconnect while the page is hidden and resume (with `Last-Event-ID`) when it is visible again. @defaultValue false */
  pauseWhenHidden?: boolean
  /** Page visibility for `pauseWhenHidden`. @defaultValue the browser's `document`, when present */
  visibility?: VisibilitySource
}

/** A connected (or connecting) event stream. Created by {@link createClient}. */
export interface NotifyClient<E extends EventMap = EventMap> extends AsyncIterable<ClientEvent<E>> {
  /** The current status. */
  readonly status: ClientStatus
  /** The id sent as `Last-Event-ID` on the next connect (`''`: none). */
  readonly lastEventId: string
  /**
   * Handles one server event; the name and payload are typed by the event map.
   *
   * @param event - the event name
   * @param handler - receives the parsed (and validated) data and {@link EventMeta}
   * @returns a function that removes the handler
   */
  on<K extends keyof E & string>(event: K, handler: (data: E[K], meta: EventMeta<K>) => void): Unsubscribe
  /**
   * Handles every server event (not the reserved `notify:` ones, see `onReset`).
   *
   * @param handler - receives `{ event, data, id, receivedAt }`
   * @returns a function that removes the handler
   */
  onAny(handler: (event: ClientEvent<E>) => void): Unsubscribe
  /**
   * Called each time a stream opens (status 200 with `text/event-stream`).
   *
   * @param handler - the callback
   * @returns a function that removes the handler
   */
  onOpen(handler: () => void): Unsubscribe
  /**
   * Called with every error: connection failures (with `retryable`), and event-level ones.
   *
   * @param handler - receives a {@link NotifyClientError}
   * @returns a function that removes the handler
   */
  onError(handler: (error: NotifyClientError) => void): Unsubscribe
  /**
   * Called when the server could not resume (`notify:reset`): reload state from your source of truth.
   *
   * @param handler - receives `{ reason, lastEventId }` and the event's meta
   * @returns a function that removes the handler
   */
  onReset(handler: (reset: ResetInfo, meta: EventMeta<typeof RESET_EVENT>) => void): Unsubscribe
  /**
   * Called on every status change.
   *
   * @param handler - receives the new and the previous status
   * @returns a function that removes the handler
   */
  onStatus(handler: (status: ClientStatus, previous: ClientStatus) => void): Unsubscribe
  /**
   * Iterates over server events from now on; ends when the client closes (buffered events first).
   *
   * @returns an async iterator of `{ event, data, id, receivedAt }`
   */
  events(): AsyncIterableIterator<ClientEvent<E>>
  /** Same as `events()`. */
  [Symbol.asyncIterator](): AsyncIterableIterator<ClientEvent<E>>
  /** Connects a `lazy` client, or reopens a closed one (not after `signal` aborted). No-op otherwise. */
  connect(): void
  /** Closes the stream, cancels any pending reconnect and ends every iterator. */
  close(): void
}
