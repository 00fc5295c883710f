import { request } from 'node:http'
import { listen } from '@notify/test-utils'
import compression from 'compression'
import express from 'express'
import { afterEach, describe, expect, it } from 'vitest'
import { sse } from '../../src/adapters/express.js'
import { createHub, type Hub } from '../../src/index.js'

describe('express adapter behind compression', () => {
  let hub: Hub | undefined
  afterEach(async () => {
    await hub?.close()
  })

  it('is neither gzipped nor held back when the client accepts gzip; heartbeats arrive too', async () => {
    hub = createHub({ heartbeatMs: 100 })
    const app = express()
    app.use(compression({ threshold: 0 }))
    app.get('/events', sse(hub, { topics: ['news'] }))
    const server = await listen(app as unknown as Parameters<typeof listen>[0])
    try {
      const received = await new Promise<{ encoding: string | undefined; text: string }>(
        (resolve, reject) => {
          const req = request(
            `${server.url}/events`,
            { headers: { 'accept-encoding': 'gzip, br' } },
            (res) => {
              let text = ''
              res.setEncoding('utf8')
              res.on('data', (chunk: string) => {
                text += chunk
                if (text.includes('id: ') && !text.includes('event: n')) void hub!.publish('news', 'n', 1)
                if (text.includes('event: n') && /\n:\n\n/.test(text)) {
                  resolve({ encoding: res.headers['content-encoding'], text })
                  req.destroy()
                }
              })
            },
          )
          req.on('error', reject)
          req.end()
        },
      )
      expect(received.encoding).toBeUndefined()
      expect(received.text).toContain('event: n\ndata: 1\n\n')
    } finally {
      await server.close()
    }
  })
})
