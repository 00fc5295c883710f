import type { Server } from 'node:http'
import { createAdaptorServer } from '@hono/node-server'
import { listen } from '@notify/test-utils'
import { Hono } from 'hono'
import { sse } from '../../src/adapters/hono.js'
import { describeAdapter } from './contract.js'
import { webView } from './views.js'

describeAdapter({
  name: 'hono on @hono/node-server',
  start: (hub, options) => {
    const app = new Hono()
    app.get(
      '/events',
      sse(hub, {
        ...options,
        topics: (c) => options.topics(webView(c.req.raw)),
        authenticate: options.authenticate && ((c) => options.authenticate!(webView(c.req.raw))),
      }),
    )
    return listen(createAdaptorServer({ fetch: app.fetch }) as Server)
  },
})
