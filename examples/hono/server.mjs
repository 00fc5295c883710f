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
import { examplePage, tickAndShutdown } from '../shared.mjs'

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
  if (!isNotifyError(error)) console.error(error)
  const failure = isNotifyError(error) ? error : new NotifyError('INTERNAL_ERROR', 'internal error')
  return c.json(failure.toJSON(), failure.status)
})

const server = serve({ fetch: app.fetch, port }, (info) =>
  console.log(`notify example (Hono on @hono/node-server) listening on http://localhost:${info.port}`),
)

tickAndShutdown(hub, server)
