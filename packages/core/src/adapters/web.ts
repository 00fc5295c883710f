import type { Hub } from '../hub.js'
import type { SseOptions } from '../subscribe.js'
import type { EventMap, Principal } from '../types.js'
import { createWebHandler } from './web-handler.js'

/**
 * Serves an event stream from any Fetch-API runtime: Bun (set `idleTimeout: 0`), Deno,
 * Next.js route handlers, `@hono/node-server`, and Cloudflare Workers inside a Durable Object
 * (a module-level hub in a plain Worker does not see publishes made by other requests).
 *
 * @param hub - the hub from `createHub()`
 * @param options - topics, authenticate, authorize, limits; callbacks receive the `Request`
 * @returns `(request: Request) => Promise<Response>`
 * @example
 * ```ts
 * import { createHub } from '@notify/core'
 * import { sse } from '@notify/core/web'
 *
 * const hub = createHub()
 * export const GET = sse(hub, { topics: (req) => new URL(req.url).searchParams.getAll('topic') })
 * ```
 */
export function sse<E extends EventMap, P extends Principal = Principal>(
  hub: Hub<E>,
  options: SseOptions<Request, P>,
): (request: Request) => Promise<Response> {
  return createWebHandler(hub, options, (request: Request) => request)
}

export type { SseOptions } from '../subscribe.js'
