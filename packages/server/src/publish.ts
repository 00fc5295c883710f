import type { IncomingMessage, ServerResponse } from 'node:http'
import { performance } from 'node:perf_hooks'
import { assertEventName, assertKey, type Hub, isNotifyError, normaliseTopics } from '@notify/core'
import type { Logger } from 'pino'
import { assertConcreteTopic, matchesTopic, type NotifyClaims } from './auth.js'
import { HttpError, readBody, sendError, sendJson, toHttpError } from './http.js'
import type { IdempotencyLedger } from './idempotency.js'
import type { Metrics } from './metrics.js'
import type { RateLimiter } from './rate-limit.js'

/**
 * Most events in one `POST /publish` batch; a longer array is a 400.
 *
 * @example
 * ```ts
 * for (let i = 0; i < events.length; i += MAX_BATCH) await post(events.slice(i, i + MAX_BATCH))
 * ```
 */
export const MAX_BATCH = 100

/**
 * Deepest nesting of arrays and objects in a `POST /publish` body, counting the body itself
 * (a single event object is level 1, its `data` level 2; in a batch, one more). A deeper body
 * is a 400 `INVALID_PAYLOAD`, checked before anything else reads the body's structure.
 *
 * @example
 * ```ts
 * // {"topic":"a","event":"e","data":{"a":{"b":1}}} nests 3 levels; a batch of it, 4
 * console.log(`data may nest ${MAX_JSON_DEPTH - 2} levels in a batch`)
 * ```
 */
export const MAX_JSON_DEPTH = 64

/** One event to publish, as validated from the request body. */
export interface PublishItem {
  readonly topics: readonly string[]
  readonly event: string
  readonly data: unknown
  readonly key?: string
}

const ITEM_FIELDS = new Set(['topic', 'event', 'data', 'key'])

/**
 * Reads and validates a whole publish request body before anything is published: content type,
 * size, JSON, shape, topic and event syntax, keys. One bad item rejects the whole batch.
 *
 * @param req - the request
 * @param maxBodyBytes - body size limit
 * @returns the items, in order (a single event is a batch of one)
 * @throws {@link HttpError} 415, 413 or 400
 */
export async function readPublishBody(req: IncomingMessage, maxBodyBytes: number): Promise<PublishItem[]> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
  if (type !== 'application/json' && !/^application\/[\w.+-]+\+json$/.test(type)) {
    throw new HttpError(
      'UNSUPPORTED_MEDIA_TYPE',
      `send the events as JSON with Content-Type: application/json (got ${type === '' ? 'none' : JSON.stringify(type)})`,
    )
  }
  const body = await readBody(req, maxBodyBytes)
  let parsed: unknown
  try {
    parsed = JSON.parse(body.toString('utf8'))
  } catch {
    throw new HttpError('INVALID_JSON', 'the request body is not valid JSON')
  }
  if (nestedDeeperThan(parsed, MAX_JSON_DEPTH)) {
    throw new HttpError(
      'INVALID_PAYLOAD',
      `the request body nests arrays/objects deeper than the limit of ${MAX_JSON_DEPTH} levels; flatten the data`,
    )
  }
  const batch = Array.isArray(parsed)
  const list: unknown[] = batch ? (parsed as unknown[]) : [parsed]
  if (list.length === 0) throw new HttpError('INVALID_BODY', 'the batch is empty: send at least one event')
  if (list.length > MAX_BATCH) {
    throw new HttpError('INVALID_BODY', `a batch holds at most ${MAX_BATCH} events, got ${list.length}`)
  }
  const headerKey = req.headers['idempotency-key']
  if (headerKey !== undefined && batch) {
    throw new HttpError(
      'INVALID_BODY',
      'the Idempotency-Key header is for a single event; give each batch item a key',
    )
  }
  const items = list.map((item, index) => validateItem(item, batch ? `event [${index}]` : 'the event'))
  if (typeof headerKey === 'string') {
    const item = items[0]!
    if (item.key !== undefined && item.key !== headerKey) {
      throw new HttpError(
        'INVALID_BODY',
        'the Idempotency-Key header and the body key differ: send one of them',
      )
    }
    checkKey(headerKey, 'the Idempotency-Key header')
    items[0] = { ...item, key: headerKey }
  }
  return items
}

// Iterative (an explicit stack), so a body nested 100,000 levels deep cannot overflow the call stack.
function nestedDeeperThan(root: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[root, 1]]
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!
    if (typeof value !== 'object' || value === null) continue
    if (depth > limit) return true
    for (const child of Array.isArray(value) ? value : Object.values(value)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1])
    }
  }
  return false
}

function validateItem(value: unknown, where: string): PublishItem {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new HttpError('INVALID_BODY', `${where} must be an object { topic, event, data, key? }`)
  }
  const record = value as Record<string, unknown>
  for (const field of Object.keys(record)) {
    if (!ITEM_FIELDS.has(field)) {
      throw new HttpError(
        'INVALID_BODY',
        `${where} has an unknown field ${JSON.stringify(field)}; allowed: topic, event, data, key`,
      )
    }
  }
  if (record.topic === undefined) throw new HttpError('INVALID_BODY', `${where} has no topic`)
  if (record.event === undefined) throw new HttpError('INVALID_BODY', `${where} has no event name`)
  if (!('data' in record)) throw new HttpError('INVALID_BODY', `${where} has no data (use null for none)`)
  const { key } = record
  let topics: string[]
  try {
    topics = normaliseTopics(record.topic)
    for (const topic of topics) assertConcreteTopic(topic)
    assertEventName(record.event)
    if (key !== undefined) assertKey(key)
  } catch (error) {
    throw withContext(error, where)
  }
  const item = { topics, event: record.event, data: record.data }
  return key === undefined ? item : { ...item, key }
}

function checkKey(key: unknown, where: string): asserts key is string {
  try {
    assertKey(key)
  } catch (error) {
    throw withContext(error, where)
  }
}

// Core's validation errors become HTTP errors with the same code, prefixed with where they are
// in the body (`event [2]: a topic must …`); anything else is rethrown untouched.
function withContext(error: unknown, where: string): unknown {
  return isNotifyError(error) ? new HttpError(error.code, `${where}: ${error.message}`) : error
}

/**
 * Checks the token's publish claim for every topic of every item.
 *
 * @throws {@link HttpError} `FORBIDDEN` naming the first topic not allowed
 */
export function authorizePublish(claims: NotifyClaims, items: readonly PublishItem[]): void {
  for (const item of items) {
    for (const topic of item.topics) {
      if (!matchesTopic(claims.publish, topic)) {
        throw new HttpError('FORBIDDEN', `not allowed to publish to topic ${JSON.stringify(topic)}`)
      }
    }
  }
}

/** What the publish endpoint needs from the server. */
export interface PublishContext {
  readonly hub: Hub
  /** Reads and verifies the request's token (never from the query string). */
  readonly authenticate: (req: IncomingMessage) => Promise<NotifyClaims>
  readonly ledger: IdempotencyLedger
  readonly limiter: RateLimiter | undefined
  readonly maxBodyBytes: number
  readonly metrics: Metrics
  readonly logger: Logger
}

/**
 * `POST /publish`: authenticate, rate-limit, read and validate the whole body, check every
 * topic against the publish claim and every key against the ledger, then publish in order.
 * Answers 202 `{ ids }` or a JSON error; logs one line and records the latency either way.
 *
 * @param context - the hub and the server's policies
 * @returns the request handler
 */
export function createPublishHandler(
  context: PublishContext,
): (req: IncomingMessage, res: ServerResponse, requestId: string) => Promise<void> {
  const { hub, ledger, limiter, metrics, logger } = context
  return async (req, res, requestId) => {
    const started = performance.now()
    let status = 202
    let sub: string | undefined
    const ids: string[] = []
    try {
      const claims = await context.authenticate(req)
      sub = claims.sub
      limiter?.take(claims.sub)
      const items = await readPublishBody(req, context.maxBodyBytes)
      authorizePublish(claims, items)
      const keyed = ledger.check(claims.sub, items)
      for (const [index, item] of items.entries()) {
        const entry = keyed[index]
        const result = await hub.publish(
          item.topics,
          item.event,
          item.data,
          entry === undefined ? {} : { key: entry.scoped },
        )
        if (entry !== undefined) ledger.record(entry)
        ids.push(result.id)
      }
      sendJson(res, 202, { ids })
    } catch (error) {
      const failure = toHttpError(error)
      if (failure.code === 'INTERNAL_ERROR') logger.error({ err: error, requestId }, 'publish failed')
      if (failure.status === 401) failure.headers['www-authenticate'] = 'Bearer'
      status = failure.status
      sendError(res, failure)
    } finally {
      const seconds = (performance.now() - started) / 1000
      metrics.publish(status, seconds)
      // On a failure mid-batch (Redis down), `ids` lists what was published before it.
      logger.info({ requestId, sub, status, ids, ms: Math.round(seconds * 10_000) / 10 }, 'publish')
    }
  }
}
