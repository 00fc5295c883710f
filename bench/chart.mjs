// Draws docs/images/benchmarks.svg from a results file: for the largest N, each key figure as
// a group of bars, one per contender, as a ratio to raw (raw = 1, the dashed line).
//
//   node bench/chart.mjs [results.json] [out.svg]   (defaults: bench/results/latest.json, docs/images/benchmarks.svg)
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'

const FIGURES = [
  ['deliveries/s, saturated', (m) => m.workloads.saturate?.deliveriesPerSec, 'higher is better'],
  ['deliveries/s, burst ×20', (m) => m.workloads.burst?.deliveriesPerSec, 'higher is better'],
  ['CPU per delivery, saturated', (m) => m.workloads.saturate?.cpuUsPer1k, 'lower is better'],
  ['latency p50, light', (m) => m.workloads.light?.p50, 'lower is better'],
  ['latency p99, light', (m) => m.workloads.light?.p99, 'lower is better'],
  ['heap per connection', (m) => m.heapPerConn, 'lower is better'],
  ['RSS per connection', (m) => m.rssPerConn, 'lower is better'],
  ['connect N', (m) => m.connectMs, 'lower is better'],
]
const COLORS = {
  raw: '#9e9e9e',
  'notify-node': '#1565c0',
  'notify-hono': '#64b5f6',
  'better-sse': '#ef6c00',
  'hono-streamsse': '#8e24aa',
}
const LABELS = {
  raw: 'raw node:http',
  'notify-node': 'notify (node)',
  'notify-hono': 'notify (hono)',
  'better-sse': 'better-sse',
  'hono-streamsse': 'hono streamSSE',
}

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

/** @returns the SVG text for a results object (see run.mjs). */
export function renderChart(results) {
  const sizes = Object.keys(results.medians).map(Number)
  const n = Math.max(...sizes)
  const by = results.medians[n]
  const names = Object.keys(by)
  const raw = by.raw
  if (raw === undefined) throw new Error('chart: the results have no raw contender to compare with')
  const maxRatio = 5
  const width = 960
  const rowH = 18
  const groupGap = 18
  const left = 230
  const right = 80
  const top = 70
  const plotW = width - left - right
  const groupH = names.length * rowH
  const height = top + FIGURES.length * (groupH + groupGap) + 60
  const x = (ratio) => left + (Math.min(ratio, maxRatio) / maxRatio) * plotW
  const out = []
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif" font-size="12">`,
  )
  // Alternative text for screen readers (and biome's a11y rule on the committed SVG).
  out.push(
    `<title>notify vs raw node:http, better-sse and Hono streamSSE at N = ${n.toLocaleString('en-US')}: each figure as a ratio to raw</title>`,
  )
  out.push(`<rect width="100%" height="100%" fill="#ffffff"/>`)
  const m = results.machine
  out.push(
    `<text x="${left}" y="24" font-size="15" font-weight="600">notify vs raw node:http, better-sse, Hono streamSSE — N = ${n.toLocaleString('en-US')}, ratio to raw</text>`,
  )
  out.push(
    `<text x="${left}" y="44" fill="#555">${esc(`${m.cores} cores, ${m.cpu}, Node ${m.node}; median of ${results.config.rounds} interleaved rounds; ${results.startedAt.slice(0, 10)}`)}</text>`,
  )
  // Grid: ratios 0..5
  for (let r = 0; r <= maxRatio; r++) {
    const gx = x(r)
    out.push(
      `<line x1="${gx}" y1="${top - 6}" x2="${gx}" y2="${height - 50}" stroke="${r === 1 ? '#444' : '#e0e0e0'}" ${r === 1 ? 'stroke-dasharray="4 3"' : ''}/>`,
    )
    out.push(`<text x="${gx}" y="${height - 36}" text-anchor="middle" fill="#555">×${r}</text>`)
  }
  FIGURES.forEach(([label, get, hint], gi) => {
    const gy = top + gi * (groupH + groupGap)
    const base = get(raw)
    out.push(
      `<text x="${left - 10}" y="${gy + groupH / 2 - 2}" text-anchor="end" font-weight="600">${esc(label)}</text>`,
    )
    out.push(
      `<text x="${left - 10}" y="${gy + groupH / 2 + 12}" text-anchor="end" fill="#777" font-size="11">${hint}</text>`,
    )
    names.forEach((name, i) => {
      const v = get(by[name])
      const y = gy + i * rowH
      if (v === null || v === undefined || !base) return
      const ratio = v / base
      out.push(
        `<rect x="${left}" y="${y + 2}" width="${Math.max(1, x(ratio) - left)}" height="${rowH - 4}" fill="${COLORS[name] ?? '#333'}"><title>${esc(`${LABELS[name] ?? name}: ×${ratio.toFixed(2)}`)}</title></rect>`,
      )
      out.push(
        `<text x="${Math.min(x(ratio), left + plotW) + 4}" y="${y + rowH - 5}" fill="#333" font-size="11">×${ratio.toFixed(2)}${ratio > maxRatio ? ' →' : ''}</text>`,
      )
    })
  })
  // Legend
  let lx = left
  for (const name of names) {
    out.push(`<rect x="${lx}" y="${height - 22}" width="12" height="12" fill="${COLORS[name] ?? '#333'}"/>`)
    out.push(`<text x="${lx + 16}" y="${height - 12}">${esc(LABELS[name] ?? name)}</text>`)
    lx += 30 + (LABELS[name] ?? name).length * 7
  }
  out.push('</svg>')
  return `${out.join('\n')}\n`
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const input = process.argv[2] ?? fileURLToPath(new URL('./results/latest.json', import.meta.url))
  const output = process.argv[3] ?? fileURLToPath(new URL('../docs/images/benchmarks.svg', import.meta.url))
  const results = JSON.parse(await readFile(input, 'utf8'))
  await mkdir(dirname(output), { recursive: true })
  await writeFile(output, renderChart(results))
  console.log(`chart: ${output}`)
}
