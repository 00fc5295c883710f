// notify through its node:http adapter, with the defaults a user gets (in-memory replay log,
// 15 s heartbeat, 1 MiB maxBufferedBytes).
import http from 'node:http'
import { createHub } from '@notify/core'
import { sse } from '@notify/core/node'

export const name = 'notify'

export function start() {
  return startWith(createHub, sse)
}

/** The same server on any build of @notify/core (notify-node-alt passes another one). */
export function startWith(createHub, sse) {
  const hub = createHub()
  const events = sse(hub, { topics: ['bench'] })
  const server = http.createServer((req, res) => {
    if (req.url?.startsWith('/events')) events(req, res)
    else res.writeHead(404).end()
  })
  return {
    server,
    count: () => hub.stats().connections,
    publish: (_seq, data) => hub.publish('bench', 'tick', data),
    stats: () => hub.stats(),
  }
}
