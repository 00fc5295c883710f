import { describe, expect, it } from 'vitest'
import { compareStreamIds, parseStreamId } from '../src/ids.js'

describe('parseStreamId', () => {
  it('accepts <ms>-<seq> and drops leading zeros', () => {
    expect(parseStreamId('1700000000000-0')).toEqual(['1700000000000', '0'])
    expect(parseStreamId('0001-0002')).toEqual(['1', '2'])
    expect(parseStreamId('18446744073709551615-18446744073709551615')).toEqual([
      '18446744073709551615',
      '18446744073709551615',
    ])
  })

  it.each([
    ['', 'empty'],
    ['123', 'no sequence'],
    ['1-2-3', 'three parts'],
    ['-1-0', 'a sign'],
    ['1.5-0', 'a fraction'],
    ['a-0', 'letters'],
    [' 1-0', 'whitespace'],
    ['18446744073709551616-0', 'ms above 2^64 - 1'],
    ['1-18446744073709551616', 'seq above 2^64 - 1'],
    ['123456789012345678901-0', 'more than 20 digits'],
    [`${'0'.repeat(250)}1-0000000`, 'longer than 256 characters'],
  ])('rejects %j (%s)', (id) => {
    expect(parseStreamId(id)).toBeUndefined()
  })
})

describe('compareStreamIds', () => {
  it('orders by milliseconds, then sequence, beyond 2^53', () => {
    expect(compareStreamIds('1-0', '2-0')).toBeLessThan(0)
    expect(compareStreamIds('10-0', '9-5')).toBeGreaterThan(0)
    expect(compareStreamIds('5-10', '5-9')).toBeGreaterThan(0)
    expect(compareStreamIds('5-3', '005-3')).toBe(0)
    expect(compareStreamIds('9007199254740993-0', '9007199254740992-0')).toBeGreaterThan(0)
    expect(compareStreamIds('1-9007199254740993', '1-9007199254740992')).toBeGreaterThan(0)
  })

  it('falls back to string order for ids that do not parse', () => {
    expect(compareStreamIds('b', 'a')).toBeGreaterThan(0)
    expect(compareStreamIds('a', 'a')).toBe(0)
  })
})
