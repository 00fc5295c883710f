import type { IncomingMessage } from 'node:http'
import { listen } from '@notify/test-utils'
import { sse } from '../../src/adapters/node.js'
import { describeAdapter } from './contract.js'
import { nodeView } from './views.js'

describeAdapter({
  name: 'node',
  start: (hub, options) => {
    const handler = sse(hub, {
      ...options,
      topics: (req) => options.topics(nodeView(req as IncomingMessage)),
      authenticate:
        options.authenticate && ((req) => options.authenticate!(nodeView(req as IncomingMessage))),
    })
    return listen((req, res) => {
      if (req.url?.startsWith('/events')) handler(req, res)
      else res.writeHead(404).end()
    })
  },
})
