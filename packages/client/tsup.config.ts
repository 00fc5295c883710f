import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { defineConfig } from 'tsup'

// eventsource-parser 4 is ESM-only and declares `engines: node >=22.12`: as a dependency it would
// warn (EBADENGINE) on our Node 20 floor and need `require(esm)` under CJS. Bundling it into both
// builds makes the package dependency-free at runtime (see docs/client.md). Its MIT licence asks
// for the notice to travel with the code, hence the banner.
const parserLicense = readFileSync(
  createRequire(import.meta.url)
    .resolve('eventsource-parser/package.json')
    .replace(/package\.json$/, 'LICENSE'),
  'utf8',
)
const banner = `/*! @notify/client bundles eventsource-parser (https://github.com/rexxars/eventsource-parser):\n${parserLicense.trim()}\n*/`

export default defineConfig({
  entry: { index: 'src/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  target: 'es2022',
  platform: 'neutral',
  noExternal: ['eventsource-parser'],
  banner: { js: banner },
})
