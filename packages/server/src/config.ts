import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { NotifyError } from '@notify/core'
import type { ServerOptions } from './app.js'

type Kind = 'string' | 'list' | 'int' | 'duration' | 'bytes' | 'flag'

interface Flag {
  readonly name: string
  readonly env: string
  readonly kind: Kind
  readonly help: string
  readonly default?: string
}

// One table drives parsing, environment variables and `--help`, so they cannot drift apart.
const FLAGS: readonly Flag[] = [
  {
    name: 'host',
    env: 'NOTIFY_HOST',
    kind: 'string',
    help: 'interface to listen on',
    default: '0.0.0.0 (127.0.0.1 with --dev)',
  },
  { name: 'port', env: 'NOTIFY_PORT', kind: 'int', help: 'TCP port (0 = any free port)', default: '8080' },
  {
    name: 'jwt-secret',
    env: 'NOTIFY_JWT_SECRET',
    kind: 'string',
    help: 'HS256 secret tokens are verified with (>= 32 characters)',
  },
  {
    name: 'jwt-public-key',
    env: 'NOTIFY_JWT_PUBLIC_KEY',
    kind: 'string',
    help: 'PEM public key, or a path to one: RSA verifies RS256, P-256 verifies ES256',
  },
  {
    name: 'jwks',
    env: 'NOTIFY_JWKS',
    kind: 'string',
    help: 'JWKS URL (fetched and cached) or file path (RS256/ES256)',
  },
  { name: 'jwt-issuer', env: 'NOTIFY_JWT_ISSUER', kind: 'string', help: 'required iss claim' },
  { name: 'jwt-audience', env: 'NOTIFY_JWT_AUDIENCE', kind: 'string', help: 'required aud claim' },
  {
    name: 'cors-origin',
    env: 'NOTIFY_CORS_ORIGINS',
    kind: 'list',
    help: 'browser origin allowed with credentials; repeat, or comma-separate in the env var; * = any, without credentials',
  },
  {
    name: 'heartbeat',
    env: 'NOTIFY_HEARTBEAT',
    kind: 'duration',
    help: 'longest silence on a stream before a heartbeat (at least 1s)',
    default: '15s',
  },
  {
    name: 'retry',
    env: 'NOTIFY_RETRY',
    kind: 'duration',
    help: 'reconnection delay sent to clients (also on shutdown)',
    default: '1s',
  },
  {
    name: 'replay-max-events',
    env: 'NOTIFY_REPLAY_MAX_EVENTS',
    kind: 'int',
    help: 'events kept for resuming clients, all topics together',
    default: '10000',
  },
  {
    name: 'replay-max-age',
    env: 'NOTIFY_REPLAY_MAX_AGE',
    kind: 'duration',
    help: 'oldest event kept for resuming',
    default: '1h',
  },
  {
    name: 'max-connections',
    env: 'NOTIFY_MAX_CONNECTIONS',
    kind: 'int',
    help: 'open streams at most (then 503)',
    default: '10000',
  },
  {
    name: 'max-connections-per-user',
    env: 'NOTIFY_MAX_CONNECTIONS_PER_USER',
    kind: 'int',
    help: 'open streams per sub at most (then 429)',
    default: '16',
  },
  {
    name: 'max-buffered',
    env: 'NOTIFY_MAX_BUFFERED',
    kind: 'bytes',
    help: 'bytes queued for one slow client before it is disconnected',
    default: '1mb',
  },
  {
    name: 'max-body',
    env: 'NOTIFY_MAX_BODY',
    kind: 'bytes',
    help: 'largest POST /publish body (then 413)',
    default: '64kb',
  },
  {
    name: 'publish-rate',
    env: 'NOTIFY_PUBLISH_RATE',
    kind: 'int',
    help: 'publish requests per second per publisher (then 429)',
    default: 'unlimited',
  },
  {
    name: 'no-query-token',
    env: 'NOTIFY_NO_QUERY_TOKEN',
    kind: 'flag',
    help: 'refuse ?access_token= (tokens in URLs reach proxy logs)',
  },
  { name: 'no-demo', env: 'NOTIFY_NO_DEMO', kind: 'flag', help: 'do not serve the demo page on GET /' },
  {
    name: 'redis',
    env: 'NOTIFY_REDIS_URL',
    kind: 'string',
    help: 'redis:// URL: share the event log and fan-out across instances (@notify/redis)',
  },
  {
    name: 'log-level',
    env: 'NOTIFY_LOG_LEVEL',
    kind: 'string',
    help: 'fatal, error, warn, info, debug, trace or silent',
    default: 'info',
  },
  {
    name: 'shutdown-timeout',
    env: 'NOTIFY_SHUTDOWN_TIMEOUT',
    kind: 'duration',
    help: 'longest graceful shutdown on SIGTERM/SIGINT',
    default: '10s',
  },
  {
    name: 'dev',
    env: 'NOTIFY_DEV',
    kind: 'flag',
    help: 'development: generated secret, printed tokens, GET /dev/token for the demo page. Never in production',
  },
]

/** What {@link parseConfig} found. */
export interface ParsedConfig {
  /** Options for `createServer`. */
  options: ServerOptions
  /** `--redis` / `NOTIFY_REDIS_URL`, wired by the CLI. */
  redisUrl: string | undefined
  /** `--help` was given. */
  help: boolean
  /** `--version` was given. */
  version: boolean
}

const LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])

/**
 * Reads the server options from command-line flags, then `NOTIFY_*` environment variables
 * (a flag wins over its variable). Durations need a unit (`ms`, `s`, `m`, `h`) and sizes one
 * (`b`, `kb`, `mb`): a bare number is refused. `--heartbeat` is at least 1 s. Boolean variables
 * take `1`/`true`/`yes`/`on` or `0`/`false`/`no`/`off`; a `--redis` URL must parse.
 *
 * @param argv - the arguments after the command (`process.argv.slice(2)`)
 * @param env - the environment @defaultValue `process.env`
 * @returns the {@link ParsedConfig}
 * @throws {@link NotifyError} `INVALID_OPTION` naming the flag and its variable
 * @example
 * ```ts
 * const { options } = parseConfig(['--port', '9000'], { NOTIFY_JWT_SECRET: secret })
 * createServer(options)
 * ```
 */
export function parseConfig(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ParsedConfig {
  const spec: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = {
    help: { type: 'boolean' },
    version: { type: 'boolean' },
  }
  for (const flag of FLAGS) {
    spec[flag.name] =
      flag.kind === 'flag' ? { type: 'boolean' } : { type: 'string', multiple: flag.kind === 'list' }
  }
  let values: Record<string, string | boolean | (string | boolean)[] | undefined>
  try {
    values = parseArgs({ args: [...argv], options: spec, strict: true, allowPositionals: false }).values
  } catch (error) {
    throw new NotifyError('INVALID_OPTION', `${(error as Error).message} (see notify --help)`)
  }

  const read = (flag: Flag): string | boolean | string[] | undefined => {
    const value = values[flag.name]
    if (value !== undefined) return value as string | boolean | string[]
    const fromEnv = env[flag.env]
    if (fromEnv === undefined || fromEnv === '') return undefined
    if (flag.kind === 'flag') {
      if (/^(1|true|yes|on)$/i.test(fromEnv)) return true
      if (/^(0|false|no|off)$/i.test(fromEnv)) return false
      throw new NotifyError(
        'INVALID_OPTION',
        `${flag.env} got ${JSON.stringify(fromEnv)}: use 1, true, yes or on to turn --${flag.name} on, 0, false, no or off to turn it off`,
      )
    }
    if (flag.kind === 'list')
      return fromEnv
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '')
    return fromEnv
  }
  const get = (name: string) => read(FLAGS.find((flag) => flag.name === name)!)
  const text = (name: string) => get(name) as string | undefined
  const number = (
    name: string,
    parse: (raw: string) => number | undefined,
    min: number,
    shownMin?: string,
  ) => {
    const raw = text(name)
    if (raw === undefined) return undefined
    const flag = FLAGS.find((f) => f.name === name)!
    const refuse = (why: string) =>
      new NotifyError('INVALID_OPTION', `--${name} (${flag.env}) got ${JSON.stringify(raw)}: ${why}`)
    const trimmed = raw.trim()
    // A bare number is refused, not read as ms or bytes: `--heartbeat 15` would be 15 ms.
    if (flag.kind !== 'int' && /^\d+(?:\.\d+)?$/.test(trimmed)) {
      throw refuse(
        flag.kind === 'duration'
          ? `add a unit, e.g. ${trimmed}s (ms, s, m or h)`
          : `add a unit: ${trimmed}b (bytes), ${trimmed}kb or ${trimmed}mb (1kb = 1024b)`,
      )
    }
    const value = parse(trimmed)
    if (value === undefined || !Number.isSafeInteger(value)) throw refuse(expected(flag.kind, min))
    if (value < min)
      throw refuse(shownMin !== undefined ? `must be at least ${shownMin}` : expected(flag.kind, min))
    return value
  }
  const int = (name: string, min = 1) =>
    number(name, (raw) => (/^\d+$/.test(raw) ? Number(raw) : undefined), min)
  const duration = (name: string, min = 1, shownMin?: string) => number(name, parseDuration, min, shownMin)
  const bytes = (name: string) => number(name, parseBytes, 1)

  const logLevel = text('log-level')
  if (logLevel !== undefined && !LEVELS.has(logLevel)) {
    throw new NotifyError(
      'INVALID_OPTION',
      `--log-level (NOTIFY_LOG_LEVEL) must be one of ${[...LEVELS].join(', ')}`,
    )
  }
  const publicKey = text('jwt-public-key')
  const jwks = text('jwks')
  const jwt = {
    secret: text('jwt-secret'),
    publicKey:
      publicKey === undefined || publicKey.includes('-----BEGIN')
        ? publicKey
        : readText(publicKey, 'jwt-public-key'),
    jwks: jwks === undefined || /^https?:\/\//.test(jwks) ? jwks : readJwks(jwks),
    issuer: text('jwt-issuer'),
    audience: text('jwt-audience'),
  }
  const replay = { maxEvents: int('replay-max-events'), maxAgeMs: duration('replay-max-age') }
  const options: ServerOptions = dropUndefined({
    host: text('host'),
    port: int('port', 0),
    jwt: dropUndefined(jwt),
    dev: get('dev') === true,
    corsOrigins: get('cors-origin') as string[] | undefined,
    heartbeatMs: duration('heartbeat', MIN_HEARTBEAT_MS, '1s'),
    retryMs: duration('retry'),
    replay: dropUndefined(replay),
    maxConnections: int('max-connections'),
    maxConnectionsPerUser: int('max-connections-per-user'),
    maxBufferedBytes: bytes('max-buffered'),
    maxBodyBytes: bytes('max-body'),
    publishRate: int('publish-rate'),
    queryToken: get('no-query-token') === true ? false : undefined,
    demo: get('no-demo') === true ? false : undefined,
    logLevel,
    shutdownTimeoutMs: duration('shutdown-timeout'),
  })
  const redisUrl = text('redis')
  if (redisUrl !== undefined) checkRedisUrl(redisUrl)
  return { options, redisUrl, help: values.help === true, version: values.version === true }
}

/**
 * The `notify --help` text: every flag, its environment variable and its default.
 *
 * @returns the help text
 * @example
 * ```ts
 * console.log(helpText())
 * ```
 */
export function helpText(): string {
  const entries: [string, string][] = FLAGS.map((flag) => {
    const arg =
      flag.kind === 'flag'
        ? ''
        : ` <${flag.kind === 'list' ? 'origin' : flag.kind === 'string' ? 'value' : flag.kind}>`
    const fallback = flag.default !== undefined ? ` [default: ${flag.default}]` : ''
    return [`  --${flag.name}${arg}`, `${flag.help}${fallback}\n\u0000env ${flag.env}`]
  })
  entries.push(['  --help', 'show this help'], ['  --version', 'print the version'])
  const width = Math.max(...entries.map(([left]) => left.length)) + 2
  const rows = entries.map(
    ([left, right]) => `${left.padEnd(width)}${right.replace('\u0000', ' '.repeat(width))}`,
  )
  return [
    'notify: a Server-Sent Events notification server',
    '',
    'Usage: notify [flags]          (every flag can also be set with its environment variable)',
    '       notify --dev            (try it: generated secret, printed tokens, demo page on /)',
    '',
    'Endpoints: GET /events?topic=…  POST /publish  GET /health  GET /ready  GET /metrics  GET / (demo)',
    '',
    'Flags:',
    ...rows,
    '',
    'Durations need a unit: ms, s, m or h (500ms, 15s, 1h); --heartbeat is at least 1s. Sizes need one',
    'too: b, kb or mb (1 kb = 1024 bytes; 512b, 64kb, 1mb). A bare number is refused. Boolean variables',
    'take 1, true, yes, on or 0, false, no, off. A JWT key is required (--jwt-secret, --jwt-public-key',
    'or --jwks) unless --dev. Docs: docs/server.md',
  ].join('\n')
}

// The CLI's floor for --heartbeat: below it the heartbeat is noise, and a unit slip (15 for 15s) shows.
const MIN_HEARTBEAT_MS = 1000

function expected(kind: Kind, min: number): string {
  if (kind === 'duration') return 'expected a duration such as 500ms, 15s, 10m or 1h'
  if (kind === 'bytes') return 'expected a size such as 512b, 64kb or 1mb'
  return `expected an integer >= ${min}`
}

/** `500ms`, `15s`, `10m`, `1h` → milliseconds; a unit is required. */
function parseDuration(raw: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/i.exec(raw)
  if (match === null) return undefined
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2]!.toLowerCase() as 'ms']
  return Math.round(Number(match[1]) * factor)
}

/** `65536b`, `64kb`, `1mb` → bytes (1 kb = 1024 bytes); a unit is required. */
function parseBytes(raw: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(b|kb|k|mb|m)$/i.exec(raw)
  if (match === null) return undefined
  const unit = match[2]!.toLowerCase()
  const factor = unit.startsWith('m') ? 1024 * 1024 : unit.startsWith('k') ? 1024 : 1
  return Math.round(Number(match[1]) * factor)
}

// Never echoes the URL: it may hold the Redis password.
function checkRedisUrl(raw: string): void {
  let url: URL | undefined
  try {
    url = new URL(raw)
  } catch {
    url = undefined
  }
  if (url === undefined || !['redis:', 'rediss:'].includes(url.protocol) || url.hostname === '') {
    throw new NotifyError(
      'INVALID_OPTION',
      '--redis (NOTIFY_REDIS_URL) is not a valid Redis URL: expected redis://[user:password@]host[:port][/db] (or rediss://); percent-encode special characters in the password (@ is %40)',
    )
  }
}

/**
 * A Redis URL for logs: the password replaced by `***`, the user name kept.
 *
 * @param raw - a URL that passed {@link parseConfig}
 * @returns the URL without its password
 * @example
 * ```ts
 * redactRedisUrl('redis://default:p@ssw0rd@10.0.0.5:6379') // → 'redis://default:***@10.0.0.5:6379'
 * ```
 */
export function redactRedisUrl(raw: string): string {
  const url = new URL(raw)
  if (url.password !== '') url.password = '***'
  return url.href
}

function readText(path: string, flag: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch (error) {
    throw new NotifyError('INVALID_OPTION', `--${flag}: cannot read ${path}`, { cause: error })
  }
}

function readJwks(path: string): { keys: object[] } {
  const text = readText(path, 'jwks')
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (error) {
    throw new NotifyError('INVALID_OPTION', `--jwks: ${path} is not JSON`, { cause: error })
  }
  if (typeof parsed !== 'object' || parsed === null || !Array.isArray((parsed as { keys?: unknown }).keys)) {
    throw new NotifyError('INVALID_OPTION', `--jwks: ${path} is not a JWKS ({ "keys": [...] })`)
  }
  return parsed as { keys: object[] }
}

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T
}
