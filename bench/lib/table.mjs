// Markdown tables of a results file: one per N, every figure with its ratio to raw.

const LABELS = {
  raw: 'raw',
  'notify-node': 'notify (node)',
  'notify-hono': 'notify (hono)',
  'better-sse': 'better-sse',
  'hono-streamsse': 'hono streamSSE',
  'notify-node-alt': 'notify (node, alt core)',
}

/** Rows: [label, getter, digits, unit]. Lower is better for all but deliveries/s. */
export const ROWS = [
  ['connect N (ms)', (m) => m.connectMs, 0],
  ['RSS per connection (KiB)', (m) => m.rssPerConn / 1024, 1],
  ['heap per connection (KiB)', (m) => m.heapPerConn / 1024, 2],
  ['light: latency p50 (ms)', (m) => m.workloads.light?.p50, 2],
  ['light: latency p99 (ms)', (m) => m.workloads.light?.p99, 2],
  ['light: latency max (ms)', (m) => m.workloads.light?.max, 2],
  ['light: CPU µs / 1k deliveries', (m) => m.workloads.light?.cpuUsPer1k, 0],
  ['saturate 100 B: deliveries/s', (m) => m.workloads.saturate?.deliveriesPerSec, 0],
  ['saturate 100 B: CPU µs / 1k deliveries', (m) => m.workloads.saturate?.cpuUsPer1k, 0],
  ['saturate 100 B: latency p50 (ms)', (m) => m.workloads.saturate?.p50, 2],
  ['saturate 100 B: latency p99 (ms)', (m) => m.workloads.saturate?.p99, 2],
  ['saturate 4 KiB: deliveries/s', (m) => m.workloads['saturate-4k']?.deliveriesPerSec, 0],
  ['saturate 4 KiB: CPU µs / 1k deliveries', (m) => m.workloads['saturate-4k']?.cpuUsPer1k, 0],
  ['burst ×20: deliveries/s', (m) => m.workloads.burst?.deliveriesPerSec, 0],
  ['burst ×20: CPU µs / 1k deliveries', (m) => m.workloads.burst?.cpuUsPer1k, 0],
]

function fmt(value, digits) {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–'
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
}

/**
 * The targets of issue 6 for `notify-node` at the largest N (≈ 100 B payload): [label, figure, bound,
 * higher-is-better]. Ratios are to raw; "peers" means at least as good as better-sse and hono streamSSE.
 */
const TARGETS = [
  ['deliveries/s (saturate) ≥ 0.9× raw', (m) => m.workloads.saturate?.deliveriesPerSec, 0.9, true],
  ['CPU per delivery (saturate) ≤ 1.15× raw', (m) => m.workloads.saturate?.cpuUsPer1k, 1.15, false],
  ['latency p99 (light) ≤ 1.3× raw', (m) => m.workloads.light?.p99, 1.3, false],
  ['heap per connection ≤ 1.5× raw', (m) => m.heapPerConn, 1.5, false],
  ['RSS per connection ≤ 1.5× raw', (m) => m.rssPerConn, 1.5, false],
  ['deliveries/s (burst ×20) ≥ 1.5× raw', (m) => m.workloads.burst?.deliveriesPerSec, 1.5, true],
]
const PEER_FIGURES = [
  ['deliveries/s (saturate)', (m) => m.workloads.saturate?.deliveriesPerSec, true, 0],
  ['CPU µs / 1k deliveries (saturate)', (m) => m.workloads.saturate?.cpuUsPer1k, false, 0],
  ['latency p50, light (ms)', (m) => m.workloads.light?.p50, false, 1],
  ['latency p99, light (ms)', (m) => m.workloads.light?.p99, false, 1],
  ['connect N (ms)', (m) => m.connectMs, false, 0],
  ['heap per connection (KiB)', (m) => m.heapPerConn / 1024, false, 2],
  ['RSS per connection (KiB)', (m) => m.rssPerConn / 1024, false, 1],
]

/** @returns markdown: the issue's targets for notify (node adapter) at the largest N, met or not */
export function renderTargets(results) {
  const sizes = Object.keys(results.medians).map(Number)
  const n = Math.max(...sizes)
  const by = results.medians[n]
  const notify = by?.['notify-node']
  const raw = by?.raw
  if (notify === undefined || raw === undefined) return ''
  const lines = [`#### Targets for notify (node adapter), N = ${n.toLocaleString('en-US')}\n`]
  lines.push('| target | notify ÷ raw | met |', '|---|---:|:---:|')
  for (const [label, get, bound, higher] of TARGETS) {
    const a = get(notify)
    const b = get(raw)
    if (a === null || a === undefined || !b) continue
    const ratio = a / b
    lines.push(
      `| ${label} | ×${ratio.toFixed(2)} | ${(higher ? ratio >= bound : ratio <= bound) ? 'yes' : '**no**'} |`,
    )
  }
  const peers = ['better-sse', 'hono-streamsse'].filter((p) => by[p] !== undefined)
  if (peers.length > 0) {
    lines.push(
      '',
      `| at least as good as ${peers.map((p) => LABELS[p]).join(' and ')} | notify | ${peers.map((p) => LABELS[p]).join(' | ')} | met |`,
    )
    lines.push(`|---|---:|${peers.map(() => '---:|').join('')}:---:|`)
    for (const [label, get, higher, digits] of PEER_FIGURES) {
      const a = get(notify)
      const others = peers.map((p) => get(by[p]))
      const ok = others.every((o) => o === null || o === undefined || (higher ? a >= o : a <= o))
      lines.push(
        `| ${label} | ${fmt(a, digits)} | ${others.map((o) => fmt(o, digits)).join(' | ')} | ${ok ? 'yes' : '**no**'} |`,
      )
    }
  }
  lines.push('')
  return lines.join('\n')
}

/** @returns markdown: per N, a table of figures with `(×ratio to raw)`, then the micro-benchmarks. */
export function renderTables(results) {
  const parts = []
  for (const [n, byContender] of Object.entries(results.medians)) {
    const names = Object.keys(byContender)
    const raw = byContender.raw
    const rounds = Math.min(...names.map((c) => byContender[c].rounds))
    parts.push(
      `#### N = ${Number(n).toLocaleString('en-US')} connections (median of ${rounds} round${rounds === 1 ? '' : 's'})\n`,
    )
    parts.push(`| figure | ${names.map((c) => LABELS[c] ?? c).join(' | ')} |`)
    parts.push(`|---|${names.map(() => '---:').join('|')}|`)
    for (const [label, get, digits] of ROWS) {
      const base = raw === undefined ? undefined : get(raw)
      const cells = names.map((c) => {
        const v = get(byContender[c])
        const ratio =
          c !== 'raw' && base && v !== null && v !== undefined ? ` (×${(v / base).toFixed(2)})` : ''
        return `${fmt(v, digits)}${ratio}`
      })
      parts.push(`| ${label} | ${cells.join(' | ')} |`)
    }
    parts.push('')
  }
  parts.push(renderTargets(results))
  if (results.micro) {
    parts.push('#### Micro-benchmarks (core alone, no sockets)\n')
    parts.push('| task | mean | per delivery | ops/s |')
    parts.push('|---|---:|---:|---:|')
    for (const t of results.micro) {
      parts.push(
        `| ${t.name} | ${fmt(t.meanUs, 2)} µs | ${t.perDeliveryNs === undefined ? '–' : `${fmt(t.perDeliveryNs, 0)} ns`} | ${fmt(t.opsPerSec, 0)} |`,
      )
    }
    parts.push('')
  }
  return parts.join('\n')
}
