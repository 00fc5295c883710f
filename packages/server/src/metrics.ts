import type { DisconnectReason, Hub } from '@notify/core'
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'
import type { AuthFailureReason } from './auth.js'

/** Outcome of a `GET /events` request, as labelled on `notify_connections_total`. */
export type ConnectionOutcome =
  | 'accepted'
  | 'unauthorized'
  | 'forbidden'
  | 'invalid'
  | 'too-many-per-user'
  | 'server-busy'
  | 'unavailable'
  | 'error'

/** The server's Prometheus metrics, on their own registry (never the global one). */
export interface Metrics {
  /** The registry `GET /metrics` renders. */
  readonly registry: Registry
  /** Counts one `GET /events` outcome. */
  connection(outcome: ConnectionOutcome): void
  /** Counts one closed stream. */
  disconnect(reason: DisconnectReason): void
  /** Counts one refused token. */
  authFailure(reason: AuthFailureReason): void
  /** Records one publish request: its HTTP status and duration. */
  publish(status: number, seconds: number): void
}

/**
 * Creates the metrics. Counters the hub already keeps (published, delivered, replay, slow
 * consumers) are read from `hub.stats()` at scrape time, so the hot path does no extra work.
 *
 * @param hub - the hub whose stats are exported
 * @param options - `defaultMetrics`: also export process metrics (CPU, memory, event loop lag); default true
 * @returns the {@link Metrics}
 * @example
 * ```ts
 * const metrics = createMetrics(hub)
 * const text = await metrics.registry.metrics() // Prometheus text format
 * ```
 */
export function createMetrics(hub: Hub, options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry()
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry })

  new Gauge({
    name: 'notify_connections_open',
    help: 'Open event streams.',
    registers: [registry],
    collect() {
      this.set(hub.stats().connections)
    },
  })
  new Gauge({
    name: 'notify_topics_active',
    help: 'Topics with at least one open stream.',
    registers: [registry],
    collect() {
      this.set(hub.stats().topics)
    },
  })
  new Gauge({
    name: 'notify_backplane_up',
    help: '1 when the backplane is up or there is none, 0 while it is down.',
    registers: [registry],
    collect() {
      this.set(hub.stats().backplane === 'down' ? 0 : 1)
    },
  })
  fromStats(
    registry,
    hub,
    'notify_events_published_total',
    'Events appended to the log (idempotent repeats excluded).',
    'published',
  )
  fromStats(
    registry,
    hub,
    'notify_deliveries_total',
    'Event frames written to streams (one per event per stream).',
    'delivered',
  )
  fromStats(
    registry,
    hub,
    'notify_slow_consumer_disconnects_total',
    'Streams closed because the client fell behind (maxBufferedBytes).',
    'slowConsumerDisconnects',
  )
  fromStats(
    registry,
    hub,
    'notify_replay_events_total',
    'Events sent from the log to resuming streams.',
    'replayed',
  )
  fromStats(
    registry,
    hub,
    'notify_replay_resets_total',
    'notify:reset events sent (resume point no longer known).',
    'resets',
  )

  const connections = new Counter({
    name: 'notify_connections_total',
    help: 'GET /events requests by outcome.',
    labelNames: ['outcome'],
    registers: [registry],
  })
  const disconnects = new Counter({
    name: 'notify_disconnects_total',
    help: 'Closed streams by reason.',
    labelNames: ['reason'],
    registers: [registry],
  })
  const authFailures = new Counter({
    name: 'notify_auth_failures_total',
    help: 'Refused tokens by reason.',
    labelNames: ['reason'],
    registers: [registry],
  })
  const publishRequests = new Counter({
    name: 'notify_publish_requests_total',
    help: 'POST /publish requests by HTTP status.',
    labelNames: ['status'],
    registers: [registry],
  })
  const publishLatency = new Histogram({
    name: 'notify_publish_duration_seconds',
    help: 'Time to answer a POST /publish request, in seconds.',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [registry],
  })

  return {
    registry,
    connection: (outcome) => connections.inc({ outcome }),
    disconnect: (reason) => disconnects.inc({ reason }),
    authFailure: (reason) => authFailures.inc({ reason }),
    publish(status, seconds) {
      publishRequests.inc({ status: String(status) })
      publishLatency.observe(seconds)
    },
  }
}

type CountedStat = 'published' | 'delivered' | 'slowConsumerDisconnects' | 'replayed' | 'resets'

// A counter that mirrors a monotonic hub stat: it adds the difference since the last scrape.
function fromStats(registry: Registry, hub: Hub, name: string, help: string, stat: CountedStat): void {
  let seen = 0
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      const value = hub.stats()[stat]
      if (value > seen) this.inc(value - seen)
      seen = value
    },
  })
}
