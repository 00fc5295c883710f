import { randomBytes, randomUUID } from 'node:crypto'
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { type Backplane, createHub, type Hub, isNotifyError, NotifyError } from '@notify/core'
import { sse } from '@notify/core/node'
import { type Logger, pino } from 'pino'
import {
  assertConcreteTopic,
  AuthError,
  createVerifier,
  type JwtOptions,
  matchesTopic,
  mintToken,
  type NotifyClaims,
  type NotifyPrincipal,
  tokenOf,
} from './auth.js'
import { health, readiness } from './health.js'
import { HttpError, redactUrl, sendError, sendJson, toHttpError } from './http.js'
import { type ConnectionOutcome, createMetrics, type Metrics } from './metrics.js'
import { answerDevToken, createDemoAssets } from './demo/serve.js'
import { createIdempotencyLedger } from './idempotency.js'
import { createPublishHandler } from './publish.js'
import { createRateLimiter } from './rate-limit.js'
import { trackSockets } from './shutdown.js'

/** Options of {@link createServer}; the CLI fills them from flags and `NOTIFY_*` variables. */
export interface ServerOptions {
  /** Interface to listen on. @defaultValue `'0.0.0.0'`, or `'127.0.0.1'` with `dev` */
  host?: string
  /** TCP port; 0 picks a free one. @defaultValue 8080 */
  port?: number
  /** How tokens are verified. Required unless `dev` (which generates an HS256 secret). */
  jwt?: JwtOptions
  /** Development mode: generated secret if none, `GET /dev/token` hands out demo tokens. Never in production. */
  dev?: boolean
  /** Origins allowed to call the server from a browser (with credentials); `'*'` allows any, without credentials. */
  corsOrigins?: readonly string[]
  /** Longest silence on a stream before a heartbeat comment, in ms. @defaultValue 15000 */
  heartbeatMs?: number
  /** Reconnection delay sent to clients (`retry:`), also on shutdown, in ms. @defaultValue 1000 */
  retryMs?: number
  /** Replay retention, shared by all topics. @defaultValue `{ maxEvents: 10000, maxAgeMs: 3600000 }` */
  replay?: { maxEvents?: number; maxAgeMs?: number }
  /** Bytes a stream may have queued before it is closed as a slow consumer. @defaultValue 1048576 */
  maxBufferedBytes?: number
  /** Open streams at most; beyond it `GET /events` answers 503. @defaultValue 10000 */
  maxConnections?: number
  /** Open streams per user (`sub`) at most; beyond it 429. @defaultValue 16 */
  maxConnectionsPerUser?: number
  /** Largest `POST /publish` body, in bytes. @defaultValue 65536 */
  maxBodyBytes?: number
  /** Publish requests per second per publisher (`sub`); over it 429 with `Retry-After`. @defaultValue unlimited */
  publishRate?: number
  /** Accept `?access_token=` on `GET /events` (for native `EventSource`). @defaultValue true */
  queryToken?: boolean
  /** Serve the demo page on `GET /`. @defaultValue true */
  demo?: boolean
  /** Share the log and fan-out across instances, e.g. `redisBackplane({ url })` from `@notify/redis`. */
  backplane?: Backplane
  /** A pino logger. @defaultValue JSON lines on stdout at `logLevel` */
  logger?: Logger
  /** Level of the default logger: `fatal`, `error`, `warn`, `info`, `debug`, `trace` or `silent`. @defaultValue `'info'` */
  logLevel?: string
  /** Longest graceful shutdown before the remaining sockets are destroyed, in ms. @defaultValue 10000 */
  shutdownTimeoutMs?: number
}

/** Development credentials, present with `dev` and an HS256 secret. */
export interface DevCredentials {
  /** The HS256 secret tokens are signed with. */
  readonly secret: string
  /** Signs a token for `sub` with the given claims, valid for `expiresInSeconds` (default 12 h). */
  token(
    sub: string,
    claims: { subscribe?: string[]; publish?: string[] },
    expiresInSeconds?: number,
  ): Promise<string>
}

/** A running (or ready to run) notify server. */
export interface NotifyServer {
  /** The hub behind `/events` and `/publish`: publish from the same process with `hub.publish()`. */
  readonly hub: Hub
  /** The `node:http` server. */
  readonly server: Server
  /** Prometheus metrics (`metrics.registry.metrics()` is the `/metrics` body). */
  readonly metrics: Metrics
  /** The logger. */
  readonly logger: Logger
  /** Development credentials (`dev` mode with a secret), else undefined. */
  readonly dev: DevCredentials | undefined
  /** The request handler, to mount in another `node:http` server. */
  readonly handle: (req: IncomingMessage, res: ServerResponse) => void
  /** Starts listening; resolves with the base URL (`http://host:port`). */
  listen(): Promise<string>
  /** Graceful shutdown: stops accepting, ends every stream with a retry hint, waits up to `shutdownTimeoutMs`. */
  close(): Promise<void>
}

const REQUEST_ID = /^[\w.:@-]{1,128}$/
// Sources live in src/, the build in dist/ (app.ts is bundled into a chunk at its top level):
// from either, the built demo page is in ../dist/demo/.
const DEMO_DIR = fileURLToPath(new URL('../dist/demo/', import.meta.url))

/**
 * Creates the notify server: `GET /events` (SSE), `POST /publish`, `GET /health`, `GET /ready`,
 * `GET /metrics` and the demo page on `GET /`. Call `listen()` to start it.
 *
 * @param options - see {@link ServerOptions}; `jwt` is required unless `dev`
 * @returns the {@link NotifyServer}
 * @throws {@link NotifyError} `INVALID_OPTION` without a JWT key outside dev mode, or with an unusable key
 * @example
 * ```ts
 * import { createServer } from '@notify/server'
 *
 * const notify = createServer({ port: 8080, jwt: { secret: process.env.NOTIFY_JWT_SECRET } })
 * console.log(`listening on ${await notify.listen()}`)
 * process.once('SIGTERM', () => notify.close())
 * ```
 */
export function createServer(options: ServerOptions = {}): NotifyServer {
  const dev = options.dev === true
  const jwt: JwtOptions =
    options.jwt !== undefined &&
    (options.jwt.secret ?? options.jwt.publicKey ?? options.jwt.jwks) !== undefined
      ? options.jwt
      : dev
        ? { ...options.jwt, secret: randomBytes(32).toString('base64url') }
        : (options.jwt ?? {})
  const verify = createVerifier(jwt)
  const logger = options.logger ?? pino({ level: options.logLevel ?? 'info', base: { service: 'notify' } })
  const queryToken = options.queryToken !== false
  const maxBodyBytes = options.maxBodyBytes ?? 64 * 1024
  const retryMs = options.retryMs ?? 1000
  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? 10_000
  const corsOrigins = new Set(options.corsOrigins ?? [])
  const startedAt = Date.now()
  const requests = new WeakMap<IncomingMessage, { id: string; url: URL }>()
  const openedAt = new Map<number, number>()
  const ledger = createIdempotencyLedger()
  const limiter = options.publishRate !== undefined ? createRateLimiter(options.publishRate) : undefined
  let isReady = false
  let closing: Promise<void> | undefined
  const logged = new WeakSet<object>()
  // An unexpected error (not a NotifyError) in a stream callback: core answers 500 INTERNAL_ERROR
  // and hands it to onError; it is logged here, where the request id is known, and once.
  const logUnexpected = (error: unknown, requestId: string | undefined, where: string): never => {
    if (!isNotifyError(error)) {
      logger.error({ err: error, requestId }, `${where} failed`)
      if (typeof error === 'object' && error !== null) logged.add(error)
    }
    throw error
  }

  const hub: Hub = createHub({
    replay: options.replay,
    backplane: options.backplane,
    heartbeatMs: options.heartbeatMs,
    retryMs,
    maxBufferedBytes: options.maxBufferedBytes,
    onConnect(info) {
      const principal = info.principal as NotifyPrincipal
      openedAt.set(info.connectionId, Date.now())
      metrics.connection('accepted')
      logger.info(
        {
          requestId: principal.requestId,
          connectionId: info.connectionId,
          sub: principal.id,
          topics: info.topics,
          lastEventId: info.lastEventId,
        },
        'stream open',
      )
    },
    onDisconnect(info, reason) {
      const principal = info.principal as NotifyPrincipal
      const started = openedAt.get(info.connectionId)
      openedAt.delete(info.connectionId)
      metrics.disconnect(reason)
      logger.info(
        {
          requestId: principal.requestId,
          connectionId: info.connectionId,
          sub: principal.id,
          reason,
          durationMs: started === undefined ? undefined : Date.now() - started,
        },
        'stream closed',
      )
    },
    onError(error) {
      // Errors of our own sse() callbacks were logged with their request id already (below).
      if (typeof error === 'object' && error !== null && logged.has(error)) return
      logger.error({ err: error }, 'hub error')
    },
  })
  hub.ready().then(
    () => {
      isReady = true
    },
    (error: unknown) => logger.error({ err: error }, 'the event log could not be opened'),
  )
  const metrics = createMetrics(hub)

  const devCredentials: DevCredentials | undefined =
    dev && jwt.secret !== undefined
      ? {
          secret: jwt.secret,
          token: (sub, claims, expiresInSeconds = 12 * 3600) =>
            mintToken({
              secret: jwt.secret!,
              sub,
              ...claims,
              expiresInSeconds,
              issuer: jwt.issuer,
              audience: jwt.audience,
            }),
        }
      : undefined

  async function authenticate(req: IncomingMessage, url: URL, allowQuery: boolean): Promise<NotifyClaims> {
    const token = tokenOf(req, url, allowQuery)
    try {
      if (token === undefined) {
        throw new AuthError(
          'missing',
          allowQuery
            ? 'no token: send Authorization: Bearer <JWT>, the notify_token cookie or ?access_token='
            : 'no token: send Authorization: Bearer <JWT> or the notify_token cookie',
        )
      }
      return await verify(token)
    } catch (error) {
      if (error instanceof AuthError) metrics.authFailure(error.reason)
      throw error
    }
  }

  const publish = createPublishHandler({
    hub,
    authenticate: (req) => authenticate(req, requests.get(req)!.url, false),
    ledger,
    limiter,
    maxBodyBytes,
    metrics,
    logger,
  })
  const demo = createDemoAssets(DEMO_DIR)

  const events = sse<Record<string, unknown>, NotifyPrincipal>(hub, {
    async authenticate(req) {
      const request = requests.get(req as IncomingMessage)
      try {
        const claims = await authenticate(req as IncomingMessage, request!.url, queryToken)
        const principal = { id: claims.sub, claims, requestId: request!.id }
        return claims.expiresAt === undefined ? principal : { ...principal, expiresAt: claims.expiresAt }
      } catch (error) {
        return logUnexpected(error, request?.id, 'authenticate')
      }
    },
    // topics and authorize only throw NotifyErrors (a 400 for `*`), answered as they are: unlike
    // authenticate, there is nothing unexpected to log here.
    topics(req, principal) {
      const requested = requests.get(req as IncomingMessage)!.url.searchParams.getAll('topic')
      for (const topic of requested) assertConcreteTopic(topic)
      return [`user:${principal.id}`, 'broadcast', ...requested]
    },
    authorize: (principal, topic) =>
      topic === `user:${principal.id}` ||
      topic === 'broadcast' ||
      matchesTopic(principal.claims.subscribe, topic),
    maxConnections: options.maxConnections ?? 10_000,
    maxConnectionsPerPrincipal: options.maxConnectionsPerUser ?? 16,
  })

  function subscribe(req: IncomingMessage, res: ServerResponse, requestId: string): void {
    res.once('finish', () => {
      if (res.statusCode === 200) return
      const outcome = OUTCOMES[res.statusCode] ?? 'error'
      metrics.connection(hub.closed && res.statusCode === 503 ? 'unavailable' : outcome)
      logger.info({ requestId, url: redactUrl(req.url ?? ''), status: res.statusCode }, 'stream refused')
    })
    events(req, res)
  }

  function cors(req: IncomingMessage, res: ServerResponse): void {
    const origin = req.headers.origin
    if (origin === undefined) return
    if (corsOrigins.has(origin)) {
      res.setHeader('access-control-allow-origin', origin)
      res.setHeader('access-control-allow-credentials', 'true')
    } else if (corsOrigins.has('*')) {
      res.setHeader('access-control-allow-origin', '*')
    } else return
    res.setHeader('vary', 'Origin')
    res.setHeader('access-control-expose-headers', 'Retry-After, X-Request-Id')
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const incoming = req.headers['x-request-id']
    const requestId = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID()
    res.setHeader('x-request-id', requestId)
    const url = new URL(req.url ?? '/', 'http://localhost')
    requests.set(req, { id: requestId, url })
    cors(req, res)
    const method = req.method ?? 'GET'
    const path = url.pathname
    logger.debug({ requestId, method, url: redactUrl(req.url ?? '') }, 'request')

    if (method === 'OPTIONS') {
      if (res.hasHeader('access-control-allow-origin')) {
        res.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS')
        res.setHeader(
          'access-control-allow-headers',
          'Authorization, Content-Type, Last-Event-ID, Idempotency-Key, X-Request-Id',
        )
        res.setHeader('access-control-max-age', '600')
      }
      res.writeHead(204).end()
      return
    }
    const allowed = ROUTES[path]
    const isDemo = options.demo !== false && demo.has(path)
    if (allowed === undefined && !isDemo) throw new HttpError('NOT_FOUND', `no endpoint ${path}`)
    const expected = allowed ?? 'GET'
    if (method !== expected && !(expected === 'GET' && method === 'HEAD' && path !== '/events')) {
      throw new HttpError('METHOD_NOT_ALLOWED', `${path} answers ${expected} only`, { allow: expected })
    }
    switch (path) {
      case '/events':
        return subscribe(req, res, requestId)
      case '/publish':
        return publish(req, res, requestId)
      case '/health':
        return sendJson(res, 200, health(hub, startedAt))
      case '/ready': {
        const state = readiness(hub, isReady)
        return sendJson(res, state.ready ? 200 : 503, state, state.ready ? {} : { 'retry-after': '5' })
      }
      case '/metrics': {
        const text = await metrics.registry.metrics()
        res.writeHead(200, { 'content-type': metrics.registry.contentType, 'cache-control': 'no-store' })
        res.end(text)
        return
      }
      case '/dev/token':
        return answerDevToken(res, url, devCredentials?.token)
    }
    demo.serve(res, path)
  }

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    route(req, res).catch((error: unknown) => {
      const failure = toHttpError(error)
      if (failure.code === 'INTERNAL_ERROR') {
        logger.error({ err: error, requestId: requests.get(req)?.id }, 'request failed')
      }
      sendError(res, failure)
    })
  }
  const server = createHttpServer(handle)
  const drain = trackSockets(server)

  return {
    hub,
    server,
    metrics,
    logger,
    dev: devCredentials,
    handle,
    async listen() {
      const host = options.host ?? (dev ? '127.0.0.1' : '0.0.0.0')
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen(options.port ?? 8080, host, () => {
          server.off('error', reject)
          resolve()
        })
      })
      const address = server.address() as AddressInfo
      const shown =
        host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host
      const url = `http://${shown}:${address.port}`
      logger.info({ url, dev, backplane: hub.stats().backplane }, 'listening')
      return url
    },
    close() {
      closing ??= (async () => {
        logger.info({ connections: hub.stats().connections }, 'shutting down')
        const finished = await drain(() => hub.close({ retryMs }), shutdownTimeoutMs)
        if (!finished)
          logger.warn({ timeoutMs: shutdownTimeoutMs }, 'shutdown timed out: closed the remaining sockets')
        logger.info('stopped')
      })()
      return closing
    },
  }
}

const ROUTES: Record<string, 'GET' | 'POST'> = {
  '/events': 'GET',
  '/publish': 'POST',
  '/health': 'GET',
  '/ready': 'GET',
  '/metrics': 'GET',
  '/dev/token': 'GET',
}

const OUTCOMES: Record<number, ConnectionOutcome> = {
  400: 'invalid',
  401: 'unauthorized',
  403: 'forbidden',
  429: 'too-many-per-user',
  503: 'server-busy',
}
