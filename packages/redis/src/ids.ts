import { MAX_EVENT_ID_LENGTH } from '@notify/core'

// A Redis Stream id: `<ms>-<seq>`, each part an unsigned 64-bit integer.
const STREAM_ID = /^(\d{1,20})-(\d{1,20})$/
const U64_MAX = '18446744073709551615'

/**
 * The `<ms>-<seq>` parts of a Stream id without leading zeros, or undefined when `id` is not one
 * (wrong shape, a part above 2^64 - 1, longer than {@link MAX_EVENT_ID_LENGTH}).
 */
export function parseStreamId(id: string): readonly [string, string] | undefined {
  if (id.length > MAX_EVENT_ID_LENGTH) return undefined
  const match = STREAM_ID.exec(id)
  if (match === null) return undefined
  const ms = trimZeros(match[1]!)
  const seq = trimZeros(match[2]!)
  if (compareDigits(ms, U64_MAX) > 0 || compareDigits(seq, U64_MAX) > 0) return undefined
  return [ms, seq]
}

/**
 * Orders two Stream ids as Redis does: milliseconds, then sequence, exact up to 2^64 - 1.
 * Ids that do not parse (never issued by the store) fall back to plain string order.
 */
export function compareStreamIds(a: string, b: string): number {
  const pa = parseStreamId(a)
  const pb = parseStreamId(b)
  if (pa === undefined || pb === undefined) return a < b ? -1 : a > b ? 1 : 0
  return compareDigits(pa[0], pb[0]) || compareDigits(pa[1], pb[1])
}

// Decimal strings without leading zeros: the longer is larger, equal lengths compare as text.
// Plain numbers would lose precision above 2^53, and BigInt allocates on the hot path.
function compareDigits(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length
  return a < b ? -1 : a > b ? 1 : 0
}

function trimZeros(digits: string): string {
  let i = 0
  while (i < digits.length - 1 && digits.charCodeAt(i) === 48) i++
  return i === 0 ? digits : digits.slice(i)
}
