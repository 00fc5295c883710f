/**
 * The error codes of {@link NotifyClientError}, each with whether the client reconnects after it.
 * Codes are stable: match on `code`, never on `message`. (A type, so the table costs no bundle bytes.)
 */
export interface NotifyClientErrorCodes {
  /** The URL does not resolve: a relative URL outside browsers (without a `fetch` option), or a malformed one. Closes. */
  INVALID_URL: false
  /** `fetch` rejected or the body failed while reading (connection refused, reset, DNS). Reconnects. */
  NETWORK_ERROR: true
  /** A status other than 200, 204, 401 and 403. Reconnects for 5xx, 408 and 429 (honouring `Retry-After`), else closes. */
  HTTP_ERROR: boolean
  /** 401 or 403: the credentials are missing, expired or lack a claim. Closes, unless `onUnauthorized` allows a retry. */
  UNAUTHORIZED: false
  /** 204 No Content: the server's way to say "stop reconnecting". Closes. */
  NO_CONTENT: false
  /** A 200 whose `Content-Type` is not `text/event-stream`. Closes. */
  BAD_CONTENT_TYPE: false
  /** The server ended the stream. Reconnects. */
  STREAM_ENDED: true
  /** No byte (heartbeat comments included) arrived for `heartbeatTimeoutMs`: the stream was aborted. Reconnects. */
  HEARTBEAT_TIMEOUT: true
  /** `maxRetries` reconnects in a row failed. Closes; `cause` is the last failure. */
  RETRIES_EXHAUSTED: false
  /** An event's data failed `parse` (JSON by default); `data` holds the raw text. No handler was called. */
  PARSE_ERROR: false
  /** An event's data failed its `schemas` entry; `data` holds the raw text. No handler was called. */
  INVALID_PAYLOAD: false
}

/** A stable error code, see {@link NotifyClientErrorCodes}. */
export type NotifyClientErrorCode = keyof NotifyClientErrorCodes

const RETRYABLE: readonly NotifyClientErrorCode[] = ['NETWORK_ERROR', 'STREAM_ENDED', 'HEARTBEAT_TIMEOUT']

/** Details attached to a {@link NotifyClientError}. */
export interface NotifyClientErrorDetails {
  /** HTTP status of the failed response, when there was one. */
  status?: number
  /** Whether the client will (or could) reconnect after it. @defaultValue true for `NETWORK_ERROR`, `STREAM_ENDED`, `HEARTBEAT_TIMEOUT` */
  retryable?: boolean
  /** The server's `Retry-After`, in ms, when it sent one. */
  retryAfterMs?: number
  /** The `code` of a notify server's error body (`FORBIDDEN`, `TOO_MANY_CONNECTIONS`, `SERVER_BUSY`…). */
  serverCode?: string
  /** The event name, for `PARSE_ERROR` and `INVALID_PAYLOAD`. */
  event?: string
  /** The raw `data:` text, for `PARSE_ERROR` and `INVALID_PAYLOAD`. */
  data?: string
  /** What caused it (a `TypeError` from fetch, a schema's issues). */
  cause?: unknown
}

/**
 * Every error the client reports through `onError`.
 *
 * @example
 * ```ts
 * client.onError((error) => {
 *   if (error.code === 'UNAUTHORIZED') redirectToLogin()
 *   else if (!error.retryable) console.error('stream stopped', error.status, error.message)
 * })
 * ```
 */
export class NotifyClientError extends Error {
  // `declare`d fields are assigned in one place (Object.assign) and cost no class-field code in the bundle.
  /** A stable code. */
  declare readonly code: NotifyClientErrorCode
  /** HTTP status, when a response caused it. */
  declare readonly status: number | undefined
  /** True when the client reconnects after it (connection errors) — a flaky network, not a dead token. */
  declare retryable: boolean
  /** Which connection attempt of the current streak failed (1 = the first try after the last stable connection). 0 for event errors. */
  declare attempt: number
  /** The server's `Retry-After`, in ms. */
  declare readonly retryAfterMs: number | undefined
  /**
   * The `code` of the server's `{ "error": { "code", "message" } }` body (its `message` is appended to
   * `message`), for HTTP errors: tells a dead token (`UNAUTHORIZED`) from a forbidden topic (`FORBIDDEN`),
   * a per-user limit (`TOO_MANY_CONNECTIONS`) from a full server (`SERVER_BUSY`).
   */
  declare readonly serverCode: string | undefined
  /** Event name, for event-level errors. */
  declare readonly event: string | undefined
  /** Raw data text, for `PARSE_ERROR` and `INVALID_PAYLOAD`. */
  declare readonly data: string | undefined

  /**
   * @param code - a {@link NotifyClientErrorCode}
   * @param message - what happened and what to do
   * @param details - status, retryable, retryAfterMs, serverCode, event, data, cause
   */
  constructor(code: NotifyClientErrorCode, message: string, details?: NotifyClientErrorDetails) {
    super(message, details)
    // Copies the details (`cause` again, harmlessly); absent ones read as undefined.
    Object.assign(this, details, {
      name: 'NotifyClientError',
      code,
      attempt: 0,
      retryable: details?.retryable ?? RETRYABLE.includes(code),
    })
  }
}

/**
 * Whether `value` is a {@link NotifyClientError} (also across bundle copies, by name).
 *
 * @param value - anything caught
 * @returns true for a client error
 * @example
 * ```ts
 * if (isNotifyClientError(error) && error.code === 'UNAUTHORIZED') logout()
 * ```
 */
export function isNotifyClientError(value: unknown): value is NotifyClientError {
  // By name, not `instanceof`: two copies of the package (ESM and CJS, or two versions) have two classes.
  return value instanceof Error && value.name === 'NotifyClientError'
}
