-- GET /v1/lieux?bbox=minLon,minLat,maxLon,maxLat over 0.2° x 0.2° boxes (a map viewport at
-- city zoom) centred on the fixed points of points.lua.
package.path = "benches/wrk/?.lua;" .. package.path
local P = require("points")

local paths = {}
local i = 0

function init(args)
  local half = tonumber(args[1] or "0.1")
  for n, p in ipairs(P.points()) do
    paths[n] = string.format("/v1/lieux?bbox=%.5f,%.5f,%.5f,%.5f",
      p[1] - half, p[2] - half, p[1] + half, p[2] + half)
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
