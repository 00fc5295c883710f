import { type EventSourceMessage, createParser } from 'eventsource-parser'
import { backoffDelay } from './backoff.js'
import { buildUrl, checkResponse } from './connect.js'
import { createEmitter } from './emitter.js'
import { browserNetwork, browserSessionStorage, browserVisibility } from './environment.js'
import { NotifyClientError, type NotifyClientErrorCode, type NotifyClientErrorDetails } from './errors.js'
import { iterate } from './iterate.js'
import {
  type ClientEvent,
  type ClientOptions,
  type ClientStatus,
  type EventMap,
  type EventMeta,
  type NotifyClient,
  RESET_EVENT,
  type ResetInfo,
  type StandardResult,
} from './types.js'

// Tuning constants are written inline (named constants cost bundle bytes); each use explains its value.

/**
 * Creates a typed SSE client: fetch + spec-exact parsing, reconnect with full-jitter backoff and
 * `Last-Event-ID`, heartbeat timeout, duplicate filter, async iteration. Connects at once unless `lazy`.
 *
 * @param url - the stream URL. Relative URLs resolve against the page, as in `fetch`; outside browsers and workers
 *   pass an absolute URL (or a `fetch` that resolves it): an unresolvable URL closes with `INVALID_URL`.
 * @param options - see {@link ClientOptions}
 * @returns a {@link NotifyClient}
 * @example
 * ```ts
 * type Events = { 'order.updated': { id: string; status: string } }
 * const client = createClient<Events>('/events', {
 *   topics: ['orders'],
 *   headers: async () => ({ authorization: `Bearer ${await getToken()}` }),
 * })
 * client.on('order.updated', (order, meta) => console.log(order.status, meta.id))
 * client.onError((error) => console.warn(error.code, error.status, error.retryable))
 * ```
 */
export function createClient<E extends EventMap = EventMap>(
  url: string,
  options: ClientOptions<E> = {},
): NotifyClient<E> {
  const target = buildUrl(url, options.query, options.topics)
  // JSON.parse ignores the event name passed as its second argument (a reviver must be a function).
  const parse = options.parse ?? (JSON.parse as (text: string) => unknown)
  const maxRetries = options.retry === false ? 0 : (options.maxRetries ?? Infinity)
  const network = options.network ?? browserNetwork()
  const visibility = options.pauseWhenHidden ? (options.visibility ?? browserVisibility()) : undefined
  const storageKey = options.persistLastEventId
  const storage = storageKey !== undefined ? (options.storage ?? browserSessionStorage()) : undefined
  const { schemas } = options

  const { on: subscribe, emit } = createEmitter()
  // Lifecycle handlers live under reserved `notify:` keys: server events with such names never reach
  // emit() (see receive), so an app event called `error` or `status` cannot collide with them.
  const ANY = 'notify:a'
  const OPEN = 'notify:o'
  const ERROR = 'notify:e'
  const STATUS = 'notify:s'

  let status: ClientStatus = 'closed'
  let lastEventId = options.lastEventId ?? storage?.getItem(storageKey!) ?? ''
  let serverRetryMs: number | undefined
  let advertisedHeartbeatMs: number | undefined
  let attempt = 0
  let openedAt = 0
  let started = false
  let authRetried = false
  let authHeaders: Record<string, string> | undefined
  // Bumped whenever the current attempt is superseded (failure, close, pause): stale async work checks it.
  let generation = 0
  let controller: AbortController | undefined
  let reconnectTimer: ReturnType<typeof setTimeout> | undefined
  let watchdog: ReturnType<typeof setTimeout> | undefined
  let lastByteAt = 0
  let waiting = false
  // Set by close() and the signal: events still queued behind an async schema are then dropped.
  let stopped = false
  let unwatch: (() => void)[] = []
  let tail: Promise<void> | undefined
  const seen = new Set<string>()

  const error = (code: NotifyClientErrorCode, message: string, details?: NotifyClientErrorDetails) =>
    new NotifyClientError(code, message, details)

  const setStatus = (next: ClientStatus) => {
    const previous = status
    if (previous === next) return
    status = next
    emit(STATUS, next, previous)
  }

  const setLastEventId = (id: string) => {
    lastEventId = id
    try {
      storage?.setItem(storageKey!, id)
    } catch {
      // Quota or a revoked storage: resume still works within this page.
    }
  }

  // One timer per client, re-armed lazily: a chunk only records its time, the timer checks on expiry.
  const armWatchdog = (gen: number) => {
    clearTimeout(watchdog)
    // 45 s when the server advertised no heartbeat.
    const limit =
      options.heartbeatTimeoutMs ?? (advertisedHeartbeatMs !== undefined ? 3 * advertisedHeartbeatMs : 45_000)
    if (!(limit < Infinity)) return // Infinity (or NaN) disables it
    watchdog = setTimeout(
      // No generation check here: drop() and attemptConnect() clear this timer, and fail() ignores a stale
      // generation (a timer armed by a comment parsed after a handler closed the client ends there).
      () =>
        Date.now() - lastByteAt >= limit
          ? fail(gen, error('HEARTBEAT_TIMEOUT', `no data for ${limit} ms`))
          : armWatchdog(gen),
      // Timers take a signed 32-bit delay; a longer one would fire at once, in a loop. (A negative one is 0.)
      Math.min(2 ** 31 - 1, limit - (Date.now() - lastByteAt)),
    )
  }

  // Stops the current attempt, if any, without deciding what comes next.
  const drop = () => {
    generation++
    controller?.abort()
    controller = undefined
    clearTimeout(watchdog)
    clearTimeout(reconnectTimer)
    reconnectTimer = undefined
    waiting = false
  }

  const shutdown = (cause?: NotifyClientError) => {
    drop()
    for (const stop of unwatch) stop()
    unwatch = []
    if (cause) emit(ERROR, cause)
    setStatus('closed')
  }

  const fail = (gen: number, cause: NotifyClientError, immediate = false) => {
    if (gen !== generation) return
    drop()
    // A connection open at least 5 s resets the backoff streak (and the `maxRetries` count).
    if (openedAt && Date.now() - openedAt >= 5000) attempt = 1
    openedAt = 0
    cause.attempt = attempt
    // `immediate` is the one retry `onUnauthorized` allowed: not a reconnect, so `retry: false`/`maxRetries` do not apply.
    if (!cause.retryable || (!immediate && maxRetries === 0)) return shutdown(cause)
    emit(ERROR, cause)
    if (!immediate && attempt > maxRetries) {
      const exhausted = error('RETRIES_EXHAUSTED', `${attempt} attempts failed`, { cause })
      exhausted.attempt = attempt
      return shutdown(exhausted)
    }
    if (status === 'closed') return // a handler closed the client
    setStatus('reconnecting')
    reconnectTimer = setTimeout(
      attemptConnect,
      immediate
        ? 0
        : Math.max(
            cause.retryAfterMs ?? 0,
            backoffDelay(
              attempt,
              serverRetryMs ?? options.initialDelayMs ?? 1000,
              options.maxDelayMs ?? 30_000,
            ),
          ),
    )
  }

  // Runs delivery tasks in arrival order, even when an async schema makes one of them wait.
  const enqueue = (task: () => void | Promise<void>) => {
    const run = (): void | Promise<void> => (stopped ? undefined : task())
    const next = tail ? tail.then(run) : run()
    if (next) {
      tail = next
      next.then(() => {
        if (tail === next) tail = undefined
      })
    }
  }

  const deliver = (event: string, raw: string, meta: EventMeta) => {
    let data: unknown
    try {
      data = parse(raw, event)
    } catch (cause) {
      return emit(ERROR, error('PARSE_ERROR', `cannot parse "${event}"`, { event, data: raw, cause }))
    }
    const dispatch = (result: StandardResult<unknown>) => {
      if (result.issues) {
        return emit(
          ERROR,
          error(
            'INVALID_PAYLOAD',
            `invalid "${event}": ${result.issues.map((issue) => issue.message).join('; ')}`,
            {
              event,
              data: raw,
              cause: result.issues,
            },
          ),
        )
      }
      emit(event, result.value, meta)
      emit(ANY, { ...meta, data: result.value }) // { event, data, id, receivedAt }
    }
    // Own properties only: an event named `constructor` must not find Object.prototype's.
    const schema = schemas && Object.hasOwn(schemas, event) ? schemas[event] : undefined
    if (!schema) return dispatch({ value: data })
    const invalid = (cause: unknown) =>
      emit(ERROR, error('INVALID_PAYLOAD', `invalid "${event}"`, { event, data: raw, cause }))
    // emit() never throws (handler errors are rethrown from a microtask), so only validate() can land here.
    try {
      const result = schema['~standard'].validate(data)
      return result instanceof Promise ? result.then(dispatch, invalid) : dispatch(result)
    } catch (cause) {
      return invalid(cause)
    }
  }

  const receive = (message: EventSourceMessage) => {
    // eventsource-parser leaves `event` undefined (or '' for `event:`); the spec's default is `message`.
    const event = message.event || 'message'
    const meta: EventMeta = { id: lastEventId, event, receivedAt: Date.now() }
    const { id } = message
    // The duplicate filter remembers the last 1,000 ids.
    if (id) {
      if (seen.has(id)) return
      seen.add(id)
      if (seen.size > 1000) seen.delete(seen.values().next().value!)
    }
    if (event === RESET_EVENT) {
      seen.clear()
      if (id) seen.add(id)
      let reset: ResetInfo
      try {
        reset = JSON.parse(message.data) as ResetInfo
      } catch {
        reset = { reason: 'unknown', lastEventId: '' }
      }
      return enqueue(() => emit(RESET_EVENT, reset, meta))
    }
    // Other reserved names are for future protocol use (and the lifecycle keys): never handed to handlers.
    if (event.startsWith('notify:')) return
    enqueue(() => deliver(event, message.data, meta))
  }

  const stream = async (gen: number, signal: AbortSignal) => {
    const base = typeof options.headers === 'function' ? await options.headers() : options.headers
    if (gen !== generation) return
    const headers: Record<string, string> = { accept: 'text/event-stream', ...base, ...authHeaders }
    // §9.2.4: the header only when the last event ID string is non-empty, "encoded as UTF-8". Header values
    // are byte strings, so the UTF-8 bytes go in one char each (a raw 'é' would go out as Latin-1, and a
    // character above U+00FF would make fetch throw on every attempt).
    if (lastEventId) headers['last-event-id'] = String.fromCharCode(...new TextEncoder().encode(lastEventId))
    // An undefined `credentials` is an absent dictionary member (WebIDL): fetch's default applies.
    const response = await (options.fetch ?? fetch)(target, {
      headers,
      cache: 'no-store',
      signal,
      credentials: options.credentials,
    })
    lastByteAt = Date.now()
    if (gen !== generation) return // drop() aborted the request, which cancels the body
    const refused = await checkResponse(response)
    if (gen !== generation) return
    if (refused) {
      const hook = options.onUnauthorized
      if (refused.code === 'UNAUTHORIZED' && hook && !authRetried) {
        authRetried = true
        refused.attempt = attempt
        const answer = await hook(refused)
        if (gen !== generation) return
        if (answer) {
          if (typeof answer === 'object') authHeaders = { ...authHeaders, ...answer }
          refused.retryable = true
          return fail(gen, refused, true)
        }
      }
      return fail(gen, refused)
    }
    openedAt = Date.now()
    authRetried = false
    setStatus('open')
    emit(OPEN)
    // A fresh decoder and parser per response: a BOM at the start of a reconnected body is stripped again.
    // `ignoreBOM` leaves the BOM to the parser, which strips exactly one (a second one is field-name text).
    const decoder = new TextDecoder('utf-8', { ignoreBOM: true })
    const parser = createParser({
      onEvent: receive,
      onId: setLastEventId,
      onRetry: (ms) => {
        serverRetryMs = ms
      },
      onComment: (comment) => {
        // The parser has stripped the one space after the colon.
        const advertised = /^notify heartbeat=(\d+)$/.exec(comment)
        if (advertised) {
          advertisedHeartbeatMs = Number(advertised[1])
          armWatchdog(gen)
        }
      },
    })
    // A 200 event stream always has a body (only HEAD, 204 and 304 have none).
    const reader = response.body!.getReader()
    for (;;) {
      const { done, value } = await reader.read()
      if (gen !== generation) return
      if (done) break
      lastByteAt = Date.now()
      parser.feed(decoder.decode(value, { stream: true }))
      if (gen !== generation) return // a handler closed or paused the client
    }
    // An unterminated event at the end is not dispatched (§9.2.6); the parser is simply dropped.
    fail(gen, error('STREAM_ENDED', 'stream ended'))
  }

  function attemptConnect(): void {
    reconnectTimer = undefined
    if (status === 'closed') return
    if (network?.online === false || visibility?.hidden) {
      waiting = true
      return
    }
    waiting = false
    attempt++
    const gen = ++generation
    controller = new AbortController()
    lastByteAt = Date.now()
    armWatchdog(gen)
    stream(gen, controller.signal).catch((cause: unknown) => {
      if (gen !== generation) return
      // The global fetch resolves a relative URL against `location` (as `new Request` does). Without one
      // (Node, Deno) it never can: INVALID_URL closes instead of retrying. A custom fetch may resolve it itself.
      let code: NotifyClientErrorCode = 'NETWORK_ERROR'
      try {
        options.fetch || new Request(target)
      } catch {
        code = 'INVALID_URL'
      }
      fail(gen, error(code, `${cause}`, { cause }))
    })
  }

  const resume = () => {
    if (status === 'closed' || status === 'open' || controller) return
    if (waiting || reconnectTimer) {
      clearTimeout(reconnectTimer)
      attemptConnect()
    }
  }

  const start = () => {
    if (status !== 'closed' || options.signal?.aborted) return
    started = true
    stopped = false
    attempt = 0
    setStatus('connecting')
    if (network) unwatch.push(network.subscribe((online) => online && resume()))
    if (visibility) {
      unwatch.push(
        visibility.subscribe((hidden) => {
          if (status === 'closed') return
          if (!hidden) return resume()
          // Paused, not failed: no error, no backoff; the visible page resumes with Last-Event-ID.
          drop()
          openedAt = 0
          attempt = 0
          waiting = true
          setStatus('reconnecting')
        }),
      )
    }
    attemptConnect()
  }

  const stop = () => {
    stopped = true
    shutdown()
  }
  options.signal?.addEventListener('abort', stop) // fires once

  const events = () =>
    iterate<ClientEvent<E>>(
      (push) => subscribe(ANY, push),
      (end) => subscribe(STATUS, (next: ClientStatus) => next === 'closed' && end()),
      started && status === 'closed',
    )

  const client: NotifyClient<E> = {
    get status() {
      return status
    },
    get lastEventId() {
      return lastEventId
    },
    on: (event, handler) => subscribe(event, handler),
    onAny: (handler) => subscribe(ANY, handler),
    onOpen: (handler) => subscribe(OPEN, handler),
    onError: (handler) => subscribe(ERROR, handler),
    onReset: (handler) => subscribe(RESET_EVENT, handler),
    onStatus: (handler) => subscribe(STATUS, handler),
    events,
    [Symbol.asyncIterator]: events,
    connect: start,
    close: stop,
  }
  if (!options.lazy) start()
  return client
}
