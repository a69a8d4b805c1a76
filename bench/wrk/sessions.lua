-- wrk script of bench/benchmark.sh: spreads requests at random over signed-in sessions and sends each one's
-- cookie (and, for unsafe methods, its X-CSRF-Token). Environment:
--   WRK_SESSIONS  file with one "<cookie name=value>\t<csrf token>" line per session (BenchTool seed writes it)
--   WRK_METHOD    GET or POST (default GET);  WRK_PATH  request path (default /api/me)
-- At the end it prints one line "WRKRESULT {json}" with the counts and latency percentiles (microseconds).
-- "sent" counts requests handed to the connection (an upper bound of what the server received), "ok" the 2xx
-- responses wrk read (a lower bound of what the server did): the benchmark compares lost updates with both.

local threads = {}
local counter = 1

function setup(thread)
  thread:set("id", counter)
  table.insert(threads, thread)
  counter = counter + 1
end

local sessions = {}
local method, path
sent, ok, bad, s401, s403, s5xx = 0, 0, 0, 0, 0, 0

function init(args)
  method = os.getenv("WRK_METHOD") or "GET"
  path = os.getenv("WRK_PATH") or "/api/me"
  local file = assert(io.open(assert(os.getenv("WRK_SESSIONS"), "WRK_SESSIONS not set"), "r"))
  for line in file:lines() do
    local cookie, token = line:match("^([^\t]+)\t?(.*)$")
    if cookie then
      local headers = { ["Cookie"] = cookie }
      if method ~= "GET" then
        headers["X-CSRF-Token"] = token
        headers["Content-Length"] = "0"
      end
      sessions[#sessions + 1] = wrk.format(method, path, headers, nil)
    end
  end
  file:close()
  math.randomseed(os.time() * 1000 + id)
end

function request()
  sent = sent + 1
  return sessions[math.random(#sessions)]
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
    ok = ok + 1
  else
    bad = bad + 1
    if status == 401 then s401 = s401 + 1 elseif status == 403 then s403 = s403 + 1 elseif status >= 500 then s5xx = s5xx + 1 end
  end
end

function done(summary, latency, requests)
  local s, o, b, u, f, x = 0, 0, 0, 0, 0, 0
  for _, t in ipairs(threads) do
    s = s + t:get("sent"); o = o + t:get("ok"); b = b + t:get("bad")
    u = u + t:get("s401"); f = f + t:get("s403"); x = x + t:get("s5xx")
  end
  local e = summary.errors
  io.write(string.format('WRKRESULT {"requests":%d,"duration_us":%d,"rps":%.1f,"sent":%d,"ok":%d,"non2xx":%d,"s401":%d,"s403":%d,"s5xx":%d,' ..
      '"connect_errors":%d,"read_errors":%d,"write_errors":%d,"status_errors":%d,"timeouts":%d,' ..
      '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6), s, o, b, u, f, x,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
