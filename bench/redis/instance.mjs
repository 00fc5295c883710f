// One notify instance for bench/redis/latency.mjs: node:http + @notify/core/node + the built
// @notify/redis (run `pnpm --filter @notify/redis build` first). Env: REDIS_URL, PREFIX.
// GET /events?topic=…  SSE stream.  POST /burst?n=&concurrency=  publishes n events from here.
import { createServer } from 'node:http'
import { createHub } from '@notify/core'
import { sse } from '@notify/core/node'
import { redisBackplane } from '../../packages/redis/dist/index.js'
import { serve } from '../../packages/redis/test/fixtures/serve.mjs'

const backplane = redisBackplane({ url: process.env.REDIS_URL }, { prefix: process.env.PREFIX ?? 'bench' })
const hub = createHub({ backplane, heartbeatMs: 15_000, maxBufferedBytes: 64 * 1024 * 1024 })
const events = sse(hub, { topics: ['bench'] })
const INSTANCE = Number(process.env.INSTANCE ?? 0)

async function burst(n, concurrency, rate) {
  let next = 0
  let failed = 0
  const gapMs = rate > 0 ? 1000 / rate : 0
  const started = performance.now()
  async function worker() {
    while (next < n) {
      const seq = next++
      if (gapMs > 0) {
        const due = started + seq * gapMs
        const wait = due - performance.now()
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
      }
      // Wall-clock send time: the bench process reads it with the same clock.
      const t = performance.timeOrigin + performance.now()
      await hub.publish('bench', 'tick', { from: INSTANCE, seq, t }).catch(() => failed++)
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  return { published: n - failed, failed, ms: performance.now() - started }
}

const server = createServer(async (req, res) => {
  const url = new URL(req.url, 'http://x')
  if (url.pathname === '/events') return events(req, res)
  if (url.pathname === '/burst') {
    const n = Number(url.searchParams.get('n'))
    const concurrency = Number(url.searchParams.get('concurrency') ?? 1)
    const rate = Number(url.searchParams.get('rate') ?? 0)
    const result = await burst(n, concurrency, rate)
    res.writeHead(200, { 'content-type': 'application/json' })
    return res.end(JSON.stringify(result))
  }
  res.writeHead(404).end()
})

await serve(hub, server)
