// Size budget: the browser bundle (ESM, minified, gzipped, eventsource-parser included) must stay ≤ 5 KB.
// Runs in `pnpm lint`. Bundles src/index.ts the way an app's bundler would (everything reachable from the entry).
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'

const BUDGET = 5 * 1024
const entry = fileURLToPath(new URL('../src/index.ts', import.meta.url))
const result = await build({
  entryPoints: [entry],
  bundle: true,
  minify: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  write: false,
})
const code = result.outputFiles[0].contents
const gzipped = gzipSync(code, { level: 9 }).length
const line = `@notify/client browser bundle: ${code.length} B minified, ${gzipped} B gzipped (budget ${BUDGET} B)`
if (gzipped > BUDGET) {
  console.error(`${line}: OVER BUDGET by ${gzipped - BUDGET} B`)
  process.exit(1)
}
console.log(line)
