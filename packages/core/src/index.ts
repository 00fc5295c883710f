// Hub

export type { ConnectionHandle, Sink } from './connection.js'
export type { SseFrame } from './encode.js'
// Wire format
export { encodeEvent } from './encode.js'
export type { NotifyErrorCode } from './errors.js'
// Errors
export { isNotifyError, NOTIFY_ERROR_CODES, NOTIFY_ERROR_STATUS, NotifyError } from './errors.js'
export type { CloseOptions, ConnectOptions, Hub } from './hub.js'
export { createHub, RESERVED_PREFIX, RESET_EVENT } from './hub.js'
export type { MemoryReplayStoreOptions } from './replay.js'
// Replay
export { MAX_EVENT_ID_LENGTH, memoryReplayStore } from './replay.js'
export type { StandardSchemaV1 } from './schema.js'
export { validateWithSchema } from './schema.js'
export type { Admission, MaybePromise, RequestView, SseOptions } from './subscribe.js'
// Connection policy (for custom adapters)
export { admit, STREAM_HEADERS } from './subscribe.js'
// Types
export type {
  AppendInput,
  AppendResult,
  Backplane,
  BackplaneStatus,
  ConnectionInfo,
  DisconnectReason,
  EventMap,
  HubOptions,
  HubStats,
  LogEntry,
  Principal,
  PublishOptions,
  PublishResult,
  ReadAfterResult,
  ReplayOptions,
  ReplayStore,
} from './types.js'
// Validation
export { assertEventName, assertTopic, MAX_NAME_LENGTH, normaliseTopics } from './validate.js'
