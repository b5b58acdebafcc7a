-- wrk script used by scripts/bench.sh: etcd v3 puts through etcd's HTTP/JSON
-- gateway, POST /v3/kv/put {"key": base64, "value": base64}, one put per
-- request, random keys like redis-benchmark -r (a 15-byte key "key" + 12
-- digits below KEYSPACE) and a 3-byte value (redis-benchmark's default -d 3).
--   KEYSPACE=1000000 wrk -t2 -c50 -d10s -s scripts/bench/etcd-put.lua http://127.0.0.1:2379
-- done() prints one line, "WRK_RESULT key=value ...", that bench.sh parses;
-- replies that are not HTTP 200 or that carry an "error" field are counted.
local keyspace = tonumber(os.getenv("KEYSPACE") or "") or 1000000

local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local function b64_3(s) -- base64 of exactly three bytes: four characters, no padding
  local a, b, c = s:byte(1, 3)
  local n = a * 65536 + b * 256 + c
  local out = {}
  for i = 3, 0, -1 do
    local v = math.floor(n / 64 ^ i) % 64
    out[#out + 1] = alphabet:sub(v + 1, v + 1)
  end
  return table.concat(out)
end

-- Keys are "key" followed by four groups of three digits: every group is
-- three bytes, so the base64 of a key is the concatenation of precomputed parts.
local group = {}
for i = 0, 999 do group[i] = b64_3(string.format("%03d", i)) end
local prefix = b64_3("key")
local value = b64_3("xxx")
local headers = { ["Content-Type"] = "application/json" }

local threads = {}
function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(os.time() * 1000 + (id or 0) * 7919)
  bad = 0
end

function request()
  local k = math.random(0, keyspace - 1)
  local body = '{"key":"' .. prefix
    .. group[math.floor(k / 1000000000) % 1000] .. group[math.floor(k / 1000000) % 1000]
    .. group[math.floor(k / 1000) % 1000] .. group[k % 1000]
    .. '","value":"' .. value .. '"}'
  return wrk.format("POST", "/v3/kv/put", headers, body)
end

function response(status, hdrs, body)
  if status ~= 200 or (body and body:find('"error"', 1, true)) then bad = bad + 1 end
end

function done(summary, latency, requests)
  local nbad = 0
  for _, t in ipairs(threads) do nbad = nbad + (tonumber(t:get("bad")) or 0) end
  local e = summary.errors
  io.write(string.format(
    "WRK_RESULT requests=%d duration_s=%.3f rps=%.2f p50_ms=%.3f p99_ms=%.3f bad_replies=%d "
      .. "err_connect=%d err_read=%d err_write=%d err_status=%d err_timeout=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, nbad,
    e.connect, e.read, e.write, e.status, e.timeout))
end
