-- Sliding-window counter for kv.Redis.Allow; the Go reference is
-- windowState.allow in kv.go. Keep the two in step.
--
-- KEYS[1]  hash holding i (current window index), c (count in it) and
--          p (count in the previous window)
-- ARGV[1]  limit (>= 1)
-- ARGV[2]  window in milliseconds (>= 1)
-- returns  {allowed 0|1, remaining, reset_after_ms, retry_after_ms}
--
-- Redis's own clock is used so that every replica agrees on the window,
-- whatever its local clock says.
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local idx = math.floor(now / window)

local st = redis.call('HMGET', KEYS[1], 'i', 'c', 'p')
local si = tonumber(st[1]) or idx
local cur = tonumber(st[2]) or 0
local prev = tonumber(st[3]) or 0
if idx == si + 1 then
  prev = cur
  cur = 0
elseif idx > si + 1 then
  prev = 0
  cur = 0
elseif idx < si then
  idx = si
end

local elapsed = now - idx * window
if elapsed < 0 then elapsed = 0 end
if elapsed > window - 1 then elapsed = window - 1 end
local reset = window - elapsed
local est = prev * (window - elapsed) / window + cur

if est + 1 <= limit then
  redis.call('HSET', KEYS[1], 'i', idx, 'c', cur + 1, 'p', prev)
  -- The state matters until the end of the window after this one.
  redis.call('PEXPIRE', KEYS[1], 2 * window - elapsed)
  local remaining = math.floor(limit - est - 1)
  if remaining < 0 then remaining = 0 end
  return {1, remaining, reset, 0}
end

-- Denied requests are not counted, so nothing is written.
local retry
if cur + 1 <= limit then
  retry = math.ceil(window * (1 - (limit - cur - 1) / prev)) - elapsed
else
  retry = reset + math.ceil(window * (1 - (limit - 1) / cur))
end
if retry < 1 then retry = 1 end
if retry > window then retry = window end
return {0, 0, reset, retry}
