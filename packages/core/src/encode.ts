import { NotifyError } from './errors.js'

/** The fields of one SSE frame. Every field is optional, but at least one must be given. */
export interface SseFrame {
  /** Event type (`event:` field). Must not contain CR or LF. `''` means the default, `message`. */
  event?: string
  /** Payload; split on CRLF, CR and LF into one `data:` line each. `''` still dispatches an empty event. */
  data?: string
  /** Event id (`id:` field). Must not contain CR, LF or NUL. `''` resets the client's last event id. */
  id?: string
  /** Reconnection time in milliseconds (`retry:` field): a non-negative integer. */
  retry?: number
  /** Comment text (`:` lines); never dispatched by clients, used for heartbeats. */
  comment?: string
}

const LINE_BREAK = /\r\n|\r|\n/
const CR_OR_LF = /[\r\n]/

function field(name: string, value: string): string {
  return value === '' ? `${name}:\n` : `${name}: ${value}\n`
}

/**
 * Encodes one Server-Sent Events frame, exactly as the WHATWG parser reads it back.
 *
 * Multi-line `data` and `comment` are split into one line each; `event` or `id` values that
 * could start a new field are rejected rather than repaired.
 *
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html#parsing-an-event-stream
 * @param frame - the fields to write; optional fields are written whenever they are not `undefined`
 * @returns the frame text, ending in the blank line that dispatches it
 * @throws {@link NotifyError} `INVALID_FIELD` for CR/LF in `event` or `id`, NUL in `id`,
 *   a `retry` that is not a non-negative integer, a non-string `data`, or an empty frame
 * @example
 * ```ts
 * encodeEvent({ id: '1-7', event: 'order.updated', data: '{"id":"1"}' })
 * // 'id: 1-7\nevent: order.updated\ndata: {"id":"1"}\n\n'
 * ```
 */
export function encodeEvent(frame: SseFrame): string {
  const { event, data, id, retry, comment } = frame
  let out = ''
  if (comment !== undefined) {
    if (typeof comment !== 'string') throw invalid('comment must be a string')
    for (const line of comment.split(LINE_BREAK)) out += line === '' ? ':\n' : `: ${line}\n`
  }
  if (retry !== undefined) {
    if (typeof retry !== 'number' || !Number.isSafeInteger(retry) || retry < 0) {
      throw invalid(`retry must be a non-negative integer number of milliseconds, got ${String(retry)}`)
    }
    out += `retry: ${retry}\n`
  }
  if (id !== undefined) {
    if (typeof id !== 'string') throw invalid('id must be a string')
    if (CR_OR_LF.test(id) || id.includes('\0')) {
      throw invalid(
        `id must not contain CR, LF or NUL (it would inject fields or be ignored): ${JSON.stringify(id)}`,
      )
    }
    out += field('id', id)
  }
  if (event !== undefined) {
    if (typeof event !== 'string') throw invalid('event must be a string')
    if (CR_OR_LF.test(event)) {
      throw invalid(`event must not contain CR or LF (it would inject fields): ${JSON.stringify(event)}`)
    }
    out += field('event', event)
  }
  if (data !== undefined) {
    if (typeof data !== 'string') {
      throw invalid('data must be a string; serialise objects first, e.g. JSON.stringify(value)')
    }
    for (const line of data.split(LINE_BREAK)) out += field('data', line)
  }
  if (out === '') throw invalid('nothing to encode: give at least one of data, event, id, retry or comment')
  return `${out}\n`
}

function invalid(message: string): NotifyError {
  return new NotifyError('INVALID_FIELD', message)
}
