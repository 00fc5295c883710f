import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

// The build tests (ESM/CJS), the Chromium test and the size check use dist/: rebuild it when a source is newer.
export default function setup(): void {
  const root = fileURLToPath(new URL('..', import.meta.url))
  const built = `${root}dist/index.cjs`
  const newest = Math.max(
    ...readdirSync(`${root}src`).map((file) => statSync(`${root}src/${file}`).mtimeMs),
    statSync(`${root}tsup.config.ts`).mtimeMs,
  )
  if (existsSync(built) && statSync(built).mtimeMs >= newest) return
  execFileSync('pnpm', ['exec', 'tsup'], { cwd: root, stdio: 'inherit' })
}
