/**
 * Turns pushed values into an async iterator that ends when `onEnd` fires; values buffered before the
 * end are still yielded. `return()` (a `break` in `for await`) unsubscribes. The buffer is unbounded:
 * the consumer is expected to keep up. @internal
 *
 * @param subscribe - registers the push callback, returns its unsubscribe
 * @param onEnd - registers the end callback, returns its unsubscribe
 * @param ended - true to end at once (the source is already closed)
 * @returns an async iterable iterator
 * @example
 * ```ts
 * const iterator = iterate<number>((push) => emitter.on('n', push), (end) => emitter.on('end', end), false)
 * ```
 */
export function iterate<T>(
  subscribe: (push: (value: T) => void) => () => void,
  onEnd: (end: () => void) => () => void,
  ended: boolean,
): AsyncIterableIterator<T> {
  const buffer: T[] = []
  let waiters: (() => void)[] = []
  let finished = false
  const wake = () => {
    for (const waiter of waiters) waiter()
    waiters = []
  }
  const finish = () => {
    finished = true
    stopValues()
    stopEnd()
    wake()
  }
  const stopValues = subscribe((value) => {
    buffer.push(value)
    wake()
  })
  const stopEnd = onEnd(finish)
  if (ended) finish()
  const iterator: AsyncIterableIterator<T> = {
    async next() {
      while (buffer.length === 0 && !finished) await new Promise<void>((resolve) => waiters.push(resolve))
      // `done` is read before shift(): an empty buffer here means finished, and shift() gives undefined.
      return { done: buffer.length === 0, value: buffer.shift() as T }
    },
    async return() {
      buffer.length = 0
      finish()
      return iterator.next() // { value: undefined, done: true } now
    },
    [Symbol.asyncIterator]: () => iterator,
  }
  return iterator
}
