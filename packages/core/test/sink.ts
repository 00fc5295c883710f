import type { Sink } from '../src/index.js'

const decoder = new TextDecoder()

/** A sink that records what the hub writes. Stands in for a socket in unit tests (the hub is real). */
export class RecordingSink implements Sink {
  writes: Uint8Array[][] = []
  ended = false
  buffered = 0
  write(chunks: readonly Uint8Array[]): void {
    if (this.ended) throw new Error('write after end')
    this.writes.push([...chunks])
  }
  bufferedBytes(): number {
    return this.buffered
  }
  end(): void {
    this.ended = true
  }
  get text(): string {
    return this.writes.map((chunks) => chunks.map((c) => decoder.decode(c)).join('')).join('')
  }
}

/** Resolves after the hub's per-tick flush has run (it is scheduled with setImmediate after microtasks). */
export async function nextTick(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve))
  await new Promise((resolve) => setImmediate(resolve))
}
