-- wrk load for benchmarks/gateway.py: every request is a distinct Stripe event, signed like
-- Stripe signs (HMAC-SHA256 of "t.body" keyed with the whole whsec_ secret) through OpenSSL's
-- HMAC over LuaJIT FFI. The Python side substitutes the dollar-brace placeholders.
local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_usec; } bench_timeval;
int gettimeofday(bench_timeval *tv, void *tz);
typedef struct evp_md_st EVP_MD;
const EVP_MD *EVP_sha256(void);
unsigned char *HMAC(const EVP_MD *evp_md, const void *key, int key_len,
                    const unsigned char *d, size_t n, unsigned char *md, unsigned int *md_len);
]]
local crypto = ffi.load("crypto")
local digest = ffi.new("unsigned char[32]")
local digest_len = ffi.new("unsigned int[1]")
local secret = "${secret}"
local run = "${run}"
local padding = string.rep("x", ${padding})
local delay_ms = ${delay_ms}
local event_seconds = ${event_seconds}
local tv = ffi.new("bench_timeval")
local function now()
  ffi.C.gettimeofday(tv, nil)
  return tonumber(tv.tv_sec) + tonumber(tv.tv_usec) / 1e6
end
local hex = {}
for i = 0, 255 do hex[i] = string.format("%02x", i) end

local threads = {}
local next_id = 0
counter = 0
thread_id = 0
local deadline = 0

function setup(thread)
  thread:set("thread_id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  deadline = now() + event_seconds
end

local function signature(payload)
  crypto.HMAC(crypto.EVP_sha256(), secret, #secret, payload, #payload, digest, digest_len)
  local out = {}
  for i = 0, 31 do out[i + 1] = hex[digest[i]] end
  return table.concat(out)
end

-- wrk calls request() once on thread 0 to check the script before any connection exists: that
-- one is never sent, so it must not be an event (it would count as sent and never be stored).
local verified = false

function request()
  if not verified then
    verified = true
    return wrk.format("GET", "/healthz")
  end
  counter = counter + 1
  local body = '{"id":"evt_' .. run .. '_' .. thread_id .. '_' .. counter ..
    '","object":"event","type":"invoice.paid","created":1700000000,"livemode":false,' ..
    '"data":{"object":{"id":"in_' .. counter .. '","object":"invoice","amount_due":1999,' ..
    '"currency":"usd","description":"' .. padding .. '"}}}'
  local t = tostring(os.time())
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/json",
    ["Stripe-Signature"] = "t=" .. t .. ",v1=" .. signature(t .. "." .. body),
  }, body)
end

-- After the deadline no connection sends again: every event written has been answered by the
-- time wrk stops, so the count of events sent is exact (no request cut off in flight).
function delay()
  if now() >= deadline then return 3600000 end
  return delay_ms
end

function done(summary, latency, requests)
  local sent = 0
  for _, thread in ipairs(threads) do sent = sent + thread:get("counter") end
  local e = summary.errors
  io.write(string.format(
    'WRK {"sent":%d,"requests":%d,"non2xx":%d,"socket_errors":%d,"duration_us":%d,' ..
    '"p50_us":%d,"p99_us":%d,"max_us":%d}\n',
    sent, summary.requests, e.status, e.connect + e.read + e.write + e.timeout,
    summary.duration, latency:percentile(50), latency:percentile(99), latency.max))
end
