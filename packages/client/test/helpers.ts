import type { IncomingHttpHeaders } from 'node:http'
import { type Listening, listen } from '@notify/test-utils'
import type { ClientStatus, EventMap, NotifyClient, NotifyClientError } from '../src/index.js'

/** One scripted response of a raw server. Chunks are Latin-1 strings: one char = one byte, so `\xE2\x82` is two bytes. */
export interface ScriptedResponse {
  status?: number
  headers?: Record<string, string>
  chunks?: string[]
  /** `end` (default): end the body normally; `destroy`: reset the socket; `hold`: keep it open. */
  end?: 'end' | 'destroy' | 'hold'
  /** Pause between chunks, in ms, so they usually arrive as separate reads. @defaultValue 15 */
  gapMs?: number
}

export interface RecordedRequest {
  url: string
  headers: IncomingHttpHeaders
  at: number
}

export interface ScriptedServer extends Listening {
  requests: RecordedRequest[]
}

const EVENT_STREAM = { 'content-type': 'text/event-stream' }
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * A raw node:http server answering the n-th request with `responses[n]`; once they are used up,
 * every request gets `after` (204 by default, which tells a client to stop).
 */
export async function scriptedServer(
  responses: ScriptedResponse[],
  after: ScriptedResponse = { status: 204, chunks: [] },
): Promise<ScriptedServer> {
  const requests: RecordedRequest[] = []
  const server = await listen((req, res) => {
    requests.push({ url: req.url ?? '', headers: req.headers, at: Date.now() })
    const script = responses[requests.length - 1] ?? after
    void (async () => {
      const status = script.status ?? 200
      res.writeHead(status, script.headers ?? (status === 200 ? EVENT_STREAM : {}))
      res.flushHeaders()
      for (const chunk of script.chunks ?? []) {
        if (res.destroyed) return
        res.write(Buffer.from(chunk, 'latin1'))
        await sleep(script.gapMs ?? 15)
      }
      if (script.end === 'destroy') res.socket?.destroy()
      else if (script.end !== 'hold') res.end()
    })()
  })
  return Object.assign(server, { requests })
}

/** Resolves when `predicate` holds, polling; rejects after `timeoutMs` naming `what`. */
export async function waitFor(predicate: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(5)
  }
}

export interface Recorder {
  events: [event: string, data: unknown, id: string][]
  errors: NotifyClientError[]
  statuses: ClientStatus[]
}

/** Records what a client dispatches. */
export function record<E extends EventMap>(client: NotifyClient<E>): Recorder {
  const recorder: Recorder = { events: [], errors: [], statuses: [client.status] }
  client.onAny(({ event, data, id }) => recorder.events.push([event, data, id]))
  client.onError((error) => recorder.errors.push(error))
  client.onStatus((status) => recorder.statuses.push(status))
  return recorder
}

/** Waits until the client is closed. */
export function closed(
  client: { readonly status: ClientStatus },
  what = 'the client to close',
  timeoutMs = 10_000,
): Promise<void> {
  return waitFor(() => client.status === 'closed', what, timeoutMs)
}
