import { request } from 'node:http'
import { openStream } from '@notify/test-utils'
import { afterEach, describe, expect, it } from 'vitest'
import { MAX_JSON_DEPTH } from '../src/index.js'
import { errorOf, type Started, signRaw, start } from './helpers.js'

let server: Started
afterEach(async () => {
  await server?.close()
})

const idsOf = async (response: Response) => ((await response.json()) as { ids: string[] }).ids
const published = () => server.notify.hub.stats().published

describe('POST /publish', () => {
  it('publishes one event: 202 { ids } and the subscriber receives it', async () => {
    server = await start()
    const stream = await openStream(`${server.url}/events?topic=orders`, {
      headers: { authorization: `Bearer ${await server.token('alice', { subscribe: ['orders'] })}` },
    })
    await stream.until((s) => s.ids.length > 0)
    const response = await server.publish({
      topic: 'orders',
      event: 'order.updated',
      data: { id: '1', status: 'paid' },
    })
    expect(response.status).toBe(202)
    const ids = await idsOf(response)
    expect(ids).toHaveLength(1)
    await stream.until((s) => s.events.length === 1)
    expect(stream.events[0]).toEqual({
      id: ids[0],
      event: 'order.updated',
      data: '{"id":"1","status":"paid"}',
    })
    stream.close()
  })

  it('publishes a batch in order and answers every id', async () => {
    server = await start()
    const response = await server.publish([
      { topic: 'a', event: 'e', data: 1 },
      { topic: ['b', 'c'], event: 'e', data: 2 },
      { topic: 'a', event: 'e', data: null },
    ])
    expect(response.status).toBe(202)
    const ids = await idsOf(response)
    expect(ids).toHaveLength(3)
    expect(new Set(ids).size).toBe(3)
    expect(published()).toBe(3)
  })

  it('answers 401 without a token or with a bad one, with WWW-Authenticate', async () => {
    server = await start()
    const none = await fetch(`${server.url}/publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ topic: 'a', event: 'e', data: 1 }),
    })
    expect(none.status).toBe(401)
    expect(none.headers.get('www-authenticate')).toBe('Bearer')
    expect((await errorOf(none)).code).toBe('UNAUTHORIZED')
    const expired = await signRaw(
      { sub: 'p', notify: { publish: ['*'] } },
      { exp: Math.floor(Date.now() / 1000) - 60 },
    )
    expect((await server.publish({ topic: 'a', event: 'e', data: 1 }, { token: expired })).status).toBe(401)
    expect(published()).toBe(0)
  })

  it('does not accept ?access_token= for publishing', async () => {
    server = await start()
    const token = await server.token('p', { publish: ['*'] })
    const response = await fetch(`${server.url}/publish?access_token=${token}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ topic: 'a', event: 'e', data: 1 }),
    })
    expect(response.status).toBe(401)
  })

  it('answers 403 naming the topic when the publish claim does not match, publishing nothing', async () => {
    server = await start()
    const token = await server.token('svc', { publish: ['orders', 'team:7:*'] })
    expect((await server.publish({ topic: 'team:7:chat', event: 'e', data: 1 }, { token })).status).toBe(202)
    const response = await server.publish(
      [
        { topic: 'orders', event: 'e', data: 1 },
        { topic: 'payroll', event: 'e', data: 2 },
      ],
      { token },
    )
    expect(response.status).toBe(403)
    const error = await errorOf(response)
    expect(error.code).toBe('FORBIDDEN')
    expect(error.message).toContain('"payroll"')
    expect(published()).toBe(1)
  })

  it('answers 403 to a token without any publish claim', async () => {
    server = await start()
    const token = await server.token('alice', { subscribe: ['*'] })
    expect((await server.publish({ topic: 'user:alice', event: 'e', data: 1 }, { token })).status).toBe(403)
  })

  it('answers 415 when the body is not JSON, and accepts application/*+json', async () => {
    server = await start()
    const body = JSON.stringify({ topic: 'a', event: 'e', data: 1 })
    const text = await server.publish(body, { headers: { 'content-type': 'text/plain' } })
    expect(text.status).toBe(415)
    expect((await errorOf(text)).code).toBe('UNSUPPORTED_MEDIA_TYPE')
    const form = await server.publish(body, {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    })
    expect(form.status).toBe(415)
    const vendor = await server.publish(body, {
      headers: { 'content-type': 'application/vnd.notify+json; charset=utf-8' },
    })
    expect(vendor.status).toBe(202)
  })

  it('answers 400 INVALID_JSON to malformed JSON', async () => {
    server = await start()
    const response = await server.publish('{"topic": "a", ')
    expect(response.status).toBe(400)
    expect((await errorOf(response)).code).toBe('INVALID_JSON')
  })

  it('answers 413 to a body over the limit (declared length and chunked), publishing nothing', async () => {
    server = await start({ maxBodyBytes: 1024 })
    const big = JSON.stringify({ topic: 'a', event: 'e', data: 'x'.repeat(2000) })
    const declared = await server.publish(big)
    expect(declared.status).toBe(413)
    expect((await errorOf(declared)).code).toBe('BODY_TOO_LARGE')
    // Chunked: no content-length, so the limit is enforced while reading.
    const token = await server.token('p', { publish: ['*'] })
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${server.url}/publish`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${token}`,
          'transfer-encoding': 'chunked',
        },
      })
      req.on('response', (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      })
      req.on('error', reject)
      req.write(big.slice(0, 1000))
      req.end(big.slice(1000))
    })
    expect(status).toBe(413)
    expect((await server.publish({ topic: 'a', event: 'e', data: 'x'.repeat(900) })).status).toBe(202)
    expect(published()).toBe(1)
  })

  it.each([
    ['a string body', '"hello"', 'INVALID_BODY'],
    ['an empty batch', [], 'INVALID_BODY'],
    ['a missing topic', { event: 'e', data: 1 }, 'INVALID_BODY'],
    ['a missing event', { topic: 'a', data: 1 }, 'INVALID_BODY'],
    ['missing data', { topic: 'a', event: 'e' }, 'INVALID_BODY'],
    ['an unknown field', { topic: 'a', event: 'e', data: 1, topics: ['b'] }, 'INVALID_BODY'],
    ['an empty topic', { topic: '', event: 'e', data: 1 }, 'INVALID_TOPIC'],
    ['a topic with a control character', { topic: 'a\u0001', event: 'e', data: 1 }, 'INVALID_TOPIC'],
    ['a topic with *', { topic: 'team:*', event: 'e', data: 1 }, 'INVALID_TOPIC'],
    ['a topic longer than 256', { topic: 'x'.repeat(257), event: 'e', data: 1 }, 'INVALID_TOPIC'],
    ['an event name with a newline', { topic: 'a', event: 'e\nid: 9', data: 1 }, 'INVALID_EVENT'],
    ['a reserved notify: event', { topic: 'a', event: 'notify:reset', data: 1 }, 'RESERVED_EVENT'],
    ['a number as event', { topic: 'a', event: 5, data: 1 }, 'INVALID_EVENT'],
    ['an empty key', { topic: 'a', event: 'e', data: 1, key: '' }, 'INVALID_KEY'],
    ['a key longer than 256', { topic: 'a', event: 'e', data: 1, key: 'k'.repeat(257) }, 'INVALID_KEY'],
  ])('answers 400 to %s', async (_name, body, code) => {
    server = await start()
    const response = await server.publish(typeof body === 'string' ? body : JSON.stringify(body))
    expect(response.status).toBe(400)
    expect((await errorOf(response)).code).toBe(code)
    expect(published()).toBe(0)
  })

  it('answers 400 INVALID_PAYLOAD naming the limit to a body nested deeper than MAX_JSON_DEPTH, with or without key', async () => {
    server = await start({ maxBodyBytes: 1024 * 1024 })
    const nested = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`
    const body = (levels: number, extra = '') => `{"topic":"a","event":"e"${extra},"data":${nested(levels)}}`
    // The body is level 1, data level 2: data may nest MAX_JSON_DEPTH - 1 levels.
    expect((await server.publish(body(MAX_JSON_DEPTH - 1))).status).toBe(202)
    expect((await server.publish(body(MAX_JSON_DEPTH - 1, ',"key":"k0"'))).status).toBe(202)
    for (const [levels, extra] of [
      [MAX_JSON_DEPTH, ''],
      [5000, ',"key":"k1"'],
      [5000, ''],
      [20_000, ''],
      [20_000, ',"key":"k2"'],
    ] as const) {
      const response = await server.publish(body(levels, extra))
      expect(response.status, `${levels} levels${extra}`).toBe(400)
      const error = await errorOf(response)
      expect(error.code).toBe('INVALID_PAYLOAD')
      expect(error.message).toContain(`limit of ${MAX_JSON_DEPTH} levels`)
    }
    // With the Idempotency-Key header, and in a batch (one level more).
    const header = await server.publish(body(5000), { headers: { 'idempotency-key': 'k3' } })
    expect((await errorOf(header)).code).toBe('INVALID_PAYLOAD')
    const batch = await server.publish(`[${body(MAX_JSON_DEPTH - 1, ',"key":"k4"')}]`)
    expect((await errorOf(batch)).code).toBe('INVALID_PAYLOAD')
    expect(published()).toBe(2)
  })

  it('publishes nothing from a batch with one invalid item, and names the item', async () => {
    server = await start()
    const stream = await openStream(`${server.url}/events?topic=a`, {
      headers: { authorization: `Bearer ${await server.token('alice', { subscribe: ['a'] })}` },
    })
    await stream.until((s) => s.ids.length > 0)
    const response = await server.publish([
      { topic: 'a', event: 'e', data: 1 },
      { topic: 'a', event: 'e', data: 2 },
      { topic: 'a', event: 'bad\r', data: 3 },
    ])
    expect(response.status).toBe(400)
    expect((await errorOf(response)).message).toContain('event [2]')
    expect(published()).toBe(0)
    await server.publish({ topic: 'a', event: 'after', data: 0 })
    await stream.until((s) => s.events.length >= 1)
    expect(stream.events.map((e) => e.event)).toEqual(['after'])
    stream.close()
  })

  it('accepts a batch of 100 and refuses 101', async () => {
    server = await start({ maxBodyBytes: 1024 * 1024 })
    const item = { topic: 'a', event: 'e', data: 1 }
    expect((await server.publish(Array.from({ length: 100 }, () => item))).status).toBe(202)
    const response = await server.publish(Array.from({ length: 101 }, () => item))
    expect(response.status).toBe(400)
    expect((await errorOf(response)).message).toContain('at most 100')
    expect(published()).toBe(100)
  })
})

describe('POST /publish idempotency', () => {
  it('a repeated key publishes once and answers the first id (body key and Idempotency-Key header)', async () => {
    server = await start()
    const event = { topic: 'a', event: 'e', data: { n: 1, m: 2 } }
    const first = await idsOf(await server.publish({ ...event, key: 'k1' }))
    const again = await server.publish({ ...event, key: 'k1' })
    expect(again.status).toBe(202)
    expect(await idsOf(again)).toEqual(first)
    // The same content with keys in another order is the same event.
    expect(await idsOf(await server.publish({ ...event, data: { m: 2, n: 1 }, key: 'k1' }))).toEqual(first)
    const viaHeader = await idsOf(await server.publish(event, { headers: { 'idempotency-key': 'k2' } }))
    expect(await idsOf(await server.publish(event, { headers: { 'idempotency-key': 'k2' } }))).toEqual(
      viaHeader,
    )
    expect(published()).toBe(2)
  })

  it('answers 409 IDEMPOTENCY_CONFLICT for the same key with other content, publishing nothing', async () => {
    server = await start()
    await server.publish({ topic: 'a', event: 'e', data: 1, key: 'k' })
    const conflict = await server.publish({ topic: 'a', event: 'e', data: 2, key: 'k' })
    expect(conflict.status).toBe(409)
    expect((await errorOf(conflict)).code).toBe('IDEMPOTENCY_CONFLICT')
    const inBatch = await server.publish([
      { topic: 'b', event: 'e', data: 1, key: 'x' },
      { topic: 'b', event: 'e', data: 2, key: 'x' },
    ])
    expect(inBatch.status).toBe(409)
    expect(published()).toBe(1)
  })

  it('scopes keys by the publisher: two publishers may use the same key', async () => {
    server = await start()
    const one = await server.token('service-one', { publish: ['*'] })
    const two = await server.token('service-two', { publish: ['*'] })
    const a = await idsOf(
      await server.publish({ topic: 'a', event: 'e', data: 1, key: 'same' }, { token: one }),
    )
    const b = await idsOf(
      await server.publish({ topic: 'a', event: 'e', data: 2, key: 'same' }, { token: two }),
    )
    expect(a).not.toEqual(b)
    expect(published()).toBe(2)
  })

  it('keeps each key with its own item in a batch that mixes keyed and unkeyed events', async () => {
    server = await start()
    const ids = await idsOf(
      await server.publish([
        { topic: 'a', event: 'e', data: 0 },
        { topic: 'a', event: 'e', data: 1, key: 'k1' },
        { topic: 'a', event: 'e', data: 2 },
        { topic: 'a', event: 'e', data: 3, key: 'k3' },
      ]),
    )
    expect(ids).toHaveLength(4)
    expect(await idsOf(await server.publish({ topic: 'a', event: 'e', data: 3, key: 'k3' }))).toEqual([
      ids[3],
    ])
    expect(await idsOf(await server.publish({ topic: 'a', event: 'e', data: 1, key: 'k1' }))).toEqual([
      ids[1],
    ])
    const conflict = await server.publish({ topic: 'a', event: 'e', data: 2, key: 'k1' })
    expect(conflict.status).toBe(409)
    expect((await errorOf(conflict)).code).toBe('IDEMPOTENCY_CONFLICT')
    expect(published()).toBe(4)
  })

  it('answers 400 INVALID_KEY naming where the bad key is: the header, the event or the batch item', async () => {
    server = await start()
    const long = 'k'.repeat(257)
    const cases: [Response, string][] = [
      [
        await server.publish({ topic: 'a', event: 'e', data: 1 }, { headers: { 'idempotency-key': long } }),
        'the Idempotency-Key header: ',
      ],
      [await server.publish({ topic: 'a', event: 'e', data: 1, key: '' }), 'the event: '],
      [
        await server.publish([
          { topic: 'a', event: 'e', data: 1 },
          { topic: 'a', event: 'e', data: 1, key: 5 },
        ]),
        'event [1]: ',
      ],
    ]
    for (const [response, where] of cases) {
      expect(response.status, where).toBe(400)
      const error = await errorOf(response)
      expect(error.code, where).toBe('INVALID_KEY')
      expect(error.message, where).toContain(where)
      expect(error.message, where).toContain('at most 256 characters')
    }
    // The longest key allowed is accepted, in the header as in the body.
    const max = 'k'.repeat(256)
    expect(
      (await server.publish({ topic: 'a', event: 'e', data: 1 }, { headers: { 'idempotency-key': max } }))
        .status,
    ).toBe(202)
    expect((await server.publish({ topic: 'a', event: 'e', data: 2, key: `${max.slice(1)}x` })).status).toBe(
      202,
    )
    expect(published()).toBe(2)
  })

  it('refuses the Idempotency-Key header on a batch and a header that contradicts the body key', async () => {
    server = await start()
    const onBatch = await server.publish([{ topic: 'a', event: 'e', data: 1 }], {
      headers: { 'idempotency-key': 'k' },
    })
    expect(onBatch.status).toBe(400)
    const differs = await server.publish(
      { topic: 'a', event: 'e', data: 1, key: 'a' },
      { headers: { 'idempotency-key': 'b' } },
    )
    expect(differs.status).toBe(400)
    expect(published()).toBe(0)
  })
})

describe('POST /publish rate limit', () => {
  it('answers 429 with Retry-After over publishRate, per publisher', async () => {
    server = await start({ publishRate: 2 })
    const one = await server.token('one', { publish: ['*'] })
    const two = await server.token('two', { publish: ['*'] })
    const event = { topic: 'a', event: 'e', data: 1 }
    const statuses = []
    for (let i = 0; i < 3; i++) statuses.push((await server.publish(event, { token: one })).status)
    expect(statuses.slice(0, 2)).toEqual([202, 202])
    expect(statuses[2]).toBe(429)
    const limited = await server.publish(event, { token: one })
    expect(limited.status).toBe(429)
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    expect((await errorOf(limited)).code).toBe('RATE_LIMITED')
    expect((await server.publish(event, { token: two })).status).toBe(202)
  })
})

describe('POST /publish logs', () => {
  it('logs one line per publish with the request id, sub and ids, never the token', async () => {
    server = await start()
    const token = await server.token('svc', { publish: ['*'] })
    const response = await server.publish(
      { topic: 'a', event: 'e', data: 1 },
      { token, headers: { 'x-request-id': 'pub-1' } },
    )
    const ids = await idsOf(response)
    expect(server.logs.find((l) => l.msg === 'publish')).toMatchObject({
      requestId: 'pub-1',
      sub: 'svc',
      status: 202,
      ids,
    })
    expect(server.logText()).not.toContain(token.split('.')[2]!)
  })
})
