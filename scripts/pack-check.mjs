#!/usr/bin/env node
// Checks what users install from npm, not the workspace links: packs every publishable package
// under packages/, installs all the tarballs together into a fresh npm project, then loads every
// `exports` subpath with both `import()` and `require()` in a fresh node process and checks the
// named exports (and a small smoke test where one is listed below).
//
//   pnpm build && node scripts/pack-check.mjs
//   NOTIFY_EXTRA_NODES=/path/to/node22:/path/to/node24 node scripts/pack-check.mjs   (load checks on more nodes)
//   node scripts/pack-check.mjs --keep    (keep the temp dirs and print where they are)
//
// @notify/* never comes from the registry: the temp project's `overrides` map each name to its
// tarball. Third-party dependencies (ioredis, jose, …) do come from the npm registry.
// One line per check; exit code 1 on any failure. A package without dist/ fails, it is never skipped.
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const keep = process.argv.includes('--keep')
const started = Date.now()

// Named exports each entry point must have. A subpath missing here still has to load, export
// something, and export the same names under import and require.
const HANDLER_SMOKE = `(async () => {
  const { createHub } = await load('@notify/core')
  const hub = createHub()
  const ok = typeof m.sse(hub, { topics: ['t'] }) === 'function'
  await hub.close()
  return ok
})()`

const EXPECTED = {
  '@notify/core': {
    '.': [
      'createHub',
      'encodeEvent',
      'NotifyError',
      'isNotifyError',
      'memoryReplayStore',
      'admit',
      'RESET_EVENT',
    ],
    './node': ['sse'],
    './express': ['sse'],
    './hono': ['sse'],
    './web': ['sse'],
  },
  '@notify/client': { '.': ['createClient'] },
  '@notify/redis': { '.': ['redisBackplane', 'redisReplayStore', 'redisPresence'] },
  '@notify/server': { '.': ['createServer'] },
}

// Smoke tests run in the child after loading: `m` is the module, `load(spec)` loads another
// entry the same way (import or require). They must resolve to true. Express and Hono are not
// installed in the temp project, so their adapters must load without them (optional peers).
const SMOKE = {
  '@notify/core': {
    '.': `m.encodeEvent({ id: '1', event: 'e', data: 'a\\nb' }) === 'id: 1\\nevent: e\\ndata: a\\ndata: b\\n\\n'`,
    './web': `(async () => {
      const { createHub } = await load('@notify/core')
      const hub = createHub()
      const res = await m.sse(hub, { topics: ['t'] })(new Request('http://localhost/events'))
      const reader = res.body.getReader()
      const { value } = await reader.read()
      const text = new TextDecoder().decode(value)
      await reader.cancel()
      await hub.close()
      return res.status === 200 && res.headers.get('content-type').startsWith('text/event-stream') && text.includes('retry: ')
    })()`,
    './node': `(async () => {
      const { createHub } = await load('@notify/core')
      const { createServer } = await load('node:http')
      const hub = createHub()
      const server = createServer(m.sse(hub, { topics: ['t'] }))
      await new Promise((r) => server.listen(0, '127.0.0.1', r))
      const res = await fetch('http://127.0.0.1:' + server.address().port + '/')
      const reader = res.body.getReader()
      const { value } = await reader.read()
      const text = new TextDecoder().decode(value)
      await reader.cancel()
      await hub.close()
      server.closeAllConnections()
      await new Promise((r) => server.close(r))
      return res.status === 200 && text.includes('retry: ')
    })()`,
    // Loads without express or hono installed, and builds a handler.
    './express': HANDLER_SMOKE,
    './hono': HANDLER_SMOKE,
  },
}

const results = []
function report(ok, label, detail = '') {
  results.push(ok)
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${label}${detail ? ` — ${detail}` : ''}`)
}

// pnpm sets npm_config_* variables for its scripts; npm would read them as its own config.
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)))

function run(file, args, options = {}) {
  return new Promise((resolvePromise) => {
    execFile(
      file,
      args,
      { env: cleanEnv, maxBuffer: 64 * 1024 * 1024, timeout: 120_000, ...options },
      (error, stdout, stderr) => {
        resolvePromise({
          code: error ? (typeof error.code === 'number' ? error.code : 1) : 0,
          stdout,
          stderr,
          error,
        })
      },
    )
  })
}

const temp = mkdtempSync(join(tmpdir(), 'notify-pack-check-'))
const cleanup = () => {
  if (keep) console.log(`kept ${temp}`)
  else rmSync(temp, { recursive: true, force: true })
}
process.once('SIGINT', () => {
  cleanup()
  process.exit(130)
})

try {
  await main()
} catch (error) {
  report(false, 'pack-check crashed', error?.stack ?? String(error))
} finally {
  cleanup()
}
const failures = results.filter((ok) => !ok).length
console.log(
  `pack-check: ${results.length - failures} passed, ${failures} failed (${((Date.now() - started) / 1000).toFixed(1)} s)`,
)
process.exit(failures > 0 || results.length === 0 ? 1 : 0)

async function main() {
  // 1. Publishable packages.
  const packages = []
  for (const dir of readdirSync(join(root, 'packages')).sort()) {
    const manifestPath = join(root, 'packages', dir, 'package.json')
    if (!existsSync(manifestPath)) continue
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'))
    if (manifest.private) continue
    packages.push({ dir: join(root, 'packages', dir), manifest, name: manifest.name })
  }
  if (packages.length === 0) return report(false, 'no publishable packages found under packages/')

  // 2. Build output present (a package that does not build fails here, loudly).
  for (const pkg of packages) {
    const dist = join(pkg.dir, 'dist')
    const present = existsSync(dist) && readdirSync(dist).length > 0
    report(
      present,
      `${pkg.name}: dist/ built`,
      present ? '' : `missing ${dist}: run \`pnpm build\` (or fix the build)`,
    )
  }

  // 3. Pack each into its own directory (pnpm rewrites workspace: ranges to versions).
  const tarballs = {}
  for (const pkg of packages) {
    const out = join(temp, 'tarballs', pkg.name.replace('/', '+'))
    const packed = await run('pnpm', ['pack', '--pack-destination', out], { cwd: pkg.dir })
    const file =
      packed.code === 0 && existsSync(out) ? readdirSync(out).find((f) => f.endsWith('.tgz')) : undefined
    if (!file) {
      report(false, `${pkg.name}: pnpm pack`, (packed.stderr || packed.stdout).trim())
      continue
    }
    tarballs[pkg.name] = join(out, file)
    report(true, `${pkg.name}: pnpm pack`, file)
  }
  const names = Object.keys(tarballs)
  if (names.length === 0) return

  // 4. One fresh npm project with every tarball; overrides keep @notify/* off the registry
  //    (also where one package depends on or peers another).
  const project = join(temp, 'project')
  const specs = Object.fromEntries(names.map((name) => [name, `file:${tarballs[name]}`]))
  await run('mkdir', ['-p', project])
  writeFileSync(
    join(project, 'package.json'),
    `${JSON.stringify({ name: 'pack-check', private: true, version: '0.0.0', dependencies: specs, overrides: specs }, null, 2)}\n`,
  )
  const install = await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: project,
  })
  report(
    install.code === 0,
    `npm install ${names.length} tarballs into a fresh project`,
    install.code === 0 ? '' : (install.stderr || install.stdout).trim(),
  )
  if (install.code !== 0) return
  const lock = JSON.parse(readFileSync(join(project, 'package-lock.json'), 'utf8'))
  const fromRegistry = Object.entries(lock.packages ?? {}).filter(
    ([path, entry]) =>
      /node_modules\/@notify\//.test(path) && !String(entry.resolved ?? '').startsWith('file:'),
  )
  report(
    fromRegistry.length === 0,
    '@notify/* resolved from the tarballs only',
    fromRegistry.map(([path, entry]) => `${path} ← ${entry.resolved}`).join(', '),
  )

  const copies = Object.keys(lock.packages ?? {}).filter((path) => /node_modules\/@notify\//.test(path))
  const nested = copies.filter((path) => path.split('node_modules/').length > 2)
  report(
    nested.length === 0,
    '@notify/* installed once each (one NotifyError class, one hub type)',
    nested.join(', '),
  )

  // 5. Every file the exports map points at is in the installed package.
  const checks = []
  for (const pkg of packages) {
    if (!tarballs[pkg.name]) continue
    const installedDir = join(project, 'node_modules', pkg.name)
    const installed = JSON.parse(readFileSync(join(installedDir, 'package.json'), 'utf8'))
    const missing = exportTargets(installed.exports).filter(
      (target) => !existsSync(join(installedDir, target)),
    )
    report(
      missing.length === 0,
      `${pkg.name}: files named by "exports" are in the tarball`,
      missing.join(', '),
    )
    for (const subpath of Object.keys(installed.exports ?? { '.': null })) {
      if (subpath === './package.json') continue
      checks.push({
        name: pkg.name,
        subpath,
        spec: subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`,
      })
    }
    if (installed.bin) {
      for (const [command, target] of Object.entries(
        typeof installed.bin === 'string' ? { [installed.name]: installed.bin } : installed.bin,
      )) {
        checks.push({ name: pkg.name, bin: command, file: join(installedDir, target) })
      }
    }
  }

  // 6. Load checks, on this node and on every NOTIFY_EXTRA_NODES binary.
  // biome-ignore lint/suspicious/noUndeclaredEnvVars: read by this script only, not by a turbo task
  const nodes = [process.execPath, ...(process.env.NOTIFY_EXTRA_NODES ?? '').split(':').filter(Boolean)]
  const jobs = []
  for (const node of nodes) {
    const version = await run(node, ['--version'])
    if (version.code !== 0) {
      report(false, `node binary ${node}`, 'does not run')
      continue
    }
    const v = version.stdout.trim()
    console.log(`… loading with node ${v} (${node})`)
    for (const check of checks) {
      if (check.bin) jobs.push(() => binCheck(node, v, project, check))
      else jobs.push(() => loadBoth(node, v, project, check))
    }
  }
  await pool(jobs, 2)
}

/** Every path (types included) an exports map points at. */
function exportTargets(exports) {
  if (typeof exports === 'string') return [exports]
  if (exports === null || typeof exports !== 'object') return []
  return Object.values(exports).flatMap(exportTargets)
}

/** Loads one entry with import() then require(), each in a fresh process; both must export the same names. */
async function loadBoth(node, version, cwd, check) {
  const imported = await loadCheck(node, version, cwd, check, 'import')
  await loadCheck(node, version, cwd, check, 'require', imported)
}

async function loadCheck(node, version, cwd, check, mode, importedNames) {
  const expected = EXPECTED[check.name]?.[check.subpath]
  const smoke = SMOKE[check.name]?.[check.subpath]
  const load = mode === 'import' ? '(spec) => import(spec)' : 'async (spec) => require(spec)'
  // Same body under both modes; only how modules are loaded differs.
  const body = `
    const load = ${load}
    ;(async () => {
      const m = await load(${JSON.stringify(check.spec)})
      const names = Object.keys(m).filter((k) => k !== 'default' && k !== '__esModule' && k !== 'module.exports').sort()
      const passed = await (${smoke ?? 'true'})
      process.stdout.write(JSON.stringify({ names, smoke: passed === true }))
    })().catch((error) => { console.error(error && error.stack || String(error)); process.exit(1) })
  `
  const args = mode === 'import' ? ['--input-type=module', '-e', body] : ['-e', body]
  const result = await run(node, args, { cwd, timeout: 30_000 })
  const label = `node ${version} ${mode.padEnd(7)} ${check.spec}`
  if (result.code !== 0) {
    report(false, label, firstLines(result.stderr || result.stdout || String(result.error)))
    return undefined
  }
  let parsed
  try {
    parsed = JSON.parse(result.stdout)
  } catch {
    report(false, label, `unexpected output: ${firstLines(result.stdout)}`)
    return undefined
  }
  const missing = (expected ?? []).filter((name) => !parsed.names.includes(name))
  const problems = []
  if (parsed.names.length === 0) problems.push('exports nothing')
  if (missing.length > 0) problems.push(`missing ${missing.join(', ')}`)
  if (!parsed.smoke) problems.push('smoke test returned false')
  if (importedNames !== undefined && importedNames.join() !== parsed.names.join()) {
    problems.push(`import and require export different names: [${importedNames}] vs [${parsed.names}]`)
  }
  const listed = expected ? expected.join(', ') : `${parsed.names.length} names (none listed in EXPECTED)`
  report(
    problems.length === 0,
    label,
    problems.length > 0 ? problems.join('; ') : `${listed}${smoke ? ' + smoke' : ''}`,
  )
  return parsed.names
}

async function binCheck(node, version, cwd, check) {
  const linked = existsSync(join(cwd, 'node_modules', '.bin', check.bin))
  const result = await run(node, [check.file, '--help'], { cwd, timeout: 30_000 })
  const ok = linked && result.code === 0 && result.stdout.trim().length > 0
  report(
    ok,
    `node ${version} bin     ${check.bin} --help`,
    ok ? '' : linked ? firstLines(result.stderr || result.stdout) : `node_modules/.bin/${check.bin} missing`,
  )
}

function firstLines(text) {
  return String(text).trim().split('\n').slice(0, 3).join('\n      ')
}

async function pool(jobs, size) {
  let next = 0
  const worker = async () => {
    while (next < jobs.length) await jobs[next++]()
  }
  await Promise.all(Array.from({ length: size }, worker))
}
