// Backplane

export type { RedisBackplaneOptions } from './backplane.js'
export { redisBackplane } from './backplane.js'
// Connection
export type { RedisConnectionOptions } from './connection.js'
export type { RedisReplayStoreOptions } from './replay-store.js'
// Replay store
export { redisReplayStore } from './replay-store.js'

// Presence
export { redisPresence } from './presence.js'
export type { Presence, RedisPresenceOptions } from './presence.js'
