import type { ConnectionHandle, Sink } from './connection.js'
import { isNotifyError, NotifyError } from './errors.js'
import type { Hub } from './hub.js'
import type { EventMap, Principal } from './types.js'
import { normaliseTopics } from './validate.js'

/** A value or a promise of it. */
export type MaybePromise<T> = T | Promise<T>

/**
 * Options of `sse()`, the same in every adapter. `Req` is the adapter's request type
 * (`IncomingMessage`, Express `Request`, Hono `Context`, Fetch `Request`).
 */
export interface SseOptions<Req, P extends Principal = Principal> {
  /** Topics of the stream: a fixed list, or computed from the request and principal. */
  topics: readonly string[] | ((request: Req, principal: P) => MaybePromise<readonly string[]>)
  /**
   * Who is connecting; `null`/`undefined` answers 401. Throw a `NotifyError` for another status.
   * Without it every request is the principal `{ id: 'anonymous' }`.
   */
  authenticate?: (request: Req) => MaybePromise<P | null | undefined>
  /** Whether the principal may read a topic; `false` answers 403 naming the topic. */
  authorize?: (principal: P, topic: string, request: Req) => MaybePromise<boolean>
  /** Open streams on this hub at most; beyond it 503 with `Retry-After`. */
  maxConnections?: number
  /** Open streams per principal id at most; beyond it 429 with `Retry-After`. */
  maxConnectionsPerPrincipal?: number
  /** `Retry-After` value sent with 429 and 503, in seconds. @defaultValue 5 */
  retryAfterSeconds?: number
}

/** What an adapter reads from its request. */
export interface RequestView {
  /** A header value (lower-case name), or undefined. */
  header(name: string): string | undefined
  /** A query parameter, or undefined. */
  query(name: string): string | undefined
}

/** Response headers of every event stream. `Connection: keep-alive` is added by the node adapter on HTTP/1.x only. */
export const STREAM_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
})

/** An error to answer with instead of a stream: status, headers (with `Retry-After` for 429/503) and JSON body. */
export interface Refusal {
  readonly ok: false
  readonly status: number
  readonly headers: Record<string, string>
  readonly body: string
}

/**
 * The decision for one request: a stream to start, or a refusal. `start` checks the connection
 * limits again, synchronously with attaching, so concurrent requests cannot overshoot them;
 * call it before sending the 200 and answer its refusal instead.
 */
export type Admission =
  | {
      readonly ok: true
      readonly status: 200
      readonly headers: Record<string, string>
      start(sink: Sink): { readonly ok: true; readonly connection: ConnectionHandle } | Refusal
    }
  | Refusal

const ANONYMOUS: Principal = Object.freeze({ id: 'anonymous' })

/**
 * Runs the connection policy shared by every adapter: authenticate, topics, authorize,
 * limits, `Last-Event-ID` (the header wins over `?lastEventId=`).
 *
 * @param hub - the hub to attach to
 * @param options - the `sse()` options
 * @param request - the adapter's native request, handed to the callbacks
 * @param view - header and query access
 * @returns an {@link Admission}
 */
export async function admit<E extends EventMap, Req, P extends Principal>(
  hub: Hub<E>,
  options: SseOptions<Req, P>,
  request: Req,
  view: RequestView,
): Promise<Admission> {
  const retryAfter = String(options.retryAfterSeconds ?? 5)
  try {
    if (hub.closed) throw new NotifyError('HUB_CLOSED', 'the server is shutting down; reconnect shortly')
    if (hub.state === 'unavailable') {
      throw new NotifyError('BACKPLANE_UNAVAILABLE', 'the event log is not reachable yet; reconnect shortly')
    }
    const principal = options.authenticate ? await options.authenticate(request) : (ANONYMOUS as P)
    if (principal === null || principal === undefined) {
      throw new NotifyError('UNAUTHORIZED', 'authentication required: send valid credentials')
    }
    if (principal.expiresAt !== undefined && principal.expiresAt <= Date.now()) {
      throw new NotifyError('UNAUTHORIZED', 'credentials expired: refresh them and reconnect')
    }
    const requested =
      typeof options.topics === 'function' ? await options.topics(request, principal) : options.topics
    const topics = normaliseTopics(requested)
    if (options.authorize) {
      for (const topic of topics) {
        if (!(await options.authorize(principal, topic, request))) {
          throw new NotifyError('FORBIDDEN', `not allowed to subscribe to topic ${JSON.stringify(topic)}`)
        }
      }
    }
    const checkLimits = (): void => {
      const { maxConnections, maxConnectionsPerPrincipal } = options
      if (maxConnections !== undefined && hub.stats().connections >= maxConnections) {
        throw new NotifyError(
          'SERVER_BUSY',
          `the server is at its limit of ${maxConnections} streams; retry later`,
        )
      }
      if (
        maxConnectionsPerPrincipal !== undefined &&
        hub.connectionsOf(principal.id) >= maxConnectionsPerPrincipal
      ) {
        throw new NotifyError(
          'TOO_MANY_CONNECTIONS',
          `at most ${maxConnectionsPerPrincipal} open streams per user; close one or retry later`,
        )
      }
    }
    checkLimits()
    const header = view.header('last-event-id')
    const lastEventId = header !== undefined && header !== '' ? header : nonEmpty(view.query('lastEventId'))
    return {
      ok: true,
      status: 200,
      headers: { ...STREAM_HEADERS },
      start: (sink) => {
        try {
          checkLimits()
          return { ok: true, connection: hub.connect(sink, { principal, topics, lastEventId }) }
        } catch (error) {
          return refuseAndReport(hub, error, retryAfter)
        }
      },
    }
  } catch (error) {
    return refuseAndReport(hub, error, retryAfter)
  }
}

// An unexpected error (a throwing authenticate, topics or authorize) is answered with a 500 that
// does not leak it, and handed to the hub's onError so it is not lost.
function refuseAndReport<E extends EventMap>(hub: Hub<E>, error: unknown, retryAfter: string): Refusal {
  if (!isNotifyError(error)) hub.reportError(error)
  return refuse(error, retryAfter)
}

/**
 * Turns an error into the refusal every adapter answers with: a `NotifyError` keeps its code
 * and status; anything else becomes a 500 `INTERNAL_ERROR` that does not leak its message.
 */
export function refuse(error: unknown, retryAfterSeconds: string | number = 5): Refusal {
  const failure = isNotifyError(error)
    ? error
    : new NotifyError('INTERNAL_ERROR', 'the stream could not be opened', { cause: error })
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' }
  if (failure.status === 429 || failure.status === 503) headers['retry-after'] = String(retryAfterSeconds)
  return { ok: false, status: failure.status, headers, body: JSON.stringify(failure.toJSON()) }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value
}
