import { type RequestListener, type Server, createServer } from 'node:http'
import { createServer as createNetServer } from 'node:net'

export interface Listening {
  readonly server: Server
  readonly port: number
  /** `http://127.0.0.1:<port>` */
  readonly url: string
  /** Closes the server and destroys every open socket. */
  close(): Promise<void>
}

/** Starts `handler` (or an existing server) on 127.0.0.1 and a free port. */
export async function listen(handler: RequestListener | Server): Promise<Listening> {
  const server = typeof handler === 'function' ? createServer(handler) : handler
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('no TCP address')
  const port = address.port
  return {
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** A TCP port free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  const probe = createNetServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()))
  const address = probe.address()
  await new Promise<void>((resolve) => probe.close(() => resolve()))
  if (address === null || typeof address === 'string') throw new Error('no TCP address')
  return address.port
}
