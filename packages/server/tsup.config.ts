import { copyFileSync, mkdirSync, rmSync } from 'node:fs'
import { defineConfig } from 'tsup'

// Both builds write into dist/ at the same time, so neither may `clean`: dist is emptied once here.
rmSync('dist', { recursive: true, force: true })

export default defineConfig([
  {
    entry: { index: 'src/index.ts', cli: 'src/cli.ts' },
    format: ['esm', 'cjs'],
    dts: { entry: { index: 'src/index.ts' } },
    // Shared chunks under `require` too, so both entries see one copy of each module.
    splitting: true,
    // import.meta.url (the demo's location) under `require`.
    shims: true,
    target: 'node20',
    platform: 'node',
  },
  {
    // The demo page: @notify/client bundled in, so the page loads nothing from a CDN.
    entry: { main: 'src/demo/main.ts' },
    outDir: 'dist/demo',
    format: ['iife'],
    platform: 'browser',
    target: 'es2020',
    noExternal: [/.*/],
    minify: true,
    outExtension: () => ({ js: '.js' }),
    async onSuccess() {
      mkdirSync('dist/demo', { recursive: true })
      for (const file of ['index.html', 'style.css']) copyFileSync(`src/demo/${file}`, `dist/demo/${file}`)
    },
  },
])
