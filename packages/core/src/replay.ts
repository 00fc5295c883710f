import { integerOption } from './validate.js'
import type {
  AppendInput,
  AppendResult,
  LogEntry,
  ReadAfterResult,
  ReplayOptions,
  ReplayStore,
} from './types.js'

/** Longest `Last-Event-ID` any store accepts; longer ones are treated as unknown. */
export const MAX_EVENT_ID_LENGTH = 256

const DEFAULT_MAX_EVENTS = 10_000
const DEFAULT_MAX_AGE_MS = 60 * 60 * 1000
const DEFAULT_MAX_KEYS = 100_000
const DEFAULT_MAX_BYTES = 64 * 1024 * 1024
// Rough per-entry overhead (objects, id string) on top of the strings, for the byte budget.
const ENTRY_OVERHEAD_BYTES = 128
const ID_PATTERN = /^(\d{1,16})-(\d{1,16})$/

/** Options of {@link memoryReplayStore}. */
export interface MemoryReplayStoreOptions extends ReplayOptions {
  /** Idempotency keys remembered at most; the oldest go first. @defaultValue 100000 */
  maxKeys?: number
}

interface Slot {
  readonly seq: number
  readonly at: number
  readonly bytes: number
  readonly entry: LogEntry
}

let lastEpoch = 0

// Strictly increasing within a process, so two hubs started in the same millisecond
// (tests, hot reload) never hand out ids the other would accept.
function nextEpoch(): number {
  lastEpoch = Math.max(Date.now(), lastEpoch + 1)
  return lastEpoch
}

/**
 * The default log: an in-memory ring of the newest events, shared by all topics.
 * Ids are `<epoch>-<seq>`; the epoch is fixed when the store is created, so ids from
 * an earlier process are answered with `unknown`, never confused with new ones.
 *
 * @param options - retention (`maxEvents`, `maxAgeMs`, `maxBytes`) and `maxKeys`
 * @returns a {@link ReplayStore}
 * @example
 * ```ts
 * const hub = createHub({ store: memoryReplayStore({ maxEvents: 50_000 }) })
 * ```
 */
export function memoryReplayStore(options: MemoryReplayStoreOptions = {}): ReplayStore {
  const maxEvents = integerOption(options.maxEvents, DEFAULT_MAX_EVENTS, 'replay.maxEvents')
  const maxAgeMs = integerOption(options.maxAgeMs, DEFAULT_MAX_AGE_MS, 'replay.maxAgeMs')
  const maxKeys = integerOption(options.maxKeys, DEFAULT_MAX_KEYS, 'maxKeys')
  const maxBytes = integerOption(options.maxBytes, DEFAULT_MAX_BYTES, 'replay.maxBytes')
  const epoch = nextEpoch()
  const prefix = `${epoch}-`
  let slots: Slot[] = []
  let start = 0 // index of the oldest retained slot in `slots`
  let seq = 0
  let evictedThrough = 0 // highest seq dropped from the log
  let retainedBytes = 0
  const keys = new Map<string, { id: string; expiresAt: number }>()

  function evict(now: number): void {
    const oldest = now - maxAgeMs
    while (
      start < slots.length &&
      (slots.length - start > maxEvents || retainedBytes > maxBytes || slots[start]!.at <= oldest)
    ) {
      evictedThrough = slots[start]!.seq
      retainedBytes -= slots[start]!.bytes
      start++
    }
    // Compact once the dead prefix is as large as the live part: amortised O(1) per event.
    if (start > 1024 && start * 2 >= slots.length) {
      slots = slots.slice(start)
      start = 0
    }
  }

  function rememberKey(key: string, id: string, now: number, ttl: number): void {
    for (const [k, v] of keys) {
      if (v.expiresAt > now && keys.size < maxKeys) break
      keys.delete(k)
    }
    keys.set(key, { id, expiresAt: now + ttl })
  }

  function parse(id: string): { epoch: number; seq: number } | undefined {
    if (id.length > MAX_EVENT_ID_LENGTH) return undefined
    const match = ID_PATTERN.exec(id)
    if (match === null) return undefined
    const parsed = { epoch: Number(match[1]), seq: Number(match[2]) }
    // One spelling per id: `0<epoch>-1` or `<epoch>-01` is not an id this store issued.
    return `${parsed.epoch}-${parsed.seq}` === id ? parsed : undefined
  }

  return {
    async append(input: AppendInput): Promise<AppendResult> {
      const now = Date.now()
      if (input.key !== undefined) {
        const seen = keys.get(input.key)
        if (seen !== undefined && seen.expiresAt > now) return { id: seen.id, duplicate: true }
      }
      seq++
      const entry: LogEntry = { id: prefix + seq, topics: input.topics, event: input.event, data: input.data }
      // UTF-16 length × 2 bounds the strings' memory whatever their content.
      let bytes = ENTRY_OVERHEAD_BYTES + 2 * (entry.data.length + entry.event.length + entry.id.length)
      for (const topic of entry.topics) bytes += 2 * topic.length
      retainedBytes += bytes
      slots.push({ seq, at: now, bytes, entry })
      evict(now)
      if (input.key !== undefined) rememberKey(input.key, entry.id, now, input.keyTtlMs)
      return { id: entry.id, duplicate: false, entry }
    },

    async head(): Promise<string> {
      return prefix + seq
    },

    async readAfter(lastId: string, topics: ReadonlySet<string>): Promise<ReadAfterResult> {
      const position = parse(lastId)
      if (position === undefined || position.epoch !== epoch || position.seq > seq) {
        return { ok: false, reason: 'unknown' }
      }
      evict(Date.now())
      if (position.seq < evictedThrough) return { ok: false, reason: 'evicted' }
      const events: LogEntry[] = []
      const firstSeq = start < slots.length ? slots[start]!.seq : seq + 1
      for (let i = start + Math.max(0, position.seq + 1 - firstSeq); i < slots.length; i++) {
        const entry = slots[i]!.entry
        if (entry.topics.some((topic) => topics.has(topic))) events.push(entry)
      }
      return { ok: true, events, head: prefix + seq }
    },

    compare(a: string, b: string): number {
      const pa = parse(a)
      const pb = parse(b)
      if (pa === undefined || pb === undefined) return a < b ? -1 : a > b ? 1 : 0
      return pa.epoch !== pb.epoch ? pa.epoch - pb.epoch : pa.seq - pb.seq
    },
  }
}
