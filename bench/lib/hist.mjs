// A small log-linear latency histogram in microseconds: exact below 1,024 µs, then 64 buckets
// per power of two (≤ 1.6 % error). Cheap to record, and histograms from several processes merge.

const SUB = 64
const LINEAR = 1024
const MAX_EXP = 40

/** @returns a fresh histogram: a plain array of counts, mergeable and JSON-safe. */
export function createHistogram() {
  return new Float64Array(LINEAR + (MAX_EXP - 10) * SUB)
}

function bucketOf(us) {
  if (us < LINEAR) return us < 0 ? 0 : Math.floor(us)
  const exp = Math.floor(Math.log2(us))
  const base = 2 ** exp
  const sub = Math.floor(((us - base) / base) * SUB)
  return Math.min(LINEAR + (exp - 10) * SUB + sub, LINEAR + (MAX_EXP - 10) * SUB - 1)
}

function bucketValue(bucket) {
  if (bucket < LINEAR) return bucket
  const exp = Math.floor((bucket - LINEAR) / SUB) + 10
  const sub = (bucket - LINEAR) % SUB
  const base = 2 ** exp
  return base + ((sub + 0.5) / SUB) * base
}

/** Records one latency in µs. */
export function record(hist, us) {
  hist[bucketOf(us)]++
}

/** Adds `from` into `into` (both from {@link createHistogram}, or arrays of the same length). */
export function merge(into, from) {
  for (let i = 0; i < from.length; i++) into[i] += from[i]
  return into
}

/** Sparse form for IPC: [bucket, count] pairs. */
export function toSparse(hist) {
  const out = []
  for (let i = 0; i < hist.length; i++) if (hist[i] > 0) out.push([i, hist[i]])
  return out
}

/** Adds a sparse histogram into a dense one. */
export function addSparse(into, sparse) {
  for (const [i, n] of sparse) into[i] += n
  return into
}

/** Summary in milliseconds: count, p50, p99, max. */
export function summarize(hist) {
  let count = 0
  let maxBucket = -1
  for (let i = 0; i < hist.length; i++) {
    if (hist[i] > 0) {
      count += hist[i]
      maxBucket = i
    }
  }
  if (count === 0) return { count: 0, p50: null, p99: null, max: null }
  const at = (q) => {
    const rank = Math.ceil(q * count)
    let seen = 0
    for (let i = 0; i < hist.length; i++) {
      seen += hist[i]
      if (seen >= rank) return bucketValue(i) / 1000
    }
    return bucketValue(maxBucket) / 1000
  }
  return { count, p50: at(0.5), p99: at(0.99), max: bucketValue(maxBucket) / 1000 }
}
