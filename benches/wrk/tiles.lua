-- GET /tiles/lieux/{z}/{x}/{y}.mvt: the tiles under the fixed points of points.lua at zooms 5 to
-- 12 (what a map pans over: clusters at low zoom, single places at high zoom).
package.path = "benches/wrk/?.lua;" .. package.path
local P = require("points")

local paths = {}
local i = 0

function init(args)
  local n = 0
  for _, p in ipairs(P.points()) do
    for z = 5, 12 do
      local scale = 2 ^ z
      local x = math.floor((p[1] + 180) / 360 * scale)
      local lat = math.rad(p[2])
      local y = math.floor((1 - math.log(math.tan(lat) + 1 / math.cos(lat)) / math.pi) / 2 * scale)
      n = n + 1
      paths[n] = string.format("/tiles/lieux/%d/%d/%d.mvt", z, x, y)
    end
  end
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
