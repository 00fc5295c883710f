import type { ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { createHub } from '@notify/core'
import { sse } from '@notify/core/node'
import { listen } from '@notify/test-utils'
import { expect, it } from 'vitest'
import { createClient } from '../src/index.js'
import { waitFor } from './helpers.js'

// Against a real @notify/core server: the server side drops the stream ≥ 100 times at random moments,
// half of them in the middle of a frame (half the bytes written, then the socket destroyed), while
// thousands of events are published. Every event must arrive exactly once and in order.

type Events = { n: { i: number } }
const EVENTS = 3000
const DROPS = 100

it(`every one of ${EVENTS} events arrives exactly once, in order, across ≥ ${DROPS} server-side drops`, async () => {
  const hub = createHub<Events>({ retryMs: 10, heartbeatMs: 1000 })
  const handler = sse(hub, { topics: ['t'] })
  const streams = new Set<Socket>()
  let cutNextFrame = false
  let midFrameCuts = 0
  let wholeDrops = 0
  let requests = 0
  let resumed = 0
  const server = await listen((req, res) => {
    requests++
    if (req.headers['last-event-id'] !== undefined) resumed++
    const socket = req.socket
    streams.add(socket)
    socket.once('close', () => streams.delete(socket))
    // Mid-frame cut: the next write goes out half, nothing after it, then the socket is destroyed.
    const out = res as ServerResponse & { write: (chunk: Uint8Array) => boolean }
    const write = out.write.bind(out)
    let dead = false
    out.write = (chunk: Uint8Array) => {
      if (dead) return false
      if (cutNextFrame && chunk.length > 1) {
        cutNextFrame = false
        dead = true
        streams.delete(socket)
        midFrameCuts++
        write(chunk.subarray(0, chunk.length >> 1), () => socket.destroy())
        return false
      }
      return write(chunk)
    }
    handler(req, res)
  })

  const client = createClient<Events>(`${server.url}/events`, { maxDelayMs: 40 })
  const received: number[] = []
  const ids: string[] = []
  const errors = new Map<string, number>()
  let resets = 0
  client.on('n', (data, meta) => {
    received.push(data.i)
    ids.push(meta.id)
  })
  client.onError((error) => errors.set(error.code, (errors.get(error.code) ?? 0) + 1))
  client.onReset(() => resets++)
  await waitFor(() => client.status === 'open', 'the first connection')

  const random = (n: number) => Math.floor(Math.random() * n)
  let published = 0
  let dropDue = random(40)
  const started = Date.now()
  while (published < EVENTS || midFrameCuts + wholeDrops < DROPS) {
    if (published < EVENTS) await hub.publish('t', 'n', { i: published++ })
    if (--dropDue <= 0 && streams.size > 0 && !cutNextFrame) {
      dropDue = 1 + random(40)
      if (random(2) === 0) cutNextFrame = true
      else {
        for (const socket of streams) socket.destroy()
        streams.clear()
        wholeDrops++
      }
    }
    // Random pacing: sometimes a tick, sometimes a few ms, so drops land at every stage of a connection.
    const pause = random(10)
    if (pause === 0) await new Promise((resolve) => setTimeout(resolve, random(4)))
    else if (pause < 4) await new Promise((resolve) => setImmediate(resolve))
    if (published >= EVENTS && streams.size === 0) await new Promise((resolve) => setTimeout(resolve, 5))
    if (published >= EVENTS && cutNextFrame) await hub.publish('t', 'n', { i: published++ })
  }
  const total = published
  await waitFor(() => received.length >= total, `all ${total} events (got ${received.length})`, 60_000)
  const elapsed = Date.now() - started
  // Every drop cost a connection: the client comes back after each one, the last included.
  await waitFor(
    () => requests > midFrameCuts + wholeDrops && client.status === 'open',
    'the last reconnect',
    30_000,
  )
  client.close()

  expect(received).toEqual(Array.from({ length: total }, (_, i) => i))
  expect(new Set(ids).size).toBe(total)
  expect(resets).toBe(0)
  expect(midFrameCuts + wholeDrops).toBeGreaterThanOrEqual(DROPS)
  expect(midFrameCuts).toBeGreaterThanOrEqual(20)
  // Every reconnect resumed from the client's last id.
  expect(resumed).toBe(requests - 1)
  const stats = hub.stats()
  console.log(
    `[resilience] ${total} events delivered exactly once and in order in ${elapsed} ms; ` +
      `${midFrameCuts + wholeDrops} server-side drops (${midFrameCuts} mid-frame, ${wholeDrops} whole-socket); ` +
      `${requests} requests, ${resumed} resumed with Last-Event-ID; hub replayed ${stats.replayed}, ` +
      `frames written ${stats.delivered}; client errors ${JSON.stringify(Object.fromEntries(errors))}`,
  )
  await hub.close()
  await server.close()
}, 120_000)
