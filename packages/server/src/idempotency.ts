import { createHash } from 'node:crypto'
import { HttpError } from './http.js'
import type { PublishItem } from './publish.js'

/** A keyed item as the ledger knows it: computed once per request by `check`, reused by `record`. */
export interface LedgerEntry {
  /** The key core is given: the publisher's `sub` and the key, hashed (fixed length, no separator games). */
  readonly scoped: string
  /** Hash of the item's content (topics, event, data), object keys sorted. */
  readonly hash: string
}

/**
 * Remembers, per publisher-scoped idempotency key, a hash of what was published with it, so the
 * same key with other content answers 409 (core dedupes by key alone). Bounded: entries expire
 * with core's key TTL, and the oldest go first beyond `maxKeys`.
 */
export interface IdempotencyLedger {
  /**
   * Checks every keyed item of a batch against the ledger and against each other.
   *
   * @returns for each item, in order, its {@link LedgerEntry}, or undefined when it has no key
   * @throws {@link HttpError} `IDEMPOTENCY_CONFLICT`
   */
  check(sub: string, items: readonly PublishItem[]): (LedgerEntry | undefined)[]
  /** Records a published (or deduplicated) item, as returned by `check`. */
  record(entry: LedgerEntry): void
  /** Keys remembered right now. */
  readonly size: number
}

/**
 * Creates the ledger.
 *
 * @param options - `ttlMs` (as core's `keyTtlMs`, default 10 min), `maxKeys` (default 100,000)
 * @returns the {@link IdempotencyLedger}
 * @example
 * ```ts
 * const ledger = createIdempotencyLedger({ ttlMs: 600_000 })
 * const entries = ledger.check('alice', items) // throws IDEMPOTENCY_CONFLICT on a reused key with new content
 * ```
 */
export function createIdempotencyLedger(
  options: { ttlMs?: number; maxKeys?: number } = {},
): IdempotencyLedger {
  const ttlMs = options.ttlMs ?? 10 * 60 * 1000
  const maxKeys = options.maxKeys ?? 100_000
  const entries = new Map<string, { hash: string; expiresAt: number }>()

  return {
    check(sub, items) {
      const now = Date.now()
      const inBatch = new Map<string, string>()
      return items.map((item) => {
        if (item.key === undefined) return undefined
        const scoped = createHash('sha256')
          .update(JSON.stringify([sub, item.key]))
          .digest('base64url')
        const hash = contentHash(item)
        const seen = inBatch.get(scoped) ?? live(entries.get(scoped), now)
        if (seen !== undefined && seen !== hash) {
          throw new HttpError(
            'IDEMPOTENCY_CONFLICT',
            `the idempotency key ${JSON.stringify(item.key)} was already used for a different event; use a new key`,
          )
        }
        inBatch.set(scoped, hash)
        return { scoped, hash }
      })
    },
    record({ scoped, hash }) {
      const now = Date.now()
      if (live(entries.get(scoped), now) !== undefined) return
      entries.delete(scoped)
      // Insertion order is age order: drop expired entries and, past the bound, the oldest.
      for (const [k, v] of entries) {
        if (v.expiresAt > now && entries.size < maxKeys) break
        entries.delete(k)
      }
      entries.set(scoped, { hash, expiresAt: now + ttlMs })
    },
    get size() {
      return entries.size
    },
  }
}

function live(entry: { hash: string; expiresAt: number } | undefined, now: number): string | undefined {
  return entry !== undefined && entry.expiresAt > now ? entry.hash : undefined
}

function contentHash(item: PublishItem): string {
  return createHash('sha256')
    .update(canonical([[...item.topics].sort(), item.event, item.data]))
    .digest('base64url')
}

// JSON with object keys sorted, so a retry that reorders keys is still the same content. Recursive:
// bodies are refused beyond MAX_JSON_DEPTH (publish.ts) before they get here.
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (typeof value === 'object' && value !== null) {
    const keys = Object.keys(value).sort()
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`
  }
  return JSON.stringify(value) ?? 'null'
}
