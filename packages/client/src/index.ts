// Client
export { createClient } from './client.js'
export { RESET_EVENT } from './types.js'
export type {
  NotifyClient,
  ClientOptions,
  ClientStatus,
  ClientEvent,
  EventMap,
  EventMeta,
  ResetInfo,
  MaybePromise,
  Unsubscribe,
  StandardSchemaV1,
  StandardResult,
} from './types.js'

// Errors
export { NotifyClientError, isNotifyClientError } from './errors.js'
export type { NotifyClientErrorCode, NotifyClientErrorCodes, NotifyClientErrorDetails } from './errors.js'

// Environment (injectable for non-browser runtimes)
export { browserNetwork, browserVisibility, browserSessionStorage } from './environment.js'
export type { NetworkSource, VisibilitySource, KeyValueStorage } from './environment.js'

// Backoff
export { backoffDelay, parseRetryAfter } from './backoff.js'
