// Lua run atomically by Redis. Every script first makes sure the log exists ("ensure"): a log
// created now starts at the current Redis time, and ids from before that (a Redis that lost its
// data, or a deleted key) are answered with `unknown`, never confused with new ones.
//
// Keys: KEYS[1] the stream, KEYS[2] the meta hash (`floor`: the first id this log can resume
// from), KEYS[3] (append only, optional) the idempotency key. Ids reach Lua without leading
// zeros, so comparing lengths, then text, orders them without 64-bit arithmetic.

const COMMON = `
local function cmp(a, b)
  local am, as = string.match(a, '^(%d+)-(%d+)$')
  local bm, bs = string.match(b, '^(%d+)-(%d+)$')
  if #am ~= #bm then return #am - #bm end
  if am ~= bm then return am < bm and -1 or 1 end
  if #as ~= #bs then return #as - #bs end
  if as ~= bs then return as < bs and -1 or 1 end
  return 0
end

local function nowMs()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function ensure(stream, meta)
  local floor = redis.call('HGET', meta, 'floor')
  if redis.call('EXISTS', stream) == 1 then
    if not floor then
      floor = '0-0'
      redis.call('HSET', meta, 'floor', floor)
    end
    return floor
  end
  -- A new log. Its last id is set to the floor with an entry deleted at once, so the first
  -- XADD gets an id after the floor even within the same millisecond.
  floor = string.format('%.0f', nowMs()) .. '-0'
  redis.call('XADD', stream, floor, 'init', '1')
  redis.call('XDEL', stream, floor)
  redis.call('HSET', meta, 'floor', floor)
  return floor
end

-- Exact retention. Trimming does not update the stream's max-deleted-entry-id (only XDEL
-- does), so the newest trimmed id is kept in the meta hash ('trimmed'): a resume from before it
-- has missed entries (evicted); from it or later has not.
local function trim(stream, meta, maxEvents, maxAgeMs)
  local through
  -- An entry is kept while its age is below maxAgeMs (as in core's memory store): one exactly
  -- maxAgeMs old goes, so the first id kept is (now - maxAgeMs + 1)-0.
  local cutoff = nowMs() - maxAgeMs + 1
  if cutoff > 0 then
    local minId = string.format('%.0f', cutoff) .. '-0'
    -- Usually nothing is that old: one look at the oldest entry settles it.
    local oldest = redis.call('XRANGE', stream, '-', '+', 'COUNT', 1)[1]
    if oldest and cmp(oldest[1], minId) < 0 then
      through = redis.call('XREVRANGE', stream, '(' .. minId, '-', 'COUNT', 1)[1][1]
      redis.call('XTRIM', stream, 'MINID', '=', minId)
    end
  end
  local excess = redis.call('XLEN', stream) - maxEvents
  if excess > 0 then
    local old = redis.call('XRANGE', stream, '-', '+', 'COUNT', excess)
    through = old[#old][1]
    redis.call('XTRIM', stream, 'MAXLEN', '=', maxEvents)
  end
  if through then redis.call('HSET', meta, 'trimmed', through) end
end

local function lastId(stream)
  local raw = redis.call('XINFO', 'STREAM', stream)
  for i = 1, #raw, 2 do
    if raw[i] == 'last-generated-id' then return raw[i + 1] end
  end
end

local function trimmed(meta)
  return redis.call('HGET', meta, 'trimmed') or '0-0'
end
`

/**
 * Idempotent check-and-append. ARGV: topics, event, data, maxEvents, maxAgeMs, keyTtlMs.
 * Returns `{0, id}` for a new entry, `{1, firstId}` for a key seen within its TTL.
 */
export const APPEND_SCRIPT = `${COMMON}
ensure(KEYS[1], KEYS[2])
if KEYS[3] then
  local seen = redis.call('GET', KEYS[3])
  if seen then return {1, seen} end
end
local id = redis.call('XADD', KEYS[1], '*', 'topics', ARGV[1], 'event', ARGV[2], 'data', ARGV[3])
trim(KEYS[1], KEYS[2], tonumber(ARGV[4]), tonumber(ARGV[5]))
if KEYS[3] then redis.call('SET', KEYS[3], id, 'NX', 'PX', ARGV[6]) end
return {0, id}
`

/**
 * One page of a resume. ARGV: cursor, count, maxEvents, maxAgeMs.
 * Returns `{'ok', lastId, entries}`, `{'evicted', lastId}` or `{'unknown', lastId}`.
 */
export const READ_SCRIPT = `${COMMON}
local floor = ensure(KEYS[1], KEYS[2])
trim(KEYS[1], KEYS[2], tonumber(ARGV[3]), tonumber(ARGV[4]))
local last = lastId(KEYS[1])
if cmp(ARGV[1], floor) < 0 or cmp(ARGV[1], last) > 0 then return {'unknown', last} end
if cmp(ARGV[1], trimmed(KEYS[2])) < 0 then return {'evicted', last} end
return {'ok', last, redis.call('XRANGE', KEYS[1], '(' .. ARGV[1], '+', 'COUNT', ARGV[2])}
`

/** The log's position. Returns `{lastId, floor, trimmedThrough}`. */
export const HEAD_SCRIPT = `${COMMON}
local floor = ensure(KEYS[1], KEYS[2])
return {lastId(KEYS[1]), floor, trimmed(KEYS[2])}
`
