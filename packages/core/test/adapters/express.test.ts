import type { IncomingMessage } from 'node:http'
import { listen } from '@notify/test-utils'
import compression from 'compression'
import express from 'express'
import { sse } from '../../src/adapters/express.js'
import { describeAdapter } from './contract.js'
import { nodeView } from './views.js'

// `compression` is mounted in front on purpose: the stream must still arrive frame by frame.
describeAdapter({
  name: 'express (behind compression)',
  start: (hub, options) => {
    const app = express()
    app.use(compression())
    app.get(
      '/events',
      sse(hub, {
        ...options,
        topics: (req) => options.topics(nodeView(req as IncomingMessage)),
        authenticate:
          options.authenticate && ((req) => options.authenticate!(nodeView(req as IncomingMessage))),
      }),
    )
    return listen(app as unknown as Parameters<typeof listen>[0])
  },
})
