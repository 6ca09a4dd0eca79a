import { createHash } from 'node:crypto';
import type { BreakerRules, Outcomes, ProbeVerdict } from './breaker-rules.ts';

// The shared breaker's state machine, run by the Redis server so that every transition is one
// atomic step: a read-modify-write from two processes can never interleave. It mirrors
// LocalCircuit (breaker-rules.ts) operation for operation. Time is the server's (TIME), so the
// processes' clocks never have to agree; answers carry durations, not instants.
//
// One hash per breaker, KEYS[1] = <prefix><name>:
//   state        closed | open | half_open
//   gen          generation: bumped by every transition and every probe grant; starts at the
//                server's time in ms, so a key that expired and came back never reuses a number
//   fails        consecutive counted failures (consecutive mode)
//   opens        openings since the last close (the half-open backoff's exponent)
//   retry_at     open: server ms from which a probe may start
//   probe        half_open: the token of the caller holding the probe
//   probe_until  half_open: server ms at which that reservation lapses
//   s:<bucket>   rate mode: successes in the bucket (bucket = floor(ms / bucketMs))
//   f:<bucket>   rate mode: failures in the bucket
// The key expires (PEXPIRE on every write) after the configured TTL.
//
// ARGV: 1 op (sync | acquire | settle), 2 the generation the caller acted under, 3-11 the rules,
// 12 the key's TTL in ms, then the op's own: sync 13-15 successes, failures, trailing failures;
// 16 the consecutive failures the caller last heard of; acquire 13 token; settle 13 token,
// 14 verdict (success | failure | release).
// Answer: { state, gen, wait ms, transition ('' | opened | half_opened | closed), granted 0|1, opens, fails }.
export const BREAKER_SCRIPT = `
local key = KEYS[1]
local op = ARGV[1]
local seen = tonumber(ARGV[2])
local consecutive = tonumber(ARGV[3])
local rate = tonumber(ARGV[4])
local minimum = tonumber(ARGV[5])
local window = tonumber(ARGV[6])
local bucketMs = tonumber(ARGV[7])
local halfOpen = tonumber(ARGV[8])
local multiplier = tonumber(ARGV[9])
local halfOpenMax = tonumber(ARGV[10])
local reservation = tonumber(ARGV[11])
local ttl = tonumber(ARGV[12])

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local h = redis.call('HMGET', key, 'state', 'gen', 'fails', 'opens', 'retry_at', 'probe', 'probe_until')
local state = h[1] or 'closed'
local gen = tonumber(h[2])
local dirty = false
if not gen then
  state = 'closed'
  gen = now
  dirty = true
end
local fails = tonumber(h[3]) or 0
local opens = tonumber(h[4]) or 0
local retryAt = tonumber(h[5]) or 0
local probe = h[6] or ''
local probeUntil = tonumber(h[7]) or 0
local transition = ''
local granted = 0

local function clearWindow()
  local fields = redis.call('HKEYS', key)
  for _, f in ipairs(fields) do
    local c = string.sub(f, 1, 2)
    if c == 's:' or c == 'f:' then redis.call('HDEL', key, f) end
  end
end

local function open()
  opens = opens + 1
  local delay = halfOpen * (multiplier ^ (opens - 1))
  if delay > halfOpenMax then delay = halfOpenMax end
  state = 'open'
  gen = gen + 1
  fails = 0
  retryAt = now + math.floor(delay)
  probe = ''
  probeUntil = 0
  clearWindow()
  transition = 'opened'
  dirty = true
end

local function close()
  state = 'closed'
  gen = gen + 1
  fails = 0
  opens = 0
  retryAt = 0
  probe = ''
  probeUntil = 0
  clearWindow()
  transition = 'closed'
  dirty = true
end

if op == 'sync' then
  local successes = tonumber(ARGV[13])
  local failures = tonumber(ARGV[14])
  local trailing = tonumber(ARGV[15])
  local known = tonumber(ARGV[16])
  if state == 'closed' and seen == gen and (successes > 0 or failures > 0) then
    if successes > 0 then
      -- The successes came after the failures the caller knew of: those are reset. Failures
      -- reported since may have come after them and stay.
      local after = fails - known
      if after < 0 then after = 0 end
      fails = after + trailing
    else
      fails = fails + failures
    end
    dirty = true
    local tripped = consecutive > 0 and fails >= consecutive
    if rate > 0 then
      local bucket = math.floor(now / bucketMs)
      if successes > 0 then redis.call('HINCRBY', key, 's:' .. bucket, successes) end
      if failures > 0 then redis.call('HINCRBY', key, 'f:' .. bucket, failures) end
      local oldest = bucket - math.ceil(window / bucketMs) + 1
      local total = 0
      local failed = 0
      local all = redis.call('HGETALL', key)
      for i = 1, #all, 2 do
        local f = all[i]
        local c = string.sub(f, 1, 2)
        if c == 's:' or c == 'f:' then
          local b = tonumber(string.sub(f, 3))
          if b < oldest then
            redis.call('HDEL', key, f)
          else
            local n = tonumber(all[i + 1])
            total = total + n
            if c == 'f:' then failed = failed + n end
          end
        end
      end
      if total >= minimum and failed / total >= rate then tripped = true end
    end
    if tripped then open() end
  end
elseif op == 'acquire' then
  if (state == 'open' and now >= retryAt) or (state == 'half_open' and now >= probeUntil) then
    if state == 'open' then transition = 'half_opened' end
    state = 'half_open'
    gen = gen + 1
    probe = ARGV[13]
    probeUntil = now + reservation
    granted = 1
    dirty = true
  end
elseif op == 'settle' then
  if state == 'half_open' and seen == gen and probe == ARGV[13] then
    local verdict = ARGV[14]
    if verdict == 'success' then
      close()
    elseif verdict == 'failure' then
      open()
    else
      probe = ''
      probeUntil = 0
      dirty = true
    end
  end
end

if dirty then
  redis.call('HSET', key, 'state', state, 'gen', string.format('%d', gen), 'fails', fails, 'opens', opens,
    'retry_at', string.format('%d', retryAt), 'probe', probe, 'probe_until', string.format('%d', probeUntil))
  redis.call('PEXPIRE', key, ttl)
end

local wait = 0
if state == 'open' then wait = retryAt - now elseif state == 'half_open' then wait = probeUntil - now end
if wait < 0 then wait = 0 end
return { state, string.format('%d', gen), string.format('%d', wait), transition, tostring(granted), tostring(opens), tostring(fails) }
`;

/** SHA1 of the script, for EVALSHA. */
export const BREAKER_SCRIPT_SHA = createHash('sha1').update(BREAKER_SCRIPT).digest('hex');

function ruleArguments(rules: BreakerRules, ttlMs: number): string[] {
  return [
    rules.consecutiveFailures,
    rules.failureRate,
    rules.minimumCalls,
    rules.windowMs,
    rules.bucketMs,
    rules.halfOpenAfterMs,
    rules.backoffMultiplier,
    rules.halfOpenMaxMs,
    rules.probeReservationMs,
    ttlMs,
  ].map(String);
}

export type ScriptCall =
  | { op: 'sync'; seen: number; outcomes: Outcomes }
  | { op: 'acquire'; seen: number; token: string }
  | { op: 'settle'; seen: number; token: string; verdict: ProbeVerdict };

/** ARGV for one call of the script. */
export function scriptArguments(call: ScriptCall, rules: BreakerRules, ttlMs: number): string[] {
  const head = [call.op, String(call.seen), ...ruleArguments(rules, ttlMs)];
  switch (call.op) {
    case 'sync':
      return [...head, String(call.outcomes.successes), String(call.outcomes.failures), String(call.outcomes.trailingFailures), String(call.outcomes.knownFailures ?? 0)];
    case 'acquire':
      return [...head, call.token];
    case 'settle':
      return [...head, call.token, call.verdict];
  }
}
