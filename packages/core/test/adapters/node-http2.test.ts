import { connect, createServer } from 'node:http2'
import { createParser } from 'eventsource-parser'
import { afterEach, describe, expect, it } from 'vitest'
import { sse } from '../../src/adapters/node.js'
import { createHub, type Hub } from '../../src/index.js'

describe('node adapter on node:http2 (compatibility API)', () => {
  let hub: Hub | undefined
  afterEach(async () => {
    await hub?.close()
  })

  it('streams events without the HTTP/1-only Connection header', async () => {
    hub = createHub()
    const handler = sse(hub, { topics: ['news'] })
    const server = createServer((req, res) => handler(req, res))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
    const { port } = server.address() as { port: number }
    const session = connect(`http://127.0.0.1:${port}`)
    try {
      const request = session.request({ ':path': '/events', accept: 'text/event-stream' })
      const headers = await new Promise<Record<string, unknown>>((resolve) =>
        request.once('response', resolve),
      )
      expect(headers[':status']).toBe(200)
      expect(headers['content-type']).toBe('text/event-stream; charset=utf-8')
      expect(headers.connection).toBeUndefined()
      const events: string[] = []
      const parser = createParser({ onEvent: (e) => events.push(e.data) })
      let opened!: () => void
      const positioned = new Promise<void>((resolve) => (opened = resolve))
      request.setEncoding('utf8')
      request.on('data', (chunk: string) => {
        parser.feed(chunk)
        if (chunk.includes('id: ')) opened()
      })
      await positioned
      await hub.publish('news', 'n', { over: 'h2' })
      await new Promise<void>((resolve) => {
        const check = setInterval(() => {
          if (events.length === 1) {
            clearInterval(check)
            resolve()
          }
        }, 5)
      })
      expect(events).toEqual(['{"over":"h2"}'])
      request.close()
    } finally {
      session.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  })
})
