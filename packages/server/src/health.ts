import type { Hub } from '@notify/core'

/** Body of `GET /health`. */
export interface HealthReport {
  /** `ok`; `degraded` while the backplane is down (local streams are still served); `closing` during shutdown. */
  status: 'ok' | 'degraded' | 'closing'
  /** Open streams on this instance. */
  connections: number
  /** `none` without a backplane. */
  backplane: 'up' | 'down' | 'none'
  /** Seconds since the server started. */
  uptimeSeconds: number
}

/**
 * Liveness: always answered with 200 while the process runs; the state is in the body.
 *
 * @param hub - the server's hub
 * @param startedAt - epoch ms the server started
 * @returns the report
 * @example
 * ```ts
 * health(hub, Date.now()) // → { status: 'ok', connections: 0, backplane: 'none', uptimeSeconds: 0 }
 * ```
 */
export function health(hub: Hub, startedAt: number): HealthReport {
  const stats = hub.stats()
  return {
    status: hub.closed ? 'closing' : stats.backplane === 'down' ? 'degraded' : 'ok',
    connections: stats.connections,
    backplane: stats.backplane,
    uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
  }
}

/**
 * Readiness: whether a load balancer should send traffic here. Not ready before the log's
 * position is known, while the backplane is down, and once shutdown has begun.
 *
 * @param hub - the server's hub
 * @param isReady - whether `hub.ready()` has resolved
 * @returns `{ ready, reason? }`; the endpoint answers 200 or 503 from it
 * @example
 * ```ts
 * readiness(hub, true) // → { ready: true }
 * ```
 */
export function readiness(hub: Hub, isReady: boolean): { ready: boolean; reason?: string } {
  if (hub.closed) return { ready: false, reason: 'shutting down' }
  if (!isReady) return { ready: false, reason: 'starting' }
  if (hub.stats().backplane === 'down') return { ready: false, reason: 'backplane down' }
  return { ready: true }
}
