import { describe, expect, it } from 'vitest'
import { sse } from '../../src/adapters/web.js'
import { createHub } from '../../src/index.js'

describe('web adapter', () => {
  it('does not keep a stream whose request was aborted before it was admitted', async () => {
    const hub = createHub()
    const controller = new AbortController()
    const handler = sse(hub, {
      topics: ['t'],
      // The peer leaves while authentication is still running.
      authenticate: async () => {
        controller.abort()
        return { id: 'u' }
      },
    })
    const response = await handler(new Request('http://localhost/events', { signal: controller.signal }))
    // Checked before the body is touched: nothing else would ever close this stream.
    expect(hub.stats().connections).toBe(0)
    await response.body?.cancel().catch(() => undefined)
    await hub.close()
  })
})
