/**
 * Every error code a `NotifyError` can carry, with what it means.
 * The HTTP status for each lives in {@link NOTIFY_ERROR_STATUS}, typed exhaustively.
 */
export const NOTIFY_ERROR_CODES = {
  /** An `event`, `id`, `retry` or `comment` value would break the SSE framing (CR, LF, NUL, bad retry). */
  INVALID_FIELD: 'INVALID_FIELD',
  /** A topic is empty, longer than 256 characters, or contains control characters. */
  INVALID_TOPIC: 'INVALID_TOPIC',
  /** An event name is empty, or contains CR, LF or NUL. */
  INVALID_EVENT: 'INVALID_EVENT',
  /** The event name starts with the reserved `notify:` prefix. */
  RESERVED_EVENT: 'RESERVED_EVENT',
  /** The payload failed the event's Standard Schema, or could not be serialised. */
  INVALID_PAYLOAD: 'INVALID_PAYLOAD',
  /** An idempotency key is empty, not a string, or longer than 256 characters. */
  INVALID_KEY: 'INVALID_KEY',
  /** An option passed to a factory is out of range or of the wrong type. */
  INVALID_OPTION: 'INVALID_OPTION',
  /** No credentials, or credentials that do not check out. */
  UNAUTHORIZED: 'UNAUTHORIZED',
  /** Valid credentials that do not allow this topic. */
  FORBIDDEN: 'FORBIDDEN',
  /** The same idempotency key arrived with different content. */
  IDEMPOTENCY_CONFLICT: 'IDEMPOTENCY_CONFLICT',
  /** Too many connections for one principal. */
  TOO_MANY_CONNECTIONS: 'TOO_MANY_CONNECTIONS',
  /** The hub is at its global connection limit. */
  SERVER_BUSY: 'SERVER_BUSY',
  /** The backplane (e.g. Redis) cannot be reached; nothing was published. */
  BACKPLANE_UNAVAILABLE: 'BACKPLANE_UNAVAILABLE',
  /** An unexpected failure inside a callback (authenticate, topics, authorize) or the store. */
  INTERNAL_ERROR: 'INTERNAL_ERROR',
  /** The hub was closed; it accepts no more publishes or connections. */
  HUB_CLOSED: 'HUB_CLOSED',
} as const

/** A stable, machine-readable error code. */
export type NotifyErrorCode = keyof typeof NOTIFY_ERROR_CODES

/** HTTP status for each code. A new code without a status does not compile. */
export const NOTIFY_ERROR_STATUS: Record<NotifyErrorCode, number> = {
  INVALID_FIELD: 400,
  INVALID_TOPIC: 400,
  INVALID_EVENT: 400,
  RESERVED_EVENT: 400,
  INVALID_PAYLOAD: 400,
  INVALID_KEY: 400,
  INVALID_OPTION: 500,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  IDEMPOTENCY_CONFLICT: 409,
  TOO_MANY_CONNECTIONS: 429,
  SERVER_BUSY: 503,
  BACKPLANE_UNAVAILABLE: 503,
  INTERNAL_ERROR: 500,
  HUB_CLOSED: 503,
}

/**
 * The one error class of notify. `code` is stable across versions; `message` says what to do.
 *
 * @example
 * ```ts
 * try { encodeEvent({ event: 'a\nb' }) } catch (err) {
 *   if (isNotifyError(err) && err.code === 'INVALID_FIELD') console.log(err.message)
 * }
 * ```
 */
export class NotifyError extends Error {
  /** Stable machine-readable code. */
  readonly code: NotifyErrorCode

  /**
   * @param code - one of {@link NOTIFY_ERROR_CODES}
   * @param message - what went wrong and what to do about it
   * @param options - `cause`, the underlying error if any
   */
  constructor(code: NotifyErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'NotifyError'
    this.code = code
  }

  /** The HTTP status this error maps to. */
  get status(): number {
    return NOTIFY_ERROR_STATUS[this.code]
  }

  /** The JSON error body every notify HTTP endpoint answers with: `{ error: { code, message } }`. */
  toJSON(): { error: { code: NotifyErrorCode; message: string } } {
    return { error: { code: this.code, message: this.message } }
  }
}

/**
 * True when `value` is a {@link NotifyError}, also across bundle copies (where `instanceof` fails).
 *
 * @param value - anything caught
 * @returns whether it is a NotifyError
 */
export function isNotifyError(value: unknown): value is NotifyError {
  if (value instanceof NotifyError) return true
  return (
    value instanceof Error &&
    value.name === 'NotifyError' &&
    typeof (value as { code?: unknown }).code === 'string' &&
    (value as unknown as { code: string }).code in NOTIFY_ERROR_CODES
  )
}
