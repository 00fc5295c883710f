import type { Sink } from '../connection.js'
import type { Hub } from '../hub.js'
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
    const stream = new ReadableStream<Uint8Array>(
      {
        start(c) {
          controller = c
        },
        cancel() {
          close?.()
        },
      },
      new ByteLengthQueuingStrategy({ highWaterMark: 0 }),
    )
    const sink: Sink = {
      write(chunks) {
        controller.enqueue(chunks.length === 1 ? chunks[0]! : concat(chunks))
      },
      // highWaterMark 0: desiredSize is minus the bytes still queued.
      bufferedBytes: () => -(controller.desiredSize ?? 0),
      end() {
        try {
          controller.close()
        } catch {
          // Already closed or errored by the runtime: nothing left to end.
        }
      },
    }
    const started = admission.start(sink)
    if (!started.ok) return new Response(started.body, { status: started.status, headers: started.headers })
    const { connection } = started
    close = () => connection.close('client')
    request.signal.addEventListener('abort', close, { once: true })
    return new Response(stream, { status: 200, headers: admission.headers })
  }
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  let size = 0
  for (const chunk of chunks) size += chunk.byteLength
  const out = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.byteLength
  }
  return out
}
