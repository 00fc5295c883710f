import type { IncomingMessage } from 'node:http'
import type { RequestView } from '../../src/index.js'

/** Header and query access on a node request, for the neutral contract options. */
export function nodeView(req: IncomingMessage): RequestView {
  const url = new URL(req.url ?? '/', 'http://localhost')
  return {
    header: (name) => {
      const value = req.headers[name]
      return Array.isArray(value) ? value[0] : value
    },
    query: (name) => url.searchParams.get(name) ?? undefined,
  }
}

/** Header and query access on a Fetch request. */
export function webView(request: Request): RequestView {
  const url = new URL(request.url)
  return {
    header: (name) => request.headers.get(name) ?? undefined,
    query: (name) => url.searchParams.get(name) ?? undefined,
  }
}
