import { describe, expectTypeOf, it } from 'vitest'
import { createHub, type PublishResult } from '../src/index.js'

type Events = {
  'order.updated': { id: string; status: 'paid' | 'shipped' }
  'chat.message': string
}

describe('typed events', () => {
  const hub = createHub<Events>()

  it('accepts a known event with its payload', () => {
    expectTypeOf(hub.publish('orders', 'order.updated', { id: '1', status: 'paid' })).toEqualTypeOf<
      Promise<PublishResult>
    >()
    expectTypeOf(hub.publish(['a', 'b'], 'chat.message', 'hi', { key: 'k' })).toEqualTypeOf<
      Promise<PublishResult>
    >()
  })

  it('rejects an unknown event name', () => {
    // @ts-expect-error — 'order.deleted' is not in Events
    void hub.publish('orders', 'order.deleted', { id: '1' })
  })

  it('rejects a wrong payload', () => {
    // @ts-expect-error — status must be 'paid' | 'shipped'
    void hub.publish('orders', 'order.updated', { id: '1', status: 'lost' })
    // @ts-expect-error — chat.message carries a string
    void hub.publish('chat', 'chat.message', { text: 'hi' })
  })

  it('types schemas by event', () => {
    createHub<Events>({
      schemas: {
        'chat.message': {
          // @ts-expect-error — a schema whose output is a number does not fit 'chat.message' (a string)
          '~standard': { version: 1, vendor: 'x', validate: (v: unknown) => ({ value: v as number }) },
        },
      },
    })
  })
})
