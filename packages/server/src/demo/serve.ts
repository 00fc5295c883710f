import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import type { ServerResponse } from 'node:http'
import { join } from 'node:path'
import { HttpError, sendJson } from '../http.js'

const ASSETS: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/demo/main.js': { file: 'main.js', type: 'text/javascript; charset=utf-8' },
  '/demo/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
}
// Same-origin scripts, styles and requests only: the bundle carries @notify/client, nothing comes from a CDN.
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:"

/** The demo page's files, read once from the build output and kept in memory. */
export interface DemoAssets {
  /** Whether `path` is one of the page's files. */
  has(path: string): boolean
  /** Answers with the file for `path`, or 404 when the page was not built. */
  serve(res: ServerResponse, path: string): void
}

/**
 * Serves the built demo page (`dist/demo/`).
 *
 * @param dir - the directory holding index.html, main.js and style.css
 * @returns the {@link DemoAssets}
 * @example
 * ```ts
 * const demo = createDemoAssets('/srv/notify/dist/demo')
 * if (demo.has(path)) demo.serve(res, path)
 * ```
 */
export function createDemoAssets(dir: string): DemoAssets {
  const cache = new Map<string, Buffer>()
  return {
    has: (path) => ASSETS[path] !== undefined,
    serve(res, path) {
      const asset = ASSETS[path]!
      let body = cache.get(asset.file)
      if (body === undefined) {
        try {
          body = readFileSync(join(dir, asset.file))
        } catch {
          throw new HttpError(
            'NOT_FOUND',
            'the demo page is not built: run pnpm --filter @notify/server build',
          )
        }
        cache.set(asset.file, body)
      }
      res.writeHead(200, {
        'content-type': asset.type,
        'content-length': String(body.length),
        'cache-control': 'no-cache',
        'content-security-policy': CSP,
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
      })
      res.end(body)
    },
  }
}

/** Signs a dev token; present only in dev mode with a secret. */
type SignDevToken = (
  sub: string,
  claims: { subscribe: string[]; publish: string[] },
  expiresInSeconds: number,
) => Promise<string>

/** Claims of a demo token: the shared `demo` topics, and publishing to itself, `demo` and `broadcast`. */
export function demoClaims(sub: string): { subscribe: string[]; publish: string[] } {
  return { subscribe: ['demo', 'demo:*'], publish: [`user:${sub}`, 'demo', 'demo:*', 'broadcast'] }
}

/**
 * `GET /dev/token?sub=name`: a 12 h demo token, so the page works in dev mode without pasting
 * anything. Without `sign` (any mode but dev) it is a 404, as for any unknown path.
 *
 * @param res - the response
 * @param url - the request URL (`?sub=` picks the name, else a random `visitor-…`)
 * @param sign - the dev token signer, or undefined outside dev mode
 */
export async function answerDevToken(
  res: ServerResponse,
  url: URL,
  sign: SignDevToken | undefined,
): Promise<void> {
  if (sign === undefined)
    throw new HttpError('NOT_FOUND', 'no endpoint /dev/token (it exists in --dev mode only)')
  const asked = url.searchParams.get('sub')
  if (asked !== null && !/^[\w.-]{1,64}$/.test(asked)) {
    throw new HttpError('INVALID_BODY', 'sub must be 1 to 64 letters, digits, ".", "_" or "-"')
  }
  const sub = asked ?? `visitor-${randomBytes(3).toString('hex')}`
  const expiresInSeconds = 12 * 3600
  const claims = demoClaims(sub)
  const token = await sign(sub, claims, expiresInSeconds)
  sendJson(res, 200, { token, sub, ...claims, expiresAt: Date.now() + expiresInSeconds * 1000 })
}
