import { NotifyError } from './errors.js'

/** Prefix reserved for notify's own events; `hub.publish` rejects it. */
export const RESERVED_PREFIX = 'notify:'

/** Longest topic, event name and idempotency key accepted. */
export const MAX_NAME_LENGTH = 256
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point (C0, DEL, C1).
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/

/**
 * Checks one topic: a non-empty string of at most 256 characters without control characters.
 *
 * @param topic - the topic to check
 * @throws {@link NotifyError} `INVALID_TOPIC`
 */
export function assertTopic(topic: unknown): asserts topic is string {
  if (typeof topic !== 'string' || topic === '') {
    throw new NotifyError('INVALID_TOPIC', `a topic must be a non-empty string, got ${describe(topic)}`)
  }
  if (topic.length > MAX_NAME_LENGTH) {
    throw new NotifyError(
      'INVALID_TOPIC',
      `a topic must be at most ${MAX_NAME_LENGTH} characters, got ${topic.length}`,
    )
  }
  if (CONTROL.test(topic)) {
    throw new NotifyError(
      'INVALID_TOPIC',
      `a topic must not contain control characters: ${JSON.stringify(topic)}`,
    )
  }
}

/** Validates one topic or a list, and returns them deduplicated, in first-seen order. */
export function normaliseTopics(topics: unknown): string[] {
  const list = typeof topics === 'string' ? [topics] : topics
  if (!Array.isArray(list) || list.length === 0) {
    throw new NotifyError('INVALID_TOPIC', 'give a topic or a non-empty array of topics')
  }
  for (const topic of list) assertTopic(topic)
  return [...new Set(list as string[])]
}

/** Checks an event name: non-empty, ≤ 256 characters, no CR/LF/NUL, not `notify:`-prefixed. */
export function assertEventName(event: unknown): asserts event is string {
  if (typeof event !== 'string' || event === '') {
    throw new NotifyError('INVALID_EVENT', `an event name must be a non-empty string, got ${describe(event)}`)
  }
  if (event.length > MAX_NAME_LENGTH) {
    throw new NotifyError('INVALID_EVENT', `an event name must be at most ${MAX_NAME_LENGTH} characters`)
  }
  if (/[\r\n\0]/.test(event)) {
    throw new NotifyError(
      'INVALID_EVENT',
      `an event name must not contain CR, LF or NUL (it would inject fields): ${JSON.stringify(event)}`,
    )
  }
  if (event.startsWith(RESERVED_PREFIX)) {
    throw new NotifyError(
      'RESERVED_EVENT',
      `event names starting with "notify:" are reserved: ${JSON.stringify(event)}`,
    )
  }
}

/** Checks an idempotency key: a non-empty string of at most 256 characters. */
export function assertKey(key: unknown): asserts key is string {
  if (typeof key !== 'string' || key === '' || key.length > MAX_NAME_LENGTH) {
    throw new NotifyError(
      'INVALID_KEY',
      `an idempotency key must be a non-empty string of at most ${MAX_NAME_LENGTH} characters`,
    )
  }
}

function describe(value: unknown): string {
  return value === '' ? 'an empty string' : typeof value === 'string' ? JSON.stringify(value) : typeof value
}

/**
 * Reads an integer option: the fallback when absent, else a safe integer within `[min, max]`.
 * @internal
 * @throws {@link NotifyError} `INVALID_OPTION` naming the option and its range
 */
export function integerOption(
  value: number | undefined,
  fallback: number,
  name: string,
  min = 1,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new NotifyError(
      'INVALID_OPTION',
      `${name} must be an integer from ${min} to ${max}, got ${String(value)}`,
    )
  }
  return value
}
