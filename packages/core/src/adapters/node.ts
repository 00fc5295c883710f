import type { Hub } from '../hub.js'
import type { SseOptions } from '../subscribe.js'
import type { EventMap, Principal } from '../types.js'
import { createNodeHandler, failRequest, type NodeRequest, type NodeResponse } from './node-handler.js'

/**
 * Serves an event stream from a `node:http` (or `node:http2` compatibility) server.
 *
 * @param hub - the hub from `createHub()`
 * @param options - topics, authenticate, authorize, limits (see {@link SseOptions})
 * @returns a `(req, res)` request handler
 * @example
 * ```ts
 * import { createServer } from 'node:http'
 * import { createHub } from '@notify/core'
 * import { sse } from '@notify/core/node'
 *
 * const hub = createHub()
 * const events = sse(hub, { topics: ['news'] })
 * createServer((req, res) => (req.url?.startsWith('/events') ? events(req, res) : res.end())).listen(3000)
 * ```
 */
export function sse<E extends EventMap, P extends Principal = Principal>(
  hub: Hub<E>,
  options: SseOptions<NodeRequest, P>,
): (req: NodeRequest, res: NodeResponse) => void {
  const handle = createNodeHandler(hub, options)
  return (req, res) => {
    handle(req, res).catch((error: unknown) => failRequest(res, error))
  }
}

export type { SseOptions } from '../subscribe.js'
export type { NodeRequest, NodeResponse } from './node-handler.js'
