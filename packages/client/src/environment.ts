// Browser integrations, each read from `globalThis` only when a client is created, never at import:
// the same build runs in Node, workers, service workers and server-side renderers (where
// `window`/`document` are absent), which is what Azure/fetch-event-source#39 got wrong.

/** Tells the client whether the network is up, and when that changes (the browser's `online`/`offline`). */
export interface NetworkSource {
  /** False while offline: the client makes no attempt. */
  readonly online: boolean
  /**
   * @param listener - called with the new state
   * @returns a function that removes the listener
   */
  subscribe(listener: (online: boolean) => void): () => void
}

/** Tells the client whether the page is hidden, and when that changes (`document.visibilityState`). */
export interface VisibilitySource {
  /** True while the page is hidden. */
  readonly hidden: boolean
  /**
   * @param listener - called with the new state
   * @returns a function that removes the listener
   */
  subscribe(listener: (hidden: boolean) => void): () => void
}

/** The part of `Storage` (`sessionStorage`) used to persist the last event id. */
export interface KeyValueStorage {
  /**
   * @param key - the `persistLastEventId` key
   * @returns the stored id, or null
   */
  getItem(key: string): string | null
  /**
   * @param key - the `persistLastEventId` key
   * @param value - the last event id (`''` after the server reset it)
   */
  setItem(key: string, value: string): void
}

interface Target {
  addEventListener(type: string, listener: () => void): void
  removeEventListener(type: string, listener: () => void): void
}
interface Globals extends Partial<Target> {
  navigator?: { onLine?: unknown }
  document?: Partial<Target> & { visibilityState?: unknown }
  sessionStorage?: KeyValueStorage
}

const g = (): Globals => globalThis as unknown as Globals

function listen(target: Target, types: Record<string, () => void>): () => void {
  for (const type in types) target.addEventListener(type, types[type]!)
  return () => {
    for (const type in types) target.removeEventListener(type, types[type]!)
  }
}

/**
 * The browser's network state (`navigator.onLine` and `online`/`offline` on `globalThis`).
 *
 * @returns a {@link NetworkSource}, or undefined outside browsers and workers
 * @example
 * ```ts
 * createClient('/events', { network: browserNetwork() })
 * ```
 */
export function browserNetwork(): NetworkSource | undefined {
  const target = g()
  if (typeof target.addEventListener !== 'function' || typeof target.navigator?.onLine !== 'boolean')
    return undefined
  return {
    get online() {
      return target.navigator?.onLine !== false
    },
    subscribe: (listener) =>
      listen(target as Target, { online: () => listener(true), offline: () => listener(false) }),
  }
}

/**
 * The page's visibility (`document.visibilityState` and `visibilitychange`).
 *
 * @returns a {@link VisibilitySource}, or undefined without a `document`
 * @example
 * ```ts
 * createClient('/events', { pauseWhenHidden: true, visibility: browserVisibility() })
 * ```
 */
export function browserVisibility(): VisibilitySource | undefined {
  const doc = g().document
  if (typeof doc?.addEventListener !== 'function') return undefined
  return {
    get hidden() {
      return doc.visibilityState === 'hidden'
    },
    subscribe: (listener) =>
      listen(doc as Target, { visibilitychange: () => listener(doc.visibilityState === 'hidden') }),
  }
}

/**
 * `sessionStorage` when present and usable (sandboxed frames and some private modes throw on access).
 *
 * @returns the storage, or undefined outside browsers
 * @example
 * ```ts
 * createClient('/events', { persistLastEventId: 'notify:last', storage: browserSessionStorage() })
 * ```
 */
export function browserSessionStorage(): KeyValueStorage | undefined {
  try {
    return g().sessionStorage
  } catch {
    return undefined
  }
}
