// notify on plain node:http: a live page, an SSE endpoint and a publish endpoint.
//
//   pnpm --filter @notify/example-node start     (or, from the repo root: pnpm build && node examples/node/server.mjs)
//   open http://localhost:3000
//   curl -N 'http://localhost:3000/events?topic=demo'
//   curl -X POST localhost:3000/publish -H 'content-type: application/json' \
//        -d '{"topic":"demo","event":"hello","data":{"text":"hi"}}'
import { createServer } from 'node:http'
import { createHub, isNotifyError, NotifyError } from '@notify/core'
import { sse } from '@notify/core/node'
import { examplePage, tickAndShutdown } from '../shared.mjs'

const PAGE = examplePage('node:http')

const port = Number(process.env.PORT ?? 3000)
const MAX_BODY_BYTES = 64 * 1024

const hub = createHub({
  onError: (error) => console.error('[notify]', error),
})

// Topics come from `?topic=a&topic=b`; `demo` when none is given. Invalid topics answer 400.
const events = sse(hub, {
  topics: (req) => {
    const topics = new URL(req.url ?? '/', 'http://localhost').searchParams.getAll('topic')
    return topics.length > 0 ? topics : ['demo']
  },
})

const server = createServer((req, res) => {
  const { pathname } = new URL(req.url ?? '/', 'http://localhost')
  if (req.method === 'GET' && pathname === '/') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
    res.end(PAGE)
  } else if (req.method === 'GET' && pathname === '/events') {
    events(req, res)
  } else if (req.method === 'POST' && pathname === '/publish') {
    publish(req, res)
  } else {
    sendJson(res, 404, { error: { code: 'NOT_FOUND', message: `no route for ${req.method} ${pathname}` } })
  }
})

/** `POST /publish` with `{ topic, event, data }` → 202 `{ id }`. */
async function publish(req, res) {
  try {
    const body = await readJson(req)
    const { topic, event, data } = body ?? {}
    if (typeof event !== 'string') throw new NotifyError('INVALID_EVENT', 'body.event must be a string')
    const { id } = await hub.publish(topic, event, data ?? null)
    sendJson(res, 202, { id })
  } catch (error) {
    if (!isNotifyError(error)) console.error(error)
    const failure = isNotifyError(error) ? error : new NotifyError('INTERNAL_ERROR', 'internal error')
    sendJson(res, failure.status, failure.toJSON())
  }
}

async function readJson(req) {
  let size = 0
  const chunks = []
  for await (const chunk of req) {
    size += chunk.length
    if (size > MAX_BODY_BYTES) throw new NotifyError('INVALID_PAYLOAD', `body over ${MAX_BODY_BYTES} bytes`)
    chunks.push(chunk)
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch {
    throw new NotifyError('INVALID_PAYLOAD', 'body must be JSON: {"topic", "event", "data"}')
  }
}

function sendJson(res, status, value) {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' })
  res.end(JSON.stringify(value))
}

server.listen(port, () => console.log(`notify example (node:http) listening on http://localhost:${port}`))

tickAndShutdown(hub, server)
