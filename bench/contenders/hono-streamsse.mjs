// Hono's streamSSE on @hono/node-server, fanned out the way its users write it: one stream
// loop per connection, fed from an in-process set of subscribers. The event is serialised
// once per publish; streamSSE formats and encodes it again for every connection.
import { createAdaptorServer } from '@hono/node-server'
import { Hono } from 'hono'
import { streamSSE } from 'hono/streaming'

export const name = 'hono-streamsse'

export function start() {
  const subscribers = new Set()
  const app = new Hono()
  app.get('/events', (c) =>
    streamSSE(c, async (stream) => {
      const queue = []
      let wake
      const subscriber = (message) => {
        queue.push(message)
        wake?.()
      }
      subscribers.add(subscriber)
      stream.onAbort(() => {
        subscribers.delete(subscriber)
        wake?.()
      })
      await stream.write(': ok\n\n')
      while (!stream.aborted) {
        while (queue.length > 0) await stream.writeSSE(queue.shift())
        if (stream.aborted) break
        await new Promise((resolve) => {
          wake = resolve
        })
        wake = undefined
      }
    }),
  )
  const server = createAdaptorServer({ fetch: app.fetch })
  return {
    server,
    count: () => subscribers.size,
    publish(seq, data) {
      const message = { event: 'tick', id: String(seq), data: JSON.stringify(data) }
      for (const subscriber of subscribers) subscriber(message)
    },
  }
}
