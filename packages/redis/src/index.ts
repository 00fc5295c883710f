// Backplane
export type { RedisBackplaneOptions } from './backplane.js'
export { redisBackplane } from './backplane.js'

// Connection
export type { RedisConnectionOptions } from './connection.js'

// Presence
export type { Presence, RedisPresenceOptions } from './presence.js'
export { redisPresence } from './presence.js'

// Replay store
export type { RedisReplayStoreOptions } from './replay-store.js'
export { redisReplayStore } from './replay-store.js'
