// notify on Hono, served by @hono/node-server.
//
//   pnpm --filter @notify/example-hono start     (after `pnpm build` at the repo root)
//   open http://localhost:3002
//   curl -N 'http://localhost:3002/events?topic=demo'
//   curl -X POST localhost:3002/publish -H 'content-type: application/json' \
//        -d '{"topic":"demo","event":"hello","data":{"text":"hi"}}'

import { serve } from '@hono/node-server'
import { createHub, isNotifyError, NotifyError } from '@notify/core'
import { sse } from '@notify/core/hono'
import { Hono } from 'hono'
import { examplePage } from '../shared-page.mjs'

const PAGE = examplePage('Hono')

const port = Number(process.env.PORT ?? 3002)

const hub = createHub({
  onError: (error) => console.error('[notify]', error),
})

const app = new Hono()

app.get('/', (c) => c.html(PAGE))

// Topics come from `?topic=a&topic=b`; `demo` when none is given. Invalid topics answer 400.
app.get('/events', sse(hub, { topics: (c) => c.req.queries('topic') ?? ['demo'] }))

// `{ topic, event, data }` → 202 `{ id }`.
app.post('/publish', async (c) => {
  let body
  try {
    body = await c.req.json()
  } catch {
    throw new NotifyError('INVALID_PAYLOAD', 'body must be JSON: {"topic", "event", "data"}')
  }
  const { topic, event, data } = body ?? {}
  if (typeof event !== 'string') throw new NotifyError('INVALID_EVENT', 'body.event must be a string')
  const { id } = await hub.publish(topic, event, data ?? null)
  return c.json({ id }, 202)
})

app.onError((error, c) => {
  const failure = isNotifyError(error) ? error : new NotifyError('INTERNAL_ERROR', String(error))
  return c.json(failure.toJSON(), failure.status)
})

// A `tick` on topic `demo` every 2 s, so the page shows something at once.
let n = 0
const ticker = setInterval(() => {
  hub.publish('demo', 'tick', { n: ++n, at: new Date().toISOString() }).catch((error) => console.error(error))
}, 2000)

const server = serve({ fetch: app.fetch, port }, (info) =>
  console.log(`notify example (Hono on @hono/node-server) listening on http://localhost:${info.port}`),
)

async function shutdown(signal) {
  console.log(`${signal}: closing`)
  clearInterval(ticker)
  // Ends every stream (clients reconnect elsewhere), then stops accepting connections.
  await hub.close()
  server.close()
  server.closeAllConnections?.()
}
process.once('SIGINT', shutdown)
process.once('SIGTERM', shutdown)
