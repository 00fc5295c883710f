/**
 * The one timer behind every heartbeat of a hub (never one per connection). It runs only
 * while the hub has connections (whose sockets keep the process alive anyway), so an idle
 * or closed hub holds no timer.
 */
export interface SharedTimer {
  /** Starts the timer if it is not running. */
  start(): void
  /** Stops it; `start()` may run it again. */
  stop(): void
  readonly running: boolean
}

/**
 * @param intervalMs - tick period
 * @param tick - called on every tick
 * @returns the timer, stopped
 */
export function createSharedTimer(intervalMs: number, tick: () => void): SharedTimer {
  let handle: ReturnType<typeof setInterval> | undefined
  return {
    start() {
      if (handle !== undefined) return
      // Call through the global each time: fake timers (tests) replace it after import.
      handle = setInterval(() => tick(), intervalMs)
    },
    stop() {
      if (handle === undefined) return
      clearInterval(handle)
      handle = undefined
    },
    get running() {
      return handle !== undefined
    },
  }
}

/**
 * Runs `fn` once after the current tick's I/O and microtasks: `setImmediate` where it exists
 * (Node, Bun), else a zero timeout. Frames published in one tick are flushed together.
 */
export function afterTick(fn: () => void): void {
  const immediate = (globalThis as { setImmediate?: (cb: () => void) => unknown }).setImmediate
  if (typeof immediate === 'function') immediate(fn)
  else setTimeout(fn, 0)
}
