import { type Stream, openStream } from '@notify/test-utils'
import { afterEach, describe, expect, it } from 'vitest'
import { type Started, start } from './helpers.js'

let server: Started
afterEach(async () => {
  await server?.close()
})

// Small deterministic PRNG (mulberry32): a failing seed can be replayed.
function random(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

describe('isolation', () => {
  const seed = Number(process.env.NOTIFY_FUZZ_SEED ?? Date.now() % 100_000)

  it("no user ever receives another user's event (random user:* publishes, replay with NOTIFY_FUZZ_SEED)", async () => {
    server = await start()
    const next = random(seed)
    const users = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank']
    // Some users hold two streams (two tabs); a token with a broad subscribe claim must not widen user:* either.
    const streams: { sub: string; stream: Stream }[] = []
    for (const sub of users) {
      const token = await server.token(sub, { subscribe: ['team:*'] })
      const tabs = next() < 0.5 ? 2 : 1
      for (let i = 0; i < tabs; i++) {
        streams.push({
          sub,
          stream: await openStream(`${server.url}/events`, { headers: { authorization: `Bearer ${token}` } }),
        })
      }
    }
    await Promise.all(streams.map(({ stream }) => stream.until((s) => s.ids.length > 0)))

    const expected = new Map(users.map((sub) => [sub, [] as string[]]))
    const batches: { topic: string; event: string; data: { to: string; n: number } }[][] = []
    let n = 0
    for (let b = 0; b < 30; b++) {
      const batch = []
      const size = 1 + Math.floor(next() * 10)
      for (let i = 0; i < size; i++) {
        const roll = next()
        // Mostly a known user, sometimes a stranger or a look-alike (user:alice2, user:ALICE), rarely everyone.
        const to =
          roll < 0.75
            ? users[Math.floor(next() * users.length)]!
            : roll < 0.85
              ? `${users[Math.floor(next() * users.length)]}2`
              : roll < 0.95
                ? users[Math.floor(next() * users.length)]!.toUpperCase()
                : '*'
        const topic = to === '*' ? 'broadcast' : `user:${to}`
        n++
        batch.push({ topic, event: 'note', data: { to, n } })
        for (const sub of users) if (to === '*' || to === sub) expected.get(sub)!.push(`${to}:${n}`)
      }
      batches.push(batch)
    }
    for (const batch of batches) expect((await server.publish(batch)).status).toBe(202)

    for (const { sub, stream } of streams) {
      const want = expected.get(sub)!
      await stream.until((s) => s.events.length >= want.length, 15_000)
      const got = stream.events.map((e) => {
        const data = JSON.parse(e.data) as { to: string; n: number }
        return `${data.to}:${data.n}`
      })
      expect(got, `events of ${sub} (seed ${seed})`).toEqual(want)
    }
    // Nothing extra arrived after the last expected event either.
    await server.publish({ topic: 'broadcast', event: 'end', data: { to: '*', n: 0 } })
    for (const { sub, stream } of streams) {
      await stream.until((s) => s.events.at(-1)?.event === 'end')
      expect(stream.events.length, `events of ${sub} (seed ${seed})`).toBe(expected.get(sub)!.length + 1)
      stream.close()
    }
  })
})
