import { createPublicKey } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { Principal } from '@notify/core'
import { NotifyError } from '@notify/core'
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
  SignJWT,
} from 'jose'

/**
 * Name of the cookie a token is read from when there is no `Authorization` header.
 *
 * @example
 * ```ts
 * res.setHeader('set-cookie', `${TOKEN_COOKIE}=${token}; HttpOnly; Secure; SameSite=Lax; Path=/events`)
 * ```
 */
export const TOKEN_COOKIE = 'notify_token'

/**
 * Shortest HS256 secret accepted, in characters (RFC 7518 §3.2 asks for a key of at least 256 bits).
 *
 * @example
 * ```ts
 * if (secret.length < MIN_SECRET_LENGTH) throw new Error('generate one: openssl rand -base64 48')
 * ```
 */
export const MIN_SECRET_LENGTH = 32

/**
 * How tokens are verified: exactly one of `secret` (HS256), `publicKey` (PEM, RS256 or ES256,
 * chosen from the key) or `jwks` (a URL fetched and cached by jose, a file path, or a parsed key set).
 */
export interface JwtOptions {
  /** HS256 shared secret, at least 32 characters. */
  secret?: string
  /** SPKI PEM public key; RSA keys verify RS256, P-256 keys ES256. */
  publicKey?: string
  /** JWKS: an `https://` URL (fetched and cached), or a parsed `{ keys: [...] }` set (RS256/ES256). */
  jwks?: string | { keys: object[] }
  /** Expected `iss`; tokens with another issuer are refused. */
  issuer?: string
  /** Expected `aud`; tokens for another audience are refused. */
  audience?: string
  /** Tolerated clock skew for `exp`/`nbf`, in seconds. @defaultValue 5 */
  clockToleranceSeconds?: number
}

/** The part of a token the server acts on. */
export interface NotifyClaims {
  /** The user (`sub`): implicitly subscribed to `user:<sub>` and `broadcast`. */
  readonly sub: string
  /** Topic patterns the token may subscribe to. */
  readonly subscribe: readonly string[]
  /** Topic patterns the token may publish to. */
  readonly publish: readonly string[]
  /**
   * When the token stops being accepted, epoch ms, if it has `exp`: `exp` plus the clock
   * tolerance, the same instant the verifier starts refusing it. A stream is closed then.
   */
  readonly expiresAt?: number
}

/** A connected user: the principal core counts and expires, plus the claims. */
export interface NotifyPrincipal extends Principal {
  readonly claims: NotifyClaims
  /** Request id of the request that opened the stream (for logs). */
  readonly requestId: string
}

/** Why a token was refused, as counted by `notify_auth_failures_total{reason}`. */
export type AuthFailureReason =
  | 'missing'
  | 'malformed'
  | 'signature'
  | 'algorithm'
  | 'expired'
  | 'not-yet-valid'
  | 'claims'
  | 'key-unavailable'

/**
 * A 401 (`UNAUTHORIZED`) with the reason kept for metrics, thrown by a {@link Verifier}.
 *
 * @example
 * ```ts
 * try { await verify(token) } catch (error) {
 *   if (error instanceof AuthError) console.log(error.reason) // 'expired', 'signature', …
 * }
 * ```
 */
export class AuthError extends NotifyError {
  /** Why the token was refused. */
  readonly reason: AuthFailureReason

  /**
   * @param reason - the metrics label
   * @param message - what to do about it
   */
  constructor(reason: AuthFailureReason, message: string) {
    super('UNAUTHORIZED', message)
    this.reason = reason
  }
}

/** Checks a token and returns its claims, or throws an {@link AuthError}. */
export type Verifier = (token: string) => Promise<NotifyClaims>

/**
 * Builds the token verifier. The algorithm is pinned by the key type, so a token signed with
 * another algorithm (`none`, or HS256 with a public key as secret) is refused.
 *
 * @param options - the key and the expected issuer/audience
 * @returns a {@link Verifier}
 * @throws {@link NotifyError} `INVALID_OPTION` when no key, several keys or an unusable key is given
 * @example
 * ```ts
 * const verify = createVerifier({ secret: process.env.NOTIFY_JWT_SECRET })
 * const claims = await verify(token) // → { sub, subscribe, publish, expiresAt }
 * ```
 */
export function createVerifier(options: JwtOptions): Verifier {
  const given = [options.secret, options.publicKey, options.jwks].filter((value) => value !== undefined)
  if (given.length !== 1) {
    throw new NotifyError(
      'INVALID_OPTION',
      given.length === 0
        ? 'no JWT key: give a secret (--jwt-secret / NOTIFY_JWT_SECRET), a public key or a JWKS, or run with --dev'
        : 'give only one of: JWT secret, public key, JWKS',
    )
  }
  let key: Uint8Array | ReturnType<typeof createPublicKey> | JWTVerifyGetKey
  let algorithms: string[]
  if (options.secret !== undefined) {
    if (options.secret.length < MIN_SECRET_LENGTH) {
      throw new NotifyError(
        'INVALID_OPTION',
        `the JWT secret must be at least ${MIN_SECRET_LENGTH} characters (try: openssl rand -base64 48)`,
      )
    }
    key = new TextEncoder().encode(options.secret)
    algorithms = ['HS256']
  } else if (options.publicKey !== undefined) {
    let publicKey: ReturnType<typeof createPublicKey>
    try {
      publicKey = createPublicKey(options.publicKey)
    } catch (error) {
      throw new NotifyError('INVALID_OPTION', 'the JWT public key is not a PEM public key', { cause: error })
    }
    const type = publicKey.asymmetricKeyType
    if (type === 'rsa') algorithms = ['RS256']
    else if (type === 'ec' && publicKey.asymmetricKeyDetails?.namedCurve === 'prime256v1')
      algorithms = ['ES256']
    else
      throw new NotifyError(
        'INVALID_OPTION',
        'the JWT public key must be an RSA key (RS256) or a P-256 key (ES256)',
      )
    key = publicKey
  } else {
    const jwks = options.jwks!
    key =
      typeof jwks === 'string'
        ? createRemoteJWKSet(new URL(jwks), { cacheMaxAge: 10 * 60 * 1000, cooldownDuration: 30_000 })
        : createLocalJWKSet(jwks as Parameters<typeof createLocalJWKSet>[0])
    algorithms = ['RS256', 'ES256']
  }
  const clockTolerance = options.clockToleranceSeconds ?? 5
  const verifyOptions = { algorithms, issuer: options.issuer, audience: options.audience, clockTolerance }

  return async (token) => {
    let payload: JWTPayload
    try {
      // `key` is one of three types; jose's overloads want them apart.
      payload =
        typeof key === 'function'
          ? (await jwtVerify(token, key, verifyOptions)).payload
          : (await jwtVerify(token, key, verifyOptions)).payload
    } catch (error) {
      throw toAuthError(error)
    }
    return readClaims(payload, clockTolerance)
  }
}

// jose's errors (codes ERR_JOSE_*, ERR_JWT_*, ERR_JWS_*, ERR_JWKS_*, …) say what is wrong with the
// token; anything else (a JWKS key the platform cannot import, a bug) is not the token's fault and
// is rethrown, to become a logged 500 rather than a misleading 401.
function toAuthError(error: unknown): AuthError {
  const code = (error as { code?: unknown } | null)?.code
  if (error instanceof TypeError && error.message === 'fetch failed') {
    return new AuthError('key-unavailable', 'the JWKS could not be fetched; try again later')
  }
  if (typeof code !== 'string' || !code.startsWith('ERR_J')) throw error
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return new AuthError('expired', 'the token has expired: get a fresh one')
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return new AuthError('algorithm', 'the token is signed with an algorithm this server does not accept')
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return new AuthError('signature', 'the token signature is invalid')
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED': {
      const claim = (error as { claim?: unknown }).claim
      if (claim === 'nbf') return new AuthError('not-yet-valid', 'the token is not valid yet (nbf)')
      return new AuthError('claims', `the token's ${String(claim)} claim is not accepted`)
    }
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return new AuthError('signature', 'no key of the JWKS verifies this token')
    case 'ERR_JWKS_TIMEOUT':
    case 'ERR_JWKS_INVALID':
      return new AuthError('key-unavailable', 'the JWKS could not be fetched; try again later')
    default:
      return new AuthError('malformed', 'the token is not a valid JWT')
  }
}

// `expiresAt` is when the server itself stops accepting the token (exp plus the clock tolerance),
// so a token admitted inside the tolerance is not cut at once and admitted again on reconnect.
function readClaims(payload: JWTPayload, clockToleranceSeconds: number): NotifyClaims {
  const { sub, exp } = payload
  if (typeof sub !== 'string' || sub === '') {
    throw new AuthError('claims', 'the token has no sub claim (the user id)')
  }
  const notify = payload.notify ?? {}
  if (typeof notify !== 'object' || notify === null || Array.isArray(notify)) {
    throw new AuthError('claims', 'the notify claim must be an object { subscribe?: [...], publish?: [...] }')
  }
  const subscribe = patterns(notify, 'subscribe')
  const publish = patterns(notify, 'publish')
  return typeof exp === 'number'
    ? { sub, subscribe, publish, expiresAt: (exp + clockToleranceSeconds) * 1000 }
    : { sub, subscribe, publish }
}

function patterns(notify: object, name: 'subscribe' | 'publish'): readonly string[] {
  const value = (notify as Record<string, unknown>)[name]
  if (value === undefined) return []
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string' && item !== '')) {
    throw new AuthError('claims', `notify.${name} must be an array of topic patterns`)
  }
  return value as string[]
}

/**
 * Whether a topic matches one of the patterns: an exact topic, or a pattern ending in `*`
 * that matches any suffix (`team:7:*`; `*` alone matches every topic).
 *
 * @param patterns - from the token's `notify.subscribe` or `notify.publish`
 * @param topic - the topic asked for
 * @returns true when allowed
 * @example
 * ```ts
 * matchesTopic(['orders', 'team:7:*'], 'team:7:chat') // → true
 * ```
 */
export function matchesTopic(patterns: readonly string[], topic: string): boolean {
  for (const pattern of patterns) {
    if (pattern.endsWith('*') ? topic.startsWith(pattern.slice(0, -1)) : pattern === topic) return true
  }
  return false
}

/**
 * Refuses a topic that contains `*`: patterns belong in tokens; a topic asked for (to subscribe
 * or to publish) is always concrete.
 *
 * @param topic - the topic asked for
 * @throws {@link NotifyError} `INVALID_TOPIC` (a 400) when it contains `*`
 * @example
 * ```ts
 * assertConcreteTopic('team:7:chat') // fine
 * assertConcreteTopic('team:7:*') // throws INVALID_TOPIC
 * ```
 */
export function assertConcreteTopic(topic: string): void {
  if (topic.includes('*')) {
    throw new NotifyError(
      'INVALID_TOPIC',
      `a topic cannot contain "*" (patterns are for tokens): ${JSON.stringify(topic)}`,
    )
  }
}

/**
 * Reads the token of a request: `Authorization: Bearer`, else the `notify_token` cookie, else
 * (when `allowQuery`) `?access_token=`.
 *
 * @param req - the request
 * @param url - its parsed URL
 * @param allowQuery - whether `?access_token=` counts (`--no-query-token` turns it off)
 * @returns the token, or undefined
 */
export function tokenOf(req: IncomingMessage, url: URL, allowQuery: boolean): string | undefined {
  const header = req.headers.authorization
  if (header !== undefined) {
    // A header that is not `Bearer <token>` is a bad token, not a missing one.
    return /^Bearer[ ]+(\S+)\s*$/i.exec(header)?.[1] ?? ''
  }
  const cookie = readCookie(req.headers.cookie, TOKEN_COOKIE)
  if (cookie !== undefined && cookie !== '') return cookie
  if (allowQuery) {
    const query = url.searchParams.get('access_token')
    if (query !== null && query !== '') return query
  }
  return undefined
}

function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined
  for (const part of header.split(';')) {
    const index = part.indexOf('=')
    if (index === -1) continue
    if (part.slice(0, index).trim() === name) {
      const value = part.slice(index + 1).trim()
      try {
        return decodeURIComponent(value)
      } catch {
        return value
      }
    }
  }
  return undefined
}

/** Options of {@link mintToken}. */
export interface MintOptions {
  /** The HS256 secret the server verifies with. */
  secret: string
  /** The user. */
  sub: string
  /** Topic patterns the token may subscribe to (beyond `user:<sub>` and `broadcast`). */
  subscribe?: readonly string[]
  /** Topic patterns the token may publish to. */
  publish?: readonly string[]
  /** Lifetime in seconds. @defaultValue 3600 */
  expiresInSeconds?: number
  /** `iss`, when the server expects one. */
  issuer?: string
  /** `aud`, when the server expects one. */
  audience?: string
}

/**
 * Signs an HS256 token with the claims the server reads. For tests, scripts and dev mode; in
 * production your auth service mints tokens (any JWT library can: the claims are documented).
 *
 * @param options - secret, sub, patterns, lifetime
 * @returns the compact JWT
 * @example
 * ```ts
 * const token = await mintToken({ secret, sub: 'alice', subscribe: ['orders'], publish: ['user:*'] })
 * ```
 */
export async function mintToken(options: MintOptions): Promise<string> {
  const notify: { subscribe?: string[]; publish?: string[] } = {}
  if (options.subscribe !== undefined) notify.subscribe = [...options.subscribe]
  if (options.publish !== undefined) notify.publish = [...options.publish]
  let jwt = new SignJWT({ notify })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(options.sub)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + (options.expiresInSeconds ?? 3600))
  if (options.issuer !== undefined) jwt = jwt.setIssuer(options.issuer)
  if (options.audience !== undefined) jwt = jwt.setAudience(options.audience)
  return jwt.sign(new TextEncoder().encode(options.secret))
}
