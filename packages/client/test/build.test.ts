import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ScriptedServer, closed, record, scriptedServer } from './helpers.js'

// What we publish, not what we link: the built files (global-setup.ts rebuilds them when stale) must
// load under `import` and `require` and work on their own: eventsource-parser 4 (ESM-only, engines
// node >= 22.12) is bundled into both, so Node 20 `require('@notify/client')` works.

type ClientModule = typeof import('../src/index.js')
const dist = new URL('../dist/', import.meta.url)
const read = (file: string) => readFileSync(new URL(file, dist), 'utf8')

let server: ScriptedServer
beforeAll(async () => {
  server = await scriptedServer([], {
    chunks: [
      ': notify heartbeat=15000\n\nid: 1-1\nevent: order.updated\ndata: {"id":"1","status":"paid"}\n\n',
    ],
  })
})
afterAll(() => server.close())

async function roundTrip(module: ClientModule): Promise<unknown[]> {
  const client = module.createClient<{ 'order.updated': { id: string; status: string } }>(
    `${server.url}/events`,
    {
      maxRetries: 0,
    },
  )
  const seen = record(client)
  await closed(client)
  return seen.events
}

describe('built package', () => {
  it('the ESM build (dist/index.js) loads and receives an event', async () => {
    const esm = (await import(new URL('index.js', dist).href)) as ClientModule
    expect(await roundTrip(esm)).toEqual([['order.updated', { id: '1', status: 'paid' }, '1-1']])
  })

  it('the CJS build (dist/index.cjs) loads with require and receives an event', async () => {
    const cjs = createRequire(import.meta.url)('../dist/index.cjs') as ClientModule
    expect(await roundTrip(cjs)).toEqual([['order.updated', { id: '1', status: 'paid' }, '1-1']])
    expect(Object.keys(cjs).sort()).toEqual(Object.keys(await import('../src/index.js')).sort())
  })

  it('eventsource-parser is inlined, not imported, and is not a runtime dependency', () => {
    for (const file of ['index.js', 'index.cjs']) {
      expect(read(file)).not.toMatch(/eventsource-parser['"]/)
      expect(read(file)).toContain('function createParser(')
    }
    for (const file of ['index.d.ts', 'index.d.cts']) expect(read(file)).not.toContain('eventsource-parser')
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
    expect(pkg.dependencies ?? {}).toEqual({})
    expect(pkg.devDependencies['eventsource-parser']).toMatch(/^\^4\./)
  })

  it('a throwing handler surfaces as an uncaught exception; other handlers and the stream carry on', () => {
    // In a child process, since an uncaught exception is exactly what is being checked.
    const script = `
      const { createClient } = require(${JSON.stringify(new URL('index.cjs', dist).pathname)})
      const uncaught = []
      process.on('uncaughtException', (error) => uncaught.push(error.message))
      const body = new ReadableStream({
        start(c) { c.enqueue(new TextEncoder().encode('data: 1\\n\\ndata: 2\\n\\n')); c.close() },
      })
      const headers = { 'content-type': 'text/event-stream' }
      const client = createClient('http://x/events', { retry: false, fetch: async () => new Response(body, { headers }) })
      const got = []
      client.on('message', (data) => { if (data === 1) throw new Error('boom') })
      client.on('message', (data) => got.push(data))
      client.onStatus((status) => status === 'closed' && setTimeout(() => console.log(JSON.stringify({ got, uncaught }))))
    `
    const output = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })
    expect(JSON.parse(output)).toEqual({ got: [1, 2], uncaught: ['boom'] })
  })

  it('the browser bundle stays within its 5 KB gzip budget', () => {
    const output = execFileSync('node', [new URL('../scripts/size.mjs', import.meta.url).pathname], {
      encoding: 'utf8',
    })
    const gzipped = Number(/(\d+) B gzipped/.exec(output)?.[1])
    expect(gzipped).toBeGreaterThan(2000)
    expect(gzipped).toBeLessThanOrEqual(5 * 1024)
  })
})
