-- GET /v1/lieux/nearest?lat=..&lon=..&k=10 cycling over the fixed points of points.lua.
-- Extra query parameters may be passed after `--`, already URL-encoded:
--   wrk ... -s benches/wrk/nearest.lua URL -- '&dispositif_programmes_nationaux=France%20Services'
package.path = "benches/wrk/?.lua;" .. package.path
local P = require("points")

P.cycle(function(args)
  local extra = args[1] or ""
  local paths = {}
  for n, p in ipairs(P.points()) do
    paths[n] = string.format("/v1/lieux/nearest?lat=%.5f&lon=%.5f&k=10%s", p[2], p[1], extra)
  end
  return paths
end, 37)
