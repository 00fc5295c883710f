import type { Server } from 'node:http'
import type { Socket } from 'node:net'

/**
 * Graceful shutdown of a `node:http` server: stop accepting, run `closeStreams` (the hub ends
 * every stream with a retry hint), close sockets as soon as nothing is in flight on them, and
 * cut whatever is left after `timeoutMs`.
 *
 * @returns `true` when everything finished in time, `false` when sockets had to be cut
 */
export type Drain = (closeStreams: () => Promise<void>, timeoutMs: number) => Promise<boolean>

/**
 * Starts tracking the server's sockets and the requests in flight on each, for {@link Drain}.
 * Call it before the server accepts connections.
 *
 * @param server - the server
 * @returns the drain function
 * @example
 * ```ts
 * const drain = trackSockets(server)
 * process.once('SIGTERM', () => drain(() => hub.close({ retryMs: 1000 }), 10_000))
 * ```
 */
export function trackSockets(server: Server): Drain {
  const sockets = new Set<Socket>()
  const inFlight = new WeakMap<Socket, number>()
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  server.on('request', (req, res) => {
    const socket = req.socket
    inFlight.set(socket, (inFlight.get(socket) ?? 0) + 1)
    res.once('close', () => inFlight.set(socket, (inFlight.get(socket) ?? 1) - 1))
  })

  return async (closeStreams, timeoutMs) => {
    const stopped = new Promise<void>((resolve) => {
      if (!server.listening) resolve()
      else server.close(() => resolve())
    })
    await closeStreams()
    // Ended streams and finished requests leave keep-alive sockets behind, and clients may hold
    // connections that never sent a request (closeIdleConnections() leaves those). Close every
    // socket without a request in flight until the server is closed, rather than wait for keep-alive.
    const sweep = () => {
      for (const socket of sockets) if ((inFlight.get(socket) ?? 0) === 0) socket.destroy()
    }
    sweep()
    const sweeper = setInterval(sweep, 25)
    let timer: NodeJS.Timeout | undefined
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs)
    })
    const finished = (await Promise.race([stopped, timedOut])) !== 'timeout'
    if (!finished) {
      server.closeAllConnections()
      await stopped
    }
    clearTimeout(timer)
    clearInterval(sweeper)
    return finished
  }
}
