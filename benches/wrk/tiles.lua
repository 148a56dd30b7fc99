-- GET /tiles/lieux/{z}/{x}/{y}.mvt: the tiles under the fixed points of points.lua at zooms 5 to
-- 12 (what a map pans over: clusters at low zoom, single places at high zoom).
package.path = "benches/wrk/?.lua;" .. package.path
local P = require("points")

P.cycle(function(args)
  local paths = {}
  for _, p in ipairs(P.points()) do
    for z = 5, 12 do
      local scale = 2 ^ z
      local x = math.floor((p[1] + 180) / 360 * scale)
      local lat = math.rad(p[2])
      local y = math.floor((1 - math.log(math.tan(lat) + 1 / math.cos(lat)) / math.pi) / 2 * scale)
      paths[#paths + 1] = string.format("/tiles/lieux/%d/%d/%d.mvt", z, x, y)
    end
  end
  return paths
end, 37)
