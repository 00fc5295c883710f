// Summarises a V8 .cpuprofile (from `pnpm bench --profile <contender>`): self time per
// function and per source file, so the cost of each part of @notify/core is visible.
//
//   node bench/profile.mjs bench/results/tmp/profiles/<file>.cpuprofile [--top 40] [--filter core]
import { readFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '40' }, filter: { type: 'string' } },
})
if (positionals.length === 0) {
  console.error('usage: node bench/profile.mjs <file.cpuprofile> [--top N] [--filter substring-of-url]')
  process.exit(2)
}

/** @returns rows of self time per function and per file, in ms and % of all samples */
export function summarise(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const selfUs = new Map()
  const deltas = profile.timeDeltas
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]
    selfUs.set(id, (selfUs.get(id) ?? 0) + (deltas[i] ?? 0))
  }
  let total = 0
  const fns = new Map()
  const files = new Map()
  for (const [id, us] of selfUs) {
    const { callFrame } = byId.get(id)
    total += us
    const url = callFrame.url
      .replace(/^file:\/\//, '')
      .replace(/.*\/node_modules\/(\.pnpm\/[^/]+\/node_modules\/)?/, '')
    const file = url === '' ? `(${callFrame.functionName || 'native'})` : url
    const key = `${callFrame.functionName || '(anonymous)'} ${file}:${callFrame.lineNumber + 1}`
    fns.set(key, (fns.get(key) ?? 0) + us)
    files.set(file, (files.get(file) ?? 0) + us)
  }
  const rows = (m) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .map(([name, us]) => ({
        name,
        ms: Math.round(us / 100) / 10,
        pct: Math.round((us / total) * 1000) / 10,
      }))
  return { totalMs: total / 1000, functions: rows(fns), files: rows(files) }
}

for (const file of positionals) {
  const profile = JSON.parse(await readFile(file, 'utf8'))
  const { totalMs, functions, files } = summarise(profile)
  const filter = values.filter
  const keep = (r) => filter === undefined || r.name.includes(filter)
  console.log(`\n${file}: ${Math.round(totalMs)} ms sampled`)
  console.log('\nself time by file')
  console.table(files.filter(keep).slice(0, Number(values.top)))
  console.log('\nself time by function')
  console.table(functions.filter(keep).slice(0, Number(values.top)))
}
