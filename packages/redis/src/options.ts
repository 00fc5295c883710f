import { NotifyError } from '@notify/core'

/** Key prefix when none is given. @internal */
export const DEFAULT_PREFIX = 'notify'
/** A Redis call not answered within this fails, in ms. @internal */
export const DEFAULT_COMMAND_TIMEOUT_MS = 2000
/** How long a first connection is waited for, in ms. @internal */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000

/** `value`, or `fallback` when undefined; `INVALID_OPTION` unless a positive safe integer. @internal */
export function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new NotifyError('INVALID_OPTION', `${name} must be a positive integer, got ${String(value)}`)
  }
  return value
}

/** The key prefix, `'notify'` when undefined; `INVALID_OPTION` unless a non-empty string. @internal */
export function keyPrefix(value: string | undefined): string {
  const prefix = value ?? DEFAULT_PREFIX
  if (typeof prefix !== 'string' || prefix === '') {
    throw new NotifyError(
      'INVALID_OPTION',
      `prefix must be a non-empty string, got ${JSON.stringify(prefix)}`,
    )
  }
  return prefix
}
