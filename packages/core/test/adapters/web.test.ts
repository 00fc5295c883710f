import type { Server } from 'node:http'
import { createAdaptorServer } from '@hono/node-server'
import { listen } from '@notify/test-utils'
import { sse } from '../../src/adapters/web.js'
import { describeAdapter } from './contract.js'
import { webView } from './views.js'

// @hono/node-server is used here only as a Fetch-API runtime on Node: Request in, Response out.
describeAdapter({
  name: 'web (Fetch API)',
  start: (hub, options) => {
    const handler = sse(hub, {
      ...options,
      topics: (request) => options.topics(webView(request)),
      authenticate: options.authenticate && ((request) => options.authenticate!(webView(request))),
    })
    return listen(
      createAdaptorServer({
        fetch: (request: Request) =>
          new URL(request.url).pathname === '/events'
            ? handler(request)
            : new Response(null, { status: 404 }),
      }) as Server,
    )
  },
})
