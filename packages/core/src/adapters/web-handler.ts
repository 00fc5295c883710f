import type { Sink } from '../connection.js'
import { type Hub, concat } from '../hub.js'
import { admit, type SseOptions } from '../subscribe.js'
import type { EventMap, Principal } from '../types.js'

/** Builds a Fetch handler whose callbacks receive `Req` (Hono passes its `Context`). @internal */
export function createWebHandler<E extends EventMap, Req, P extends Principal>(
  hub: Hub<E>,
  options: SseOptions<Req, P>,
  toRequest: (request: Req) => Request,
): (request: Req) => Promise<Response> {
  return async (native) => {
    const request = toRequest(native)
    const url = new URL(request.url)
    const admission = await admit(hub, options, native, {
      header: (name) => request.headers.get(name) ?? undefined,
      query: (name) => url.searchParams.get(name) ?? undefined,
    })
    if (!admission.ok)
      return new Response(admission.body, { status: admission.status, headers: admission.headers })

    let controller!: ReadableStreamDefaultController<Uint8Array>
    let close: (() => void) | undefined
    let pulled: (() => void)[] = []
    const stream = new ReadableStream<Uint8Array>(
      {
        start(c) {
          controller = c
        },
        // Called when the reader wants more and the queue is empty: the queue has drained.
        pull() {
          const waiting = pulled
          pulled = []
          for (const resolve of waiting) resolve()
        },
        cancel() {
          close?.()
        },
      },
      new ByteLengthQueuingStrategy({ highWaterMark: 0 }),
    )
    const forget = () => {
      if (close !== undefined) request.signal.removeEventListener('abort', close)
    }
    const sink: Sink = {
      write(chunks) {
        controller.enqueue(chunks.length === 1 ? chunks[0]! : concat(chunks))
      },
      // highWaterMark 0: desiredSize is minus the bytes still queued.
      bufferedBytes: () => -(controller.desiredSize ?? 0),
      end() {
        forget()
        try {
          controller.close()
        } catch {
          // Already closed or errored by the runtime: nothing left to end.
        }
      },
      abort() {
        forget()
        try {
          // The only way to drop a Response body's queue and its connection from this side.
          controller.error(new Error('notify: stream closed by the server (slow consumer or write error)'))
        } catch {
          // Already closed or errored.
        }
      },
      drained() {
        if ((controller.desiredSize ?? 0) >= 0) return Promise.resolve()
        return new Promise<void>((resolve) => pulled.push(resolve))
      },
    }
    const started = admission.start(sink)
    if (!started.ok) return new Response(started.body, { status: started.status, headers: started.headers })
    const { connection } = started
    close = () => connection.close('client')
    // The peer may have gone while the callbacks ran: an aborted signal fires no more events.
    if (request.signal.aborted) close()
    else request.signal.addEventListener('abort', close, { once: true })
    return new Response(stream, { status: 200, headers: admission.headers })
  }
}
