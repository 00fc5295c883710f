import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'

/** Absolute path of an executable on PATH (or the given absolute path), or undefined. */
export function findBinary(name: string): string | undefined {
  const candidates = name.includes('/')
    ? [name]
    : (process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, name))
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // not here
    }
  }
  return undefined
}

/**
 * For suites that need a system binary. Locally a missing binary skips the suite with a loud
 * message; with `CI=true` it throws, because `.ci/run` installs it and a skip would hide a failure.
 *
 * @returns the binary's path, or undefined (skip)
 */
export function requireBinary(name: string, installHint: string): string | undefined {
  const found = findBinary(name)
  if (found !== undefined) return found
  const message = `\n!!! ${name} not found: SKIPPING the tests that need it. Install it with: ${installHint}\n`
  if (process.env.CI === 'true')
    throw new Error(`${message}(CI=true: a missing ${name} is a failure, not a skip)`)
  console.warn(message)
  return undefined
}
