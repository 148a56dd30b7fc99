-- GET /v1/lieux?bbox=minLon,minLat,maxLon,maxLat over 0.2° x 0.2° boxes (a map viewport at
-- city zoom) centred on the fixed points of points.lua.
package.path = "benches/wrk/?.lua;" .. package.path
local P = require("points")

P.cycle(function(args)
  local half = tonumber(args[1] or "0.1")
  local paths = {}
  for n, p in ipairs(P.points()) do
    paths[n] = string.format("/v1/lieux?bbox=%.5f,%.5f,%.5f,%.5f",
      p[1] - half, p[2] - half, p[1] + half, p[2] + half)
  end
  return paths
end, 37)
