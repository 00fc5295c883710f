import type { NextFunction, Request, Response } from 'express'
import type { Hub } from '../hub.js'
import type { SseOptions } from '../subscribe.js'
import type { EventMap, Principal } from '../types.js'
import { createNodeHandler } from './node-handler.js'

/**
 * Express middleware serving an event stream. Works behind the `compression` middleware
 * (every frame, heartbeats included, is flushed), disables socket timeouts and Nagle.
 *
 * @param hub - the hub from `createHub()`
 * @param options - topics, authenticate, authorize, limits; callbacks receive Express's `req`
 * @returns an Express request handler
 * @example
 * ```ts
 * import express from 'express'
 * import { createHub } from '@notify/core'
 * import { sse } from '@notify/core/express'
 *
 * const hub = createHub()
 * const app = express()
 * app.get('/events', sse(hub, { topics: (req) => [String(req.query.topic ?? 'news')] }))
 * app.listen(3000)
 * ```
 */
export function sse<E extends EventMap, P extends Principal = Principal>(
  hub: Hub<E>,
  options: SseOptions<Request, P>,
): (req: Request, res: Response, next: NextFunction) => void {
  const handle = createNodeHandler(hub, options)
  return (req, res, next) => {
    handle(req, res).catch(next)
  }
}

export type { SseOptions } from '../subscribe.js'
