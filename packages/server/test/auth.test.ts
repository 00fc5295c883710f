import { createServer as createHttpServer } from 'node:http'
import { listen } from '@notify/test-utils'
import { exportJWK, exportSPKI, generateKeyPair, SignJWT } from 'jose'
import { describe, expect, it } from 'vitest'
import { AuthError, createVerifier, matchesTopic, mintToken } from '../src/index.js'
import { SECRET, signRaw } from './helpers.js'

async function reasonOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (error) {
    return error instanceof AuthError ? error.reason : `not an AuthError: ${String(error)}`
  }
  return 'accepted'
}

describe('matchesTopic', () => {
  it('matches exact topics and prefix* patterns; * alone matches all', () => {
    expect(matchesTopic(['orders'], 'orders')).toBe(true)
    expect(matchesTopic(['orders'], 'orders:1')).toBe(false)
    expect(matchesTopic(['team:7:*'], 'team:7:chat')).toBe(true)
    expect(matchesTopic(['team:7:*'], 'team:7:')).toBe(true)
    expect(matchesTopic(['team:7:*'], 'team:70')).toBe(false)
    expect(matchesTopic(['*'], 'anything')).toBe(true)
    expect(matchesTopic([], 'orders')).toBe(false)
  })
})

describe('createVerifier', () => {
  it('HS256: reads sub, patterns and expiry', async () => {
    const verify = createVerifier({ secret: SECRET })
    const token = await mintToken({
      secret: SECRET,
      sub: 'alice',
      subscribe: ['orders'],
      publish: ['user:*'],
    })
    const claims = await verify(token)
    expect(claims).toMatchObject({ sub: 'alice', subscribe: ['orders'], publish: ['user:*'] })
    expect(claims.expiresAt).toBeGreaterThan(Date.now())
  })

  it('RS256 public key: accepts RS256, refuses HS256 signed with the public key (algorithm confusion)', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256')
    const pem = await exportSPKI(publicKey)
    const verify = createVerifier({ publicKey: pem })
    const good = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256' })
      .setSubject('alice')
      .sign(privateKey)
    expect((await verify(good)).sub).toBe('alice')
    const forged = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('alice')
      .sign(new TextEncoder().encode(pem))
    expect(await reasonOf(verify(forged))).toBe('algorithm')
  })

  it('ES256 public key: accepts ES256, refuses a token from another key', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256')
    const other = await generateKeyPair('ES256')
    const verify = createVerifier({ publicKey: await exportSPKI(publicKey) })
    const good = await new SignJWT({}).setProtectedHeader({ alg: 'ES256' }).setSubject('bob').sign(privateKey)
    expect((await verify(good)).sub).toBe('bob')
    const bad = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256' })
      .setSubject('bob')
      .sign(other.privateKey)
    expect(await reasonOf(verify(bad))).toBe('signature')
  })

  it('JWKS URL: fetches the key set and picks the key by kid', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256')
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }
    let fetches = 0
    const jwksServer = await listen(
      createHttpServer((_req, res) => {
        fetches++
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ keys: [jwk] }))
      }),
    )
    try {
      const verify = createVerifier({ jwks: `${jwksServer.url}/.well-known/jwks.json` })
      const sign = () =>
        new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setSubject('carol').sign(privateKey)
      expect((await verify(await sign())).sub).toBe('carol')
      expect((await verify(await sign())).sub).toBe('carol')
      expect(fetches).toBe(1)
    } finally {
      await jwksServer.close()
    }
  })

  it('JWKS set: refuses a token whose kid is not in the set', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256')
    const verify = createVerifier({
      jwks: { keys: [{ ...(await exportJWK(publicKey)), kid: 'a', alg: 'RS256' }] },
    })
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', kid: 'b' })
      .setSubject('x')
      .sign(privateKey)
    expect(await reasonOf(verify(token))).toBe('signature')
  })

  it('checks iss and aud when configured', async () => {
    const verify = createVerifier({ secret: SECRET, issuer: 'https://auth.example', audience: 'notify' })
    const right = await mintToken({
      secret: SECRET,
      sub: 'a',
      issuer: 'https://auth.example',
      audience: 'notify',
    })
    expect((await verify(right)).sub).toBe('a')
    const wrongIssuer = await mintToken({
      secret: SECRET,
      sub: 'a',
      issuer: 'https://evil.example',
      audience: 'notify',
    })
    expect(await reasonOf(verify(wrongIssuer))).toBe('claims')
    const noAudience = await mintToken({ secret: SECRET, sub: 'a', issuer: 'https://auth.example' })
    expect(await reasonOf(verify(noAudience))).toBe('claims')
  })

  it('expiresAt is exp plus the clock tolerance: the instant the verifier starts refusing the token', async () => {
    const exp = Math.floor(Date.now() / 1000) - 2
    const token = await signRaw({ sub: 'late' }, { exp })
    // Two seconds past exp, inside the default 5 s tolerance: accepted, and not expired yet.
    const claims = await createVerifier({ secret: SECRET })(token)
    expect(claims.expiresAt).toBe((exp + 5) * 1000)
    expect(claims.expiresAt).toBeGreaterThan(Date.now())
    const strict = createVerifier({ secret: SECRET, clockToleranceSeconds: 0 })
    expect(await reasonOf(strict(token))).toBe('expired')
    const fresh = await signRaw({ sub: 'a' }, { exp: exp + 100 })
    expect((await strict(fresh)).expiresAt).toBe((exp + 100) * 1000)
    expect((await createVerifier({ secret: SECRET, clockToleranceSeconds: 30 })(fresh)).expiresAt).toBe(
      (exp + 130) * 1000,
    )
  })

  it('answers garbage tokens with an AuthError, and rethrows what is not the token fault (an unusable JWKS key)', async () => {
    const verify = createVerifier({ secret: SECRET })
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
    for (const garbage of [
      '',
      'x',
      'a.b.c',
      '...',
      `${encode(null)}.${encode({ sub: 'a' })}.sig`,
      `${encode({ alg: 'HS256' })}.${encode('text')}.sig`,
      `${encode({ alg: 'HS256' })}.${encode([1])}.sig`,
      `${encode({ alg: 'HS256', crit: ['zip'] })}.${encode({ sub: 'a' })}.sig`,
      `${encode({ alg: 'HS256', b64: false, crit: ['b64'] })}.${encode({ sub: 'a' })}.sig`,
      `${encode({ alg: 'RS256' })}.${encode({ sub: 'a' })}.${'A'.repeat(342)}`,
    ]) {
      await expect(verify(garbage), garbage).rejects.toBeInstanceOf(AuthError)
    }
    // A 2048-bit key pair, published in the JWKS with a truncated modulus: the platform cannot use it.
    const { publicKey, privateKey } = await generateKeyPair('RS256')
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256' }
    const broken = createVerifier({ jwks: { keys: [{ ...jwk, n: jwk.n!.slice(0, 100) }] } })
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setSubject('x')
      .sign(privateKey)
    expect(await reasonOf(broken(token))).toMatch(/^not an AuthError: TypeError/)
    expect((await createVerifier({ jwks: { keys: [jwk] } })(token)).sub).toBe('x')
  })

  it('refuses unusable configuration', () => {
    expect(() => createVerifier({})).toThrow(/no JWT key/)
    expect(() => createVerifier({ secret: SECRET, jwks: 'https://x.example/jwks' })).toThrow(/only one/)
    expect(() => createVerifier({ publicKey: 'not a pem' })).toThrow(/PEM/)
  })
})
