// notify on Express 5, with the `compression` middleware in front of everything (the stream
// still arrives frame by frame: the adapter flushes after every frame and sends `no-transform`).
//
//   pnpm --filter @notify/example-express start     (after `pnpm build` at the repo root)
//   open http://localhost:3001
//   curl -N --compressed 'http://localhost:3001/events?topic=demo'
//   curl -X POST localhost:3001/publish -H 'content-type: application/json' \
//        -d '{"topic":"demo","event":"hello","data":{"text":"hi"}}'
import { createHub, isNotifyError, NotifyError } from '@notify/core'
import { sse } from '@notify/core/express'
import compression from 'compression'
import express from 'express'
import { examplePage, tickAndShutdown } from '../shared.mjs'

const PAGE = examplePage('Express')

const port = Number(process.env.PORT ?? 3001)

const hub = createHub({
  onError: (error) => console.error('[notify]', error),
})

const app = express()
app.use(compression())

app.get('/', (_req, res) => {
  res.type('html').send(PAGE)
})

// Topics come from `?topic=a&topic=b`; `demo` when none is given. Invalid topics answer 400.
app.get(
  '/events',
  sse(hub, {
    topics: (req) => {
      const topic = req.query.topic
      const topics = (Array.isArray(topic) ? topic : [topic]).filter((t) => typeof t === 'string')
      return topics.length > 0 ? topics : ['demo']
    },
  }),
)

// `{ topic, event, data }` → 202 `{ id }`.
app.post('/publish', express.json({ limit: '64kb' }), async (req, res) => {
  const { topic, event, data } = req.body ?? {}
  if (typeof event !== 'string') throw new NotifyError('INVALID_EVENT', 'body.event must be a string')
  const { id } = await hub.publish(topic, event, data ?? null)
  res.status(202).json({ id })
})

// Express 5 forwards rejected promises here; body-parser errors carry a `status`.
app.use((error, _req, res, _next) => {
  if (isNotifyError(error)) return res.status(error.status).json(error.toJSON())
  const status = Number.isInteger(error?.status) ? error.status : 500
  if (status === 500) console.error(error)
  // An unexpected error's message stays in the log, not in the response.
  const message = status === 500 ? 'internal error' : error.message
  res.status(status).json({ error: { code: status === 500 ? 'INTERNAL_ERROR' : 'INVALID_PAYLOAD', message } })
})

const server = app.listen(port, () =>
  console.log(`notify example (Express + compression) listening on http://localhost:${port}`),
)

tickAndShutdown(hub, server)
