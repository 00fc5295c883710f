import type { Context } from 'hono'
import type { Hub } from '../hub.js'
import type { SseOptions } from '../subscribe.js'
import type { EventMap, Principal } from '../types.js'
import { createWebHandler } from './web-handler.js'

/**
 * A Hono handler serving an event stream (any runtime Hono runs on, `@hono/node-server` included).
 *
 * @param hub - the hub from `createHub()`
 * @param options - topics, authenticate, authorize, limits; callbacks receive Hono's `Context`
 * @returns `(c: Context) => Promise<Response>`
 * @example
 * ```ts
 * import { Hono } from 'hono'
 * import { createHub } from '@notify/core'
 * import { sse } from '@notify/core/hono'
 *
 * const hub = createHub()
 * const app = new Hono()
 * app.get('/events', sse(hub, { topics: (c) => c.req.queries('topic') ?? ['news'] }))
 * ```
 */
export function sse<E extends EventMap, P extends Principal = Principal>(
  hub: Hub<E>,
  options: SseOptions<Context, P>,
): (c: Context) => Promise<Response> {
  return createWebHandler(hub, options, (c: Context) => c.req.raw)
}

export type { SseOptions } from '../subscribe.js'
