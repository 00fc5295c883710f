import { openStream } from '@notify/test-utils'
import { exportJWK, generateKeyPair, SignJWT } from 'jose'
import { afterEach, describe, expect, it } from 'vitest'
import { errorOf, SECRET, type Started, signRaw, start, unsignedToken, waitFor } from './helpers.js'

let server: Started
afterEach(async () => {
  await server?.close()
})

const eventsOf = (stream: { events: { event: string | undefined; data: string }[] }) =>
  stream.events.map((e) => `${e.event}:${e.data}`)

describe('GET /events authentication', () => {
  it('answers 401 without a token, with a JSON error', async () => {
    server = await start()
    const response = await fetch(`${server.url}/events`)
    expect(response.status).toBe(401)
    expect((await errorOf(response)).code).toBe('UNAUTHORIZED')
  })

  it('accepts the token from the Authorization header, the notify_token cookie and ?access_token=', async () => {
    server = await start()
    const token = await server.token('alice')
    for (const [url, headers] of [
      [`${server.url}/events`, { authorization: `Bearer ${token}` }],
      [`${server.url}/events`, { cookie: `theme=dark; notify_token=${token}` }],
      [`${server.url}/events?access_token=${token}`, {}],
    ] as const) {
      const stream = await openStream(url, { headers })
      expect(stream.status).toBe(200)
      expect(stream.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
      stream.close()
    }
  })

  it('refuses ?access_token= with queryToken: false (--no-query-token), still accepts the header', async () => {
    server = await start({ queryToken: false })
    const token = await server.token('alice')
    const refused = await fetch(`${server.url}/events?access_token=${token}`)
    expect(refused.status).toBe(401)
    expect((await errorOf(refused)).message).not.toContain('access_token')
    const stream = await openStream(`${server.url}/events`, { headers: { authorization: `Bearer ${token}` } })
    expect(stream.status).toBe(200)
    stream.close()
  })

  it.each([
    ['a malformed token', async () => 'not-a-jwt'],
    [
      'a token signed with another secret',
      () => signRaw({ sub: 'a' }, { secret: 'another-secret-that-is-long-enough-000' }),
    ],
    ['an expired token', () => signRaw({ sub: 'a' }, { exp: Math.floor(Date.now() / 1000) - 60 })],
    [
      'a token not valid yet (nbf)',
      () => signRaw({ sub: 'a' }, { nbf: Math.floor(Date.now() / 1000) + 600 }),
    ],
    ['an HS384 token (algorithm pinned to HS256)', () => signRaw({ sub: 'a' }, { alg: 'HS384' })],
    ['an unsigned alg:none token', async () => unsignedToken({ sub: 'a' })],
    ['a token without sub', () => signRaw({ notify: {} })],
    ['a token with a malformed notify claim', () => signRaw({ sub: 'a', notify: { subscribe: 'orders' } })],
    ['a Basic authorization header', async () => 'Basic'],
  ])('answers 401 to %s', async (_name, make) => {
    server = await start()
    const token = await make()
    const authorization = token === 'Basic' ? 'Basic dXNlcjpwYXNz' : `Bearer ${token}`
    const response = await fetch(`${server.url}/events`, { headers: { authorization } })
    expect(response.status).toBe(401)
    expect((await errorOf(response)).code).toBe('UNAUTHORIZED')
  })

  it('counts auth failures by reason in /metrics', async () => {
    server = await start()
    await fetch(`${server.url}/events`)
    await fetch(`${server.url}/events`, {
      headers: {
        authorization: `Bearer ${await signRaw({ sub: 'a' }, { exp: Math.floor(Date.now() / 1000) - 60 })}`,
      },
    })
    const metrics = await (await fetch(`${server.url}/metrics`)).text()
    expect(metrics).toContain('notify_auth_failures_total{reason="missing"} 1')
    expect(metrics).toContain('notify_auth_failures_total{reason="expired"} 1')
    expect(metrics).toContain('notify_connections_total{outcome="unauthorized"} 2')
  })
})

describe('GET /events topics', () => {
  it('subscribes every user to user:<sub> and broadcast, and never to another user', async () => {
    server = await start()
    const stream = await openStream(`${server.url}/events`, {
      headers: { authorization: `Bearer ${await server.token('alice')}` },
    })
    await stream.until((s) => s.ids.length > 0)
    await server.publish([
      { topic: 'user:bob', event: 'secret', data: 'for bob' },
      { topic: 'user:alice', event: 'mine', data: 'for alice' },
      { topic: 'broadcast', event: 'all', data: 'for everyone' },
    ])
    await stream.until((s) => s.events.length >= 2)
    expect(eventsOf(stream)).toEqual(['mine:"for alice"', 'all:"for everyone"'])
    stream.close()
  })

  it('allows topics matching the subscribe claim (exact and prefix*)', async () => {
    server = await start()
    const token = await server.token('alice', { subscribe: ['orders', 'team:7:*'] })
    const stream = await openStream(`${server.url}/events?topic=orders&topic=team:7:chat`, {
      headers: { authorization: `Bearer ${token}` },
    })
    expect(stream.status).toBe(200)
    await stream.until((s) => s.ids.length > 0)
    await server.publish([
      { topic: 'team:7:chat', event: 'chat', data: 1 },
      { topic: 'team:8:chat', event: 'chat', data: 2 },
      { topic: 'orders', event: 'order', data: 3 },
    ])
    await stream.until((s) => s.events.length >= 2)
    expect(eventsOf(stream)).toEqual(['chat:1', 'order:3'])
    stream.close()
  })

  it('answers 403 naming the topic the token does not allow', async () => {
    server = await start()
    const token = await server.token('alice', { subscribe: ['orders'] })
    const response = await fetch(`${server.url}/events?topic=orders&topic=payroll`, {
      headers: { authorization: `Bearer ${token}` },
    })
    expect(response.status).toBe(403)
    const error = await errorOf(response)
    expect(error.code).toBe('FORBIDDEN')
    expect(error.message).toContain('"payroll"')
  })

  it('answers 403 for another user topic', async () => {
    server = await start()
    const response = await fetch(`${server.url}/events?topic=user:bob`, {
      headers: { authorization: `Bearer ${await server.token('alice')}` },
    })
    expect(response.status).toBe(403)
    expect((await errorOf(response)).message).toContain('"user:bob"')
  })

  it('answers 400 for a requested topic containing *', async () => {
    server = await start()
    const token = await server.token('alice', { subscribe: ['*'] })
    const response = await fetch(`${server.url}/events?topic=team:*`, {
      headers: { authorization: `Bearer ${token}` },
    })
    expect(response.status).toBe(400)
    const error = await errorOf(response)
    expect(error.code).toBe('INVALID_TOPIC')
    expect(error.message).toContain('"team:*"')
  })

  it('answers 400 for an empty or too long topic', async () => {
    server = await start()
    const token = await server.token('alice', { subscribe: ['*'] })
    for (const topic of ['', 'x'.repeat(257)]) {
      const response = await fetch(`${server.url}/events?topic=${topic}`, {
        headers: { authorization: `Bearer ${token}` },
      })
      expect(response.status).toBe(400)
    }
  })
})

describe('GET /events resume', () => {
  it('resumes from the Last-Event-ID header and from ?lastEventId=', async () => {
    server = await start()
    const token = await server.token('alice')
    const first = await server.publish({ topic: 'user:alice', event: 'n', data: 1 })
    const [firstId] = ((await first.json()) as { ids: string[] }).ids
    await server.publish([
      { topic: 'user:alice', event: 'n', data: 2 },
      { topic: 'user:alice', event: 'n', data: 3 },
    ])
    const byHeader = await openStream(`${server.url}/events`, {
      headers: { authorization: `Bearer ${token}`, 'last-event-id': firstId! },
    })
    await byHeader.until((s) => s.events.length >= 2)
    expect(eventsOf(byHeader)).toEqual(['n:2', 'n:3'])
    byHeader.close()
    const byQuery = await openStream(`${server.url}/events?lastEventId=${firstId}`, {
      headers: { authorization: `Bearer ${token}` },
    })
    await byQuery.until((s) => s.events.length >= 2)
    expect(eventsOf(byQuery)).toEqual(['n:2', 'n:3'])
    byQuery.close()
  })

  it('sends notify:reset for an unknown id', async () => {
    server = await start()
    const stream = await openStream(`${server.url}/events`, {
      headers: { authorization: `Bearer ${await server.token('alice')}`, 'last-event-id': '1-1' },
    })
    await stream.until((s) => s.events.length >= 1)
    expect(stream.events[0]?.event).toBe('notify:reset')
    expect(JSON.parse(stream.events[0]!.data)).toEqual({ reason: 'unknown', lastEventId: '1-1' })
    stream.close()
  })
})

describe('GET /events lifetime and limits', () => {
  it('closes the stream when the token expires', async () => {
    server = await start({ heartbeatMs: 200, jwt: { secret: SECRET, clockToleranceSeconds: 0 } })
    const token = await server.token('alice', {}, 2)
    const stream = await openStream(`${server.url}/events`, { headers: { authorization: `Bearer ${token}` } })
    expect(stream.status).toBe(200)
    await Promise.race([
      stream.ended,
      new Promise((_, reject) => setTimeout(() => reject(new Error('stream still open')), 8000)),
    ])
    await waitFor(() => server.logs.some((l) => l.msg === 'stream closed' && l.reason === 'expired'))
  })

  it('keeps a token admitted inside the clock tolerance open until exp + tolerance, then closes it as expired', async () => {
    server = await start({ heartbeatMs: 200 })
    const exp = Math.floor(Date.now() / 1000) - 2
    const token = await signRaw({ sub: 'late' }, { exp })
    const stream = await openStream(`${server.url}/events`, { headers: { authorization: `Bearer ${token}` } })
    expect(stream.status).toBe(200)
    await Promise.race([
      stream.ended,
      new Promise((_, reject) => setTimeout(() => reject(new Error('stream still open')), 10_000)),
    ])
    // Not cut on the first sweep: only once the server itself would refuse the token.
    expect(Date.now()).toBeGreaterThanOrEqual((exp + 5) * 1000)
    await waitFor(() => server.logs.some((l) => l.msg === 'stream closed' && l.reason === 'expired'))
    const refused = await fetch(`${server.url}/events`, { headers: { authorization: `Bearer ${token}` } })
    expect(refused.status).toBe(401)
  })

  it('answers 429 with Retry-After beyond maxConnectionsPerUser, other users unaffected', async () => {
    server = await start({ maxConnectionsPerUser: 2 })
    const alice = { authorization: `Bearer ${await server.token('alice')}` }
    const open = [await openStream(`${server.url}/events`, { headers: alice })]
    open.push(await openStream(`${server.url}/events`, { headers: alice }))
    await waitFor(() => server.notify.hub.stats().connections === 2)
    const refused = await fetch(`${server.url}/events`, { headers: alice })
    expect(refused.status).toBe(429)
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/)
    expect((await errorOf(refused)).code).toBe('TOO_MANY_CONNECTIONS')
    const bob = await openStream(`${server.url}/events`, {
      headers: { authorization: `Bearer ${await server.token('bob')}` },
    })
    expect(bob.status).toBe(200)
    for (const stream of [...open, bob]) stream.close()
  })

  it('answers 503 with Retry-After beyond maxConnections', async () => {
    server = await start({ maxConnections: 1 })
    const first = await openStream(`${server.url}/events`, {
      headers: { authorization: `Bearer ${await server.token('alice')}` },
    })
    await waitFor(() => server.notify.hub.stats().connections === 1)
    const refused = await fetch(`${server.url}/events`, {
      headers: { authorization: `Bearer ${await server.token('bob')}` },
    })
    expect(refused.status).toBe(503)
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/)
    expect((await errorOf(refused)).code).toBe('SERVER_BUSY')
    first.close()
  })

  it('logs one line per stream open and close, with the request id and no token', async () => {
    server = await start()
    const token = await server.token('alice')
    const stream = await openStream(`${server.url}/events?access_token=${token}`, {
      headers: { 'x-request-id': 'req-42' },
    })
    expect(stream.headers.get('x-request-id')).toBe('req-42')
    await waitFor(() => server.logs.some((l) => l.msg === 'stream open'))
    stream.close()
    await waitFor(() => server.logs.some((l) => l.msg === 'stream closed'))
    const open = server.logs.find((l) => l.msg === 'stream open')!
    expect(open).toMatchObject({ requestId: 'req-42', sub: 'alice', topics: ['user:alice', 'broadcast'] })
    expect(server.logs.find((l) => l.msg === 'stream closed')).toMatchObject({
      requestId: 'req-42',
      reason: 'client',
    })
    // A refused stream is logged with its URL: redacted too.
    const refused = await fetch(`${server.url}/events?topic=payroll&access_token=${token}`)
    expect(refused.status).toBe(403)
    await waitFor(() => server.logs.some((l) => l.msg === 'stream refused'))
    expect(server.logs.find((l) => l.msg === 'stream refused')).toMatchObject({
      status: 403,
      url: '/events?topic=payroll&access_token=[redacted]',
    })
    expect(server.logText()).not.toContain(token)
    expect(server.logText()).not.toContain(token.split('.')[2]!)
  })
})

describe('unexpected errors in the server callbacks', () => {
  it('an exception inside authenticate is a 500 INTERNAL_ERROR, logged once with the request id', async () => {
    // A JWKS key the platform cannot use (truncated RSA modulus): verifying throws a TypeError,
    // which is the server's fault, not the token's.
    const { publicKey, privateKey } = await generateKeyPair('RS256')
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256' }
    server = await start({ jwt: { jwks: { keys: [{ ...jwk, n: jwk.n!.slice(0, 100) }] } } })
    const token = await new SignJWT({ notify: { publish: ['*'] } })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setSubject('alice')
      .setExpirationTime('1h')
      .sign(privateKey)
    const response = await fetch(`${server.url}/events`, {
      headers: { authorization: `Bearer ${token}`, 'x-request-id': 'req-auth-boom' },
    })
    expect(response.status).toBe(500)
    expect((await errorOf(response)).code).toBe('INTERNAL_ERROR')
    await waitFor(() => server.logs.some((l) => l.requestId === 'req-auth-boom' && l.level === 50))
    const errors = server.logs.filter((l) => (l.level as number) >= 50)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({ requestId: 'req-auth-boom', msg: 'authenticate failed' })
    expect((errors[0]!.err as { message: string }).message).toContain('modulusLength')
    expect(server.logText()).not.toContain(token.split('.')[2]!)

    const publish = await server.publish(
      { topic: 'a', event: 'e', data: 1 },
      { token, headers: { 'x-request-id': 'req-publish-boom' } },
    )
    expect(publish.status).toBe(500)
    expect((await errorOf(publish)).code).toBe('INTERNAL_ERROR')
    await waitFor(() => server.logs.some((l) => l.requestId === 'req-publish-boom' && l.level === 50))
    expect(server.logs.filter((l) => (l.level as number) >= 50)).toHaveLength(2)
  })
})
