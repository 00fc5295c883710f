// notify through its Hono adapter (web streams), served by @hono/node-server.
import { createAdaptorServer } from '@hono/node-server'
import { createHub } from '@notify/core'
import { sse } from '@notify/core/hono'
import { Hono } from 'hono'

export const name = 'notify-hono'

export function start() {
  const hub = createHub()
  const app = new Hono()
  app.get('/events', sse(hub, { topics: ['bench'] }))
  const server = createAdaptorServer({ fetch: app.fetch })
  return {
    server,
    count: () => hub.stats().connections,
    publish: (_seq, data) => hub.publish('bench', 'tick', data),
    stats: () => hub.stats(),
  }
}
