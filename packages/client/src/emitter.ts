// biome-ignore lint/suspicious/noExplicitAny: one registry holds handlers of many signatures
type Handler = (...args: any[]) => void

/** A minimal synchronous emitter keyed by string. @internal */
export interface Emitter {
  /**
   * @param key - an event name, or an internal lifecycle key
   * @param handler - called with what `emit` passes
   * @returns a function that removes the handler
   */
  on(key: string, handler: Handler): () => void
  /**
   * Calls the handlers of `key` in registration order.
   *
   * @param key - the key
   * @param args - passed to every handler
   */
  emit(key: string, ...args: unknown[]): void
}

/**
 * Creates an {@link Emitter}. A throwing handler does not stop the others or the caller: as with
 * `EventTarget` (`reportError`), its exception is rethrown from a microtask, i.e. it surfaces as uncaught.
 *
 * @returns an emitter
 * @example
 * ```ts
 * const emitter = createEmitter()
 * const off = emitter.on('x', (n: number) => console.log(n))
 * emitter.emit('x', 1)
 * off()
 * ```
 * @internal
 */
export function createEmitter(): Emitter {
  const handlers = new Map<string, Set<Handler>>()
  return {
    on(key, handler) {
      const set = handlers.get(key) ?? new Set()
      handlers.set(key, set.add(handler))
      return () => {
        set.delete(handler)
      }
    },
    emit(key, ...args) {
      for (const handler of handlers.get(key) ?? []) {
        try {
          handler(...args)
        } catch (cause) {
          queueMicrotask(() => {
            throw cause
          })
        }
      }
    },
  }
}
