// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest'
import {
  type NotifyClient,
  browserNetwork,
  browserSessionStorage,
  browserVisibility,
  createClient,
} from '../src/index.js'
import { fakeFetch } from './fake-fetch.js'
import { record, waitFor } from './helpers.js'

// The browser integrations read from happy-dom's window: navigator.onLine with online/offline events,
// document.visibilityState with visibilitychange, sessionStorage. No `network`/`visibility`/`storage`
// option is passed: the defaults must find them. fetch is injected (the network is outside the unit).

let online = true
let visibility: 'visible' | 'hidden' = 'visible'
Object.defineProperty(navigator, 'onLine', { configurable: true, get: () => online })
Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => visibility })

const setOnline = (value: boolean) => {
  online = value
  window.dispatchEvent(new Event(value ? 'online' : 'offline'))
}
const setVisibility = (value: 'visible' | 'hidden') => {
  visibility = value
  document.dispatchEvent(new Event('visibilitychange'))
}
const tick = (ms = 30) => new Promise((resolve) => setTimeout(resolve, ms))

let client: NotifyClient | undefined
afterEach(() => {
  client?.close()
  client = undefined
  online = true
  visibility = 'visible'
  sessionStorage.clear()
})

describe('browser environment (happy-dom)', () => {
  it('finds the window sources', () => {
    expect(browserNetwork()?.online).toBe(true)
    expect(browserVisibility()?.hidden).toBe(false)
    expect(browserSessionStorage()).toBe(sessionStorage)
  })

  it('makes no attempt while navigator.onLine is false, and connects at once on `online`', async () => {
    online = false
    const net = fakeFetch(() => ({ stream: ['data: 1\n\n'], hold: true }))
    client = createClient('https://example.test/events', { fetch: net.fetch })
    await tick(100)
    expect(net.calls).toHaveLength(0)
    expect(client.status).toBe('connecting')
    setOnline(true)
    await waitFor(() => client?.status === 'open', 'open after online')
    expect(net.calls).toHaveLength(1)
  })

  it('`online` skips a long backoff wait', async () => {
    const net = fakeFetch((n) => (n === 0 ? { status: 503 } : { stream: [':\n\n'], hold: true }))
    client = createClient('https://example.test/events', { fetch: net.fetch, initialDelayMs: 600_000 })
    await waitFor(() => client?.status === 'reconnecting', 'the 503')
    setOnline(false)
    setOnline(true)
    await waitFor(() => client?.status === 'open', 'reconnected at once')
    expect(net.calls).toHaveLength(2)
  })

  it('an `offline` event alone does not drop an open stream (the heartbeat decides)', async () => {
    const net = fakeFetch(() => ({ stream: [':\n\n'], hold: true }))
    client = createClient('https://example.test/events', { fetch: net.fetch })
    await waitFor(() => client?.status === 'open', 'open')
    setOnline(false)
    await tick()
    expect(client.status).toBe('open')
  })

  it('pauseWhenHidden disconnects on hidden without an error, and resumes with Last-Event-ID on visible', async () => {
    const net = fakeFetch((n) => ({ stream: [`id: ${n + 1}\ndata: ${n + 1}\n\n`], hold: true }))
    client = createClient('https://example.test/events', { fetch: net.fetch, pauseWhenHidden: true })
    const seen = record(client)
    await waitFor(() => seen.events.length === 1, 'the first event')
    setVisibility('hidden')
    expect(client.status).toBe('reconnecting')
    expect(net.calls[0]?.init.signal?.aborted).toBe(true)
    await tick(100)
    expect(net.calls).toHaveLength(1)
    setVisibility('visible')
    await waitFor(() => seen.events.length === 2, 'the event after resuming')
    expect(net.calls.map((call) => call.headers['last-event-id'])).toEqual([undefined, '1'])
    expect(seen.errors).toEqual([])
    expect(seen.statuses).toEqual(['connecting', 'open', 'reconnecting', 'open'])
  })

  it('a client created while hidden waits for visible', async () => {
    visibility = 'hidden'
    const net = fakeFetch(() => ({ stream: [':\n\n'], hold: true }))
    client = createClient('https://example.test/events', { fetch: net.fetch, pauseWhenHidden: true })
    await tick(100)
    expect(net.calls).toHaveLength(0)
    setVisibility('visible')
    await waitFor(() => client?.status === 'open', 'open')
  })

  it('without pauseWhenHidden, hiding the page changes nothing', async () => {
    const net = fakeFetch(() => ({ stream: [':\n\n'], hold: true }))
    client = createClient('https://example.test/events', { fetch: net.fetch })
    await waitFor(() => client?.status === 'open', 'open')
    setVisibility('hidden')
    await tick()
    expect(client.status).toBe('open')
    expect(net.calls).toHaveLength(1)
  })

  it('persistLastEventId keeps the id in sessionStorage, so a reload resumes', async () => {
    const net = fakeFetch(() => ({ stream: ['id: 41\ndata: 1\n\nid: 42\ndata: 2\n\n'], hold: true }))
    client = createClient('https://example.test/events', {
      fetch: net.fetch,
      persistLastEventId: 'notify:last',
    })
    await waitFor(() => client?.lastEventId === '42', 'the second id')
    expect(sessionStorage.getItem('notify:last')).toBe('42')
    client.close()
    // "Reload": a new client with the same key.
    client = createClient('https://example.test/events', {
      fetch: net.fetch,
      persistLastEventId: 'notify:last',
    })
    expect(client.lastEventId).toBe('42')
    await waitFor(() => net.calls.length === 2, 'the second request')
    expect(net.calls[1]?.headers['last-event-id']).toBe('42')
  })

  it('without persistLastEventId nothing is written to sessionStorage', async () => {
    const net = fakeFetch(() => ({ stream: ['id: 1\ndata: 1\n\n'], hold: true }))
    client = createClient('https://example.test/events', { fetch: net.fetch })
    await waitFor(() => client?.lastEventId === '1', 'the id')
    expect(sessionStorage.length).toBe(0)
  })

  it('close() removes the window listeners', async () => {
    online = false
    const net = fakeFetch(() => ({ stream: [':\n\n'], hold: true }))
    client = createClient('https://example.test/events', { fetch: net.fetch, pauseWhenHidden: true })
    client.close()
    setOnline(true)
    setVisibility('hidden')
    setVisibility('visible')
    await tick(50)
    expect(net.calls).toHaveLength(0)
    expect(client.status).toBe('closed')
  })
})
