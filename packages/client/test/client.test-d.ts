import { describe, expectTypeOf, it } from 'vitest'
import {
  type ClientEvent,
  type ClientStatus,
  type EventMeta,
  type NotifyClientError,
  type NotifyClientErrorCode,
  type ResetInfo,
  type StandardSchemaV1,
  createClient,
} from '../src/index.js'

type Events = { 'order.updated': { id: string; status: string }; ping: number }
const client = createClient<Events>('/events', { lazy: true })

describe('types', () => {
  it('on() is typed by the event map', () => {
    client.on('order.updated', (order, meta) => {
      expectTypeOf(order).toEqualTypeOf<{ id: string; status: string }>()
      expectTypeOf(meta).toEqualTypeOf<EventMeta<'order.updated'>>()
      expectTypeOf(meta.event).toEqualTypeOf<'order.updated'>()
    })
    client.on('ping', (n) => expectTypeOf(n).toEqualTypeOf<number>())
    // @ts-expect-error an unknown event name
    client.on('order.deleted', () => {})
    // @ts-expect-error a wrong payload type
    client.on('ping', (n: string) => n)
    expectTypeOf(client.on('ping', () => {})).toEqualTypeOf<() => void>()
  })

  it('onAny and events() yield a union discriminated by event', async () => {
    client.onAny((item) => {
      if (item.event === 'ping') expectTypeOf(item.data).toEqualTypeOf<number>()
      else expectTypeOf(item.data).toEqualTypeOf<{ id: string; status: string }>()
      expectTypeOf(item.receivedAt).toEqualTypeOf<number>()
    })
    for await (const item of client.events()) expectTypeOf(item).toEqualTypeOf<ClientEvent<Events>>()
    for await (const item of client) expectTypeOf(item.id).toEqualTypeOf<string>()
  })

  it('lifecycle handlers have their own signatures', () => {
    client.onError((error) => expectTypeOf(error).toEqualTypeOf<NotifyClientError>())
    client.onReset((reset) => expectTypeOf(reset).toEqualTypeOf<ResetInfo>())
    client.onStatus((status, previous) => {
      expectTypeOf(status).toEqualTypeOf<ClientStatus>()
      expectTypeOf(previous).toEqualTypeOf<'connecting' | 'open' | 'reconnecting' | 'closed'>()
    })
    expectTypeOf(client.status).toEqualTypeOf<ClientStatus>()
    expectTypeOf(client.lastEventId).toEqualTypeOf<string>()
  })

  it("errors carry the server's code, and INVALID_URL is a code", () => {
    client.onError((error) => expectTypeOf(error.serverCode).toEqualTypeOf<string | undefined>())
    expectTypeOf<'INVALID_URL'>().toExtend<NotifyClientErrorCode>()
  })

  it('schemas must produce the event type', () => {
    const num = {} as StandardSchemaV1<unknown, number>
    const str = {} as StandardSchemaV1<unknown, string>
    createClient<Events>('/events', { schemas: { ping: num } })
    // @ts-expect-error a schema whose output is not the payload type
    createClient<Events>('/events', { schemas: { ping: str } })
  })

  it('without a map, any name and unknown data', () => {
    createClient('/events').on('anything', (data) => expectTypeOf(data).toEqualTypeOf<unknown>())
  })
})
