import { createServer as createHttpServer } from 'node:http'
import { listen } from '@notify/test-utils'
import { exportJWK, exportSPKI, generateKeyPair, SignJWT } from 'jose'
import { describe, expect, it } from 'vitest'
import { AuthError, createVerifier, matchesTopic, mintToken } from '../src/index.js'
import { SECRET } from './helpers.js'

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

  it('refuses unusable configuration', () => {
    expect(() => createVerifier({})).toThrow(/no JWT key/)
    expect(() => createVerifier({ secret: SECRET, jwks: 'https://x.example/jwks' })).toThrow(/only one/)
    expect(() => createVerifier({ publicKey: 'not a pem' })).toThrow(/PEM/)
  })
})
