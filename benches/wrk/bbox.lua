-- GET /v1/lieux?bbox=minLon,minLat,maxLon,maxLat (or another path) over 0.2° x 0.2° boxes (a map viewport at
-- city zoom) centred on the fixed points of points.lua.
package.path = "benches/wrk/?.lua;" .. package.path
local P = require("points")

-- Arguments: the half side in degrees (0.1), and the path before the box (`/v1/lieux?bbox=`;
-- benches/peers.sh asks OGC API Features items of lieux and tipg with
-- `/collections/lieux/items?limit=1000&bbox=`).
P.cycle(function(args)
  local half = tonumber(args[1] or "0.1")
  local prefix = args[2] or "/v1/lieux?bbox="
  local paths = {}
  for n, p in ipairs(P.points()) do
    paths[n] = prefix .. string.format("%.5f,%.5f,%.5f,%.5f",
      p[1] - half, p[2] - half, p[1] + half, p[2] + half)
  end
  return paths
end, 37)
