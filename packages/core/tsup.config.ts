import { defineConfig } from 'tsup'

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    node: 'src/adapters/node.ts',
    express: 'src/adapters/express.ts',
    hono: 'src/adapters/hono.ts',
    web: 'src/adapters/web.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  // Shared chunks under `require` too, so every entry sees one NotifyError class.
  splitting: true,
  clean: true,
  target: 'es2022',
  platform: 'neutral',
  external: ['node:http', 'node:http2', 'node:net', 'express', 'hono'],
})
