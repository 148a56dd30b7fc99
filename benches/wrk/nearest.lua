-- GET /v1/lieux/nearest?lat=..&lon=..&k=10 cycling over the fixed points of points.lua.
-- Extra query parameters may be passed after `--`, already URL-encoded:
--   wrk ... -s benches/wrk/nearest.lua URL -- '&dispositif_programmes_nationaux=France%20Services'
package.path = "benches/wrk/?.lua;" .. package.path
local P = require("points")

local paths = {}
local i = 0

function init(args)
  local extra = args[1] or ""
  for n, p in ipairs(P.points()) do
    paths[n] = string.format("/v1/lieux/nearest?lat=%.5f&lon=%.5f&k=10%s", p[2], p[1], extra)
  end
  -- Threads start at different places in the cycle.
  i = (tonumber(wrk.thread:get("id")) or 0) * 37
end

function setup(thread)
  thread:set("id", tostring(setup_count or 0))
  setup_count = (setup_count or 0) + 1
end

function request()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end

done = P.report
