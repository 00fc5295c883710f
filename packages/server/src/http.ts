import type { IncomingMessage, ServerResponse } from 'node:http'
import { isNotifyError, NOTIFY_ERROR_STATUS, type NotifyErrorCode } from '@notify/core'

/**
 * HTTP status of every error code the server answers with: core's codes plus the HTTP-only ones.
 *
 * @example
 * ```ts
 * SERVER_ERROR_STATUS.BODY_TOO_LARGE // → 413
 * ```
 */
export const SERVER_ERROR_STATUS = {
  ...NOTIFY_ERROR_STATUS,
  /** No such endpoint. */
  NOT_FOUND: 404,
  /** The endpoint exists but not with this method. */
  METHOD_NOT_ALLOWED: 405,
  /** The request body is over `maxBodyBytes`. */
  BODY_TOO_LARGE: 413,
  /** The request body is not `application/json`. */
  UNSUPPORTED_MEDIA_TYPE: 415,
  /** The request body is not valid JSON. */
  INVALID_JSON: 400,
  /** The JSON is valid but not the expected shape (fields, types, batch size). */
  INVALID_BODY: 400,
  /** The publisher is over its rate limit; see `Retry-After`. */
  RATE_LIMITED: 429,
} as const satisfies Record<NotifyErrorCode, number> & Record<string, number>

/** A code the server answers with in `{ error: { code, message } }`. */
export type ServerErrorCode = keyof typeof SERVER_ERROR_STATUS

/**
 * An error answered as `{ error: { code, message } }` with the status of its code, plus optional
 * headers (`Retry-After`).
 *
 * @example
 * ```ts
 * throw new HttpError('RATE_LIMITED', 'slow down', { 'retry-after': '2' }) // → 429
 * ```
 */
export class HttpError extends Error {
  /** Stable machine-readable code. */
  readonly code: ServerErrorCode
  /** Extra response headers. */
  readonly headers: Record<string, string>

  /**
   * @param code - the error code; the status follows from it
   * @param message - what went wrong and what to do
   * @param headers - extra response headers
   */
  constructor(code: ServerErrorCode, message: string, headers: Record<string, string> = {}) {
    super(message)
    this.name = 'HttpError'
    this.code = code
    this.headers = headers
  }

  /** The HTTP status of the code. */
  get status(): number {
    return SERVER_ERROR_STATUS[this.code]
  }
}

/** Turns anything thrown into an {@link HttpError} (NotifyErrors keep their code). */
export function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error
  if (isNotifyError(error)) {
    const headers: Record<string, string> = {}
    if (error.status === 503 || error.status === 429) headers['retry-after'] = '5'
    return new HttpError(error.code, error.message, headers)
  }
  return new HttpError('INTERNAL_ERROR', 'internal error; see the server logs')
}

/** Sends a JSON body with a status. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    if (!res.writableEnded) res.end()
    return
  }
  const text = JSON.stringify(body)
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  })
  res.end(text)
}

/** Sends `{ error: { code, message } }` with the error's status and headers. */
export function sendError(res: ServerResponse, error: HttpError): void {
  sendJson(res, error.status, { error: { code: error.code, message: error.message } }, error.headers)
}

/**
 * Reads a request body up to `limit` bytes.
 *
 * @throws {@link HttpError} `BODY_TOO_LARGE` as soon as the body (or its declared length) is over the limit
 */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const tooLarge = () =>
    new HttpError('BODY_TOO_LARGE', `the request body is over the limit of ${limit} bytes`)
  const declared = Number(req.headers['content-length'])
  if (Number.isFinite(declared) && declared > limit) throw tooLarge()
  // Listeners, not `for await`: leaving an async iterator early destroys the socket, and the
  // client would never see the 413. Here the rest is drained (Node discards it) and the answer goes out.
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size <= limit) {
        chunks.push(chunk)
        return
      }
      req.off('data', onData)
      req.off('end', onEnd)
      req.resume()
      reject(tooLarge())
    }
    const onEnd = () => resolve(Buffer.concat(chunks))
    req.on('data', onData)
    req.once('end', onEnd)
    req.once('error', reject)
  })
}

/** Replaces the value of `access_token` in a URL (path and query) so a token never reaches a log. */
export function redactUrl(url: string): string {
  return url.replace(/([?&]access_token=)[^&#]*/gi, '$1[redacted]')
}
