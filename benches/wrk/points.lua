-- ~200 fixed query points over metropolitan France (lon -5..9.5, lat 41.3..51.1), the same
-- area as the synthetic bench data. A fixed-seed LCG, not math.random, so every wrk build
-- (LuaJIT or Lua 5.x) and every thread gets the same list.
local M = {}

M.count = 200

function M.points()
  local state = 12345
  local function rand()
    state = (state * 1103515245 + 12345) % 2147483648
    return state / 2147483648
  end
  local pts = {}
  for i = 1, M.count do
    local lon = -5.0 + rand() * 14.5
    local lat = 41.3 + rand() * 9.8
    pts[i] = { lon, lat }
  end
  return pts
end

-- wrk's done() hook: one machine-readable line for benches/http.sh.
function M.report(summary, latency)
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format(
    "RESULT requests=%d rps=%.1f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f non2xx=%d socket_errors=%d\n",
    summary.requests, summary.requests / secs,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    e.status, e.connect + e.read + e.write + e.timeout))
end

-- Installs wrk's hooks (setup, init, request, done) to cycle over the paths that `build(args)`
-- returns (args: what follows `--` on wrk's command line); thread n starts n * stride paths in.
function M.cycle(build, stride)
  local paths, i = {}, 0
  function setup(thread)
    thread:set("id", tostring(setup_count or 0))
    setup_count = (setup_count or 0) + 1
  end
  function init(args)
    paths = build(args)
    i = (tonumber(wrk.thread:get("id")) or 0) * stride
  end
  function request()
    i = i % #paths + 1
    return wrk.format("GET", paths[i])
  end
  done = M.report
end

return M
