import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2'
import type { Sink } from '../connection.js'
import { NotifyError } from '../errors.js'
import type { Hub } from '../hub.js'
import { admit, type SseOptions } from '../subscribe.js'
import type { EventMap, Principal } from '../types.js'

/** A `node:http` or `node:http2` (compatibility API) request. */
export type NodeRequest = IncomingMessage | Http2ServerRequest
/** A `node:http` or `node:http2` (compatibility API) response. */
export type NodeResponse = ServerResponse | Http2ServerResponse

// The slice of both response types a stream needs (`flush` comes from the `compression` middleware).
interface Writable {
  write(chunk: Uint8Array): boolean
  end(): void
  readonly writableEnded: boolean
  readonly writableLength?: number
  readonly writableNeedDrain?: boolean
  flush?: () => void
  cork?: () => void
  uncork?: () => void
  destroy(): void
}

/** Builds a node handler whose callbacks receive `Req` (Express passes its own request type). @internal */
export function createNodeHandler<E extends EventMap, Req extends NodeRequest, P extends Principal>(
  hub: Hub<E>,
  options: SseOptions<Req, P>,
): (req: Req, res: NodeResponse) => Promise<void> {
  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    const admission = await admit(hub, options, req, {
      header: (name) => {
        const value = req.headers[name]
        return Array.isArray(value) ? value[0] : value
      },
      query: (name) => url.searchParams.get(name) ?? undefined,
    })
    if (res.destroyed || res.writableEnded) return
    if (!admission.ok) {
      res.writeHead(admission.status, admission.headers)
      res.end(admission.body)
      return
    }
    const out = res as unknown as Writable
    // `compression` (Express) installs res.flush before us and buffers until it is called; heartbeats
    // go through write() too. Looked up once here, not on every frame.
    const flush = typeof out.flush === 'function' ? out.flush.bind(out) : undefined
    const sink: Sink = {
      write(chunks) {
        if (chunks.length === 1) out.write(asBuffer(chunks[0]!))
        else {
          out.cork?.()
          for (const chunk of chunks) out.write(asBuffer(chunk))
          out.uncork?.()
        }
        if (flush !== undefined) flush()
      },
      bufferedBytes: () => out.writableLength ?? 0,
      end() {
        if (!out.writableEnded) out.end()
      },
      abort() {
        out.destroy()
      },
      drained() {
        return new Promise<void>((resolve) => {
          if (!out.writableNeedDrain) return resolve()
          const done = () => {
            res.off('drain', done)
            res.off('close', done)
            resolve()
          }
          res.once('drain', done)
          res.once('close', done)
        })
      },
    }
    // The hub writes nothing before the next tick, so the head below still goes first.
    const started = admission.start(sink)
    if (!started.ok) {
      res.writeHead(started.status, started.headers)
      res.end(started.body)
      return
    }
    const { connection } = started
    const headers = admission.headers
    if (req.httpVersionMajor === 1) headers.connection = 'keep-alive'
    res.writeHead(200, headers)
    const socket = req.socket as {
      setNoDelay?: (v: boolean) => void
      setTimeout?: (ms: number) => void
    } | null
    // Frames are already coalesced per tick; Nagle would only add latency. Streams are long-lived by design.
    socket?.setNoDelay?.(true)
    socket?.setTimeout?.(0)
    res.once('close', () => connection.close('client'))
  }
}

// Node's streams turn every Uint8Array that is not a Buffer into a new Buffer view on each write.
// The hub hands the same frame to every stream in a row, so one cached view serves them all.
let lastFrame: Uint8Array | undefined
let lastView: Buffer | undefined
function asBuffer(chunk: Uint8Array): Uint8Array {
  if (chunk === lastFrame) return lastView!
  lastFrame = chunk
  lastView = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
  return lastView
}

/** Answers 500 if nothing was sent yet, else ends the response. @internal */
export function failRequest(res: NodeResponse, error: unknown): void {
  if (!res.headersSent) {
    const failure = new NotifyError('INTERNAL_ERROR', 'the stream could not be opened', { cause: error })
    res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' })
    res.end(JSON.stringify(failure.toJSON()))
  } else if (!res.writableEnded) res.end()
}
