// Hub
export { createHub, RESET_EVENT } from './hub.js'
export type { Hub, ConnectOptions, CloseOptions } from './hub.js'
export type { Sink, ConnectionHandle } from './connection.js'

// Wire format
export { encodeEvent } from './encode.js'
export type { SseFrame } from './encode.js'

// Replay
export { memoryReplayStore, MAX_EVENT_ID_LENGTH } from './replay.js'
export type { MemoryReplayStoreOptions } from './replay.js'

// Connection policy (for custom adapters)
export { admit, refuse, STREAM_HEADERS } from './subscribe.js'
export type { Admission, Refusal, RequestView, SseOptions, MaybePromise } from './subscribe.js'

// Validation
export {
  assertTopic,
  assertEventName,
  assertKey,
  normaliseTopics,
  MAX_NAME_LENGTH,
  RESERVED_PREFIX,
} from './validate.js'
export { validateWithSchema } from './schema.js'
export type { StandardSchemaV1 } from './schema.js'

// Errors
export { NotifyError, isNotifyError, NOTIFY_ERROR_CODES, NOTIFY_ERROR_STATUS } from './errors.js'
export type { NotifyErrorCode } from './errors.js'

// Types
export type {
  EventMap,
  LogEntry,
  AppendInput,
  AppendResult,
  ReadAfterResult,
  ReplayStore,
  Backplane,
  BackplaneStatus,
  Principal,
  DisconnectReason,
  ConnectionInfo,
  ReplayOptions,
  HubOptions,
  HubStats,
  PublishOptions,
  PublishResult,
} from './types.js'
