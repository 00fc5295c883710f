// The practical ceiling: plain node:http, each event encoded once and the same bytes written
// to every open response. No ids log, no heartbeat, no backpressure policy.
import http from 'node:http'

export const name = 'raw'

export function start() {
  const responses = new Set()
  const server = http.createServer((req, res) => {
    if (!req.url?.startsWith('/events')) {
      res.writeHead(404).end()
      return
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    })
    req.socket.setNoDelay(true)
    req.socket.setTimeout(0)
    res.write(': ok\n\n')
    responses.add(res)
    res.once('close', () => responses.delete(res))
  })
  return {
    server,
    count: () => responses.size,
    publish(seq, data) {
      const bytes = Buffer.from(`id: ${seq}\nevent: tick\ndata: ${JSON.stringify(data)}\n\n`)
      for (const res of responses) res.write(bytes)
    },
  }
}
