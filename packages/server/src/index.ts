// Server

export type { DevCredentials, NotifyServer, ServerOptions } from './app.js'
export { createServer } from './app.js'
export type {
  AuthFailureReason,
  JwtOptions,
  MintOptions,
  NotifyClaims,
  NotifyPrincipal,
  Verifier,
} from './auth.js'
// Tokens
export {
  AuthError,
  createVerifier,
  MIN_SECRET_LENGTH,
  matchesTopic,
  mintToken,
  TOKEN_COOKIE,
} from './auth.js'
export type { ParsedConfig } from './config.js'
// Options from flags and environment variables
export { helpText, parseConfig } from './config.js'
// Health and metrics
export type { HealthReport } from './health.js'
export type { ServerErrorCode } from './http.js'
// Errors
export { HttpError, SERVER_ERROR_STATUS } from './http.js'
export type { ConnectionOutcome, Metrics } from './metrics.js'
// Publish API
export { MAX_BATCH, MAX_JSON_DEPTH } from './publish.js'
