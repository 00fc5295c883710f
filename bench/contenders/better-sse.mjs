// better-sse as its docs show: a session per request, registered with a channel,
// events sent with channel.broadcast (better-sse serialises the data for each session).
import http from 'node:http'
import { createChannel, createSession } from 'better-sse'

export const name = 'better-sse'

export function start() {
  const channel = createChannel()
  const server = http.createServer(async (req, res) => {
    if (!req.url?.startsWith('/events')) {
      res.writeHead(404).end()
      return
    }
    const session = await createSession(req, res)
    channel.register(session)
  })
  return {
    server,
    count: () => channel.sessionCount,
    publish(seq, data) {
      channel.broadcast(data, 'tick', { eventId: String(seq) })
    },
  }
}
