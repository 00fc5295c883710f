import { createParser, type EventSourceMessage } from 'eventsource-parser'
import { describe, expect, it } from 'vitest'
import { encodeEvent, isNotifyError, type SseFrame } from '../src/index.js'

function parse(text: string): {
  events: EventSourceMessage[]
  ids: string[]
  retries: number[]
  comments: string[]
} {
  const out = {
    events: [] as EventSourceMessage[],
    ids: [] as string[],
    retries: [] as number[],
    comments: [] as string[],
  }
  const parser = createParser({
    onEvent: (e) => out.events.push(e),
    onId: (id) => out.ids.push(id),
    onRetry: (r) => out.retries.push(r),
    onComment: (c) => out.comments.push(c),
  })
  parser.feed(text)
  return out
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (error) {
    return isNotifyError(error) ? error.code : `not a NotifyError: ${String(error)}`
  }
  return undefined
}

describe('encodeEvent', () => {
  it('writes id, event and data lines ending in a blank line', () => {
    expect(encodeEvent({ id: '1-7', event: 'order.updated', data: '{"id":"1"}' })).toBe(
      'id: 1-7\nevent: order.updated\ndata: {"id":"1"}\n\n',
    )
  })

  it('splits data on CRLF, CR and LF into one data line each', () => {
    expect(encodeEvent({ data: 'a\r\nb\rc\nd' })).toBe('data: a\ndata: b\ndata: c\ndata: d\n\n')
  })

  it('keeps empty lines of data, so trailing newlines survive (C-32, C-33)', () => {
    expect(encodeEvent({ data: 'a\n\nb\n' })).toBe('data: a\ndata:\ndata: b\ndata:\n\n')
    expect(parse(encodeEvent({ data: 'a\n\nb\n' })).events[0]?.data).toBe('a\n\nb\n')
  })

  it('writes an empty payload as data: so it still dispatches (E-5)', () => {
    expect(encodeEvent({ data: '' })).toBe('data:\n\n')
    expect(parse(encodeEvent({ data: '' })).events).toHaveLength(1)
  })

  it('keeps a leading space of data (E-2, C-24)', () => {
    expect(parse(encodeEvent({ data: ' x' })).events[0]?.data).toBe(' x')
  })

  it('writes retry: 0 and an empty id (optional fields tested with !== undefined)', () => {
    expect(encodeEvent({ retry: 0 })).toBe('retry: 0\n\n')
    expect(encodeEvent({ id: '' })).toBe('id:\n\n')
    expect(
      parse(`${encodeEvent({ id: '5', data: 'a' })}${encodeEvent({ id: '', data: 'b' })}`).events[1]?.id,
    ).toBe('')
  })

  it('splits comments into comment lines and never dispatches them', () => {
    expect(encodeEvent({ comment: 'one\ntwo' })).toBe(': one\n: two\n\n')
    const parsed = parse(encodeEvent({ comment: 'one\r\ntwo' }))
    expect(parsed.events).toHaveLength(0)
    expect(parsed.comments).toEqual(['one', 'two'])
  })

  it('writes an id-only frame that parsers record without dispatching', () => {
    const parsed = parse(encodeEvent({ id: '17-3' }))
    expect(parsed.events).toHaveLength(0)
    expect(parsed.ids).toEqual(['17-3'])
  })

  it.each([
    ['event with LF', { event: 'a\nevent: evil', data: 'x' }],
    ['event with CR', { event: 'a\rb', data: 'x' }],
    ['id with LF', { id: '1\ndata: evil' }],
    ['id with CR', { id: '1\r' }],
    ['id with NUL', { id: '1\u00002' }],
    ['negative retry', { retry: -1 }],
    ['fractional retry', { retry: 1.5 }],
    ['NaN retry', { retry: Number.NaN }],
    ['non-string data', { data: { a: 1 } as unknown as string }],
    ['nothing at all', {}],
  ])('rejects %s with INVALID_FIELD', (_name, frame) => {
    expect(codeOf(() => encodeEvent(frame as SseFrame))).toBe('INVALID_FIELD')
  })

  it('names the offending value and what to do in the message', () => {
    expect(() => encodeEvent({ event: 'a\nb' })).toThrow(/must not contain CR or LF/)
    expect(() => encodeEvent({ data: 1 as unknown as string })).toThrow(/JSON\.stringify/)
  })

  it('round-trips through eventsource-parser for random valid frames', () => {
    // Deterministic PRNG: failures reproduce.
    let seed = 0x2f6b
    const random = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff
      return seed / 0x7fffffff
    }
    const alphabet = ['a', 'Z', ' ', ':', '\n', '\r', '\r\n', 'é', '😀', '\u0000', '\t', 'data: x', 'id', '€']
    const text = (max: number, allowBreaks: boolean) => {
      let out = ''
      const length = Math.floor(random() * max)
      for (let i = 0; i < length; i++) {
        const piece = alphabet[Math.floor(random() * alphabet.length)]!
        if (!allowBreaks && /[\r\n\0]/.test(piece)) continue
        out += piece
      }
      return out
    }
    for (let i = 0; i < 2000; i++) {
      const data = text(12, true)
      const event = `e${text(6, false)}`
      const id = text(6, false)
      const parsed = parse(encodeEvent({ id, event, data }))
      expect(parsed.events).toHaveLength(1)
      const normalised = data.replace(/\r\n|\r/g, '\n')
      expect(parsed.events[0]).toEqual({ id, event, data: normalised })
    }
  })
})
