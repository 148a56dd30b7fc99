-- GET /v1/lieux/reachable from the centres of Andorra's towns (the road graph of
-- ../shared/data/osm/andorra), by car within 10, 20 or 30 minutes and on foot within 15.
package.path = "benches/wrk/?.lua;" .. package.path
local P = require("points")

local towns = {
  { 1.5218, 42.5063 }, { 1.5341, 42.5100 }, { 1.5801, 42.5346 }, { 1.4913, 42.4636 },
  { 1.5148, 42.5450 }, { 1.5331, 42.5562 }, { 1.5973, 42.5676 }, { 1.7333, 42.5425 },
  { 1.6676, 42.5766 }, { 1.4843, 42.5721 },
}
P.cycle(function()
  local paths = {}
  for _, t in ipairs(towns) do
    for _, q in ipairs({ "minutes=10", "minutes=20", "minutes=30", "minutes=15&mode=walk" }) do
      paths[#paths + 1] = string.format("/v1/lieux/reachable?lat=%.4f&lon=%.4f&%s", t[2], t[1], q)
    end
  end
  return paths
end, 7)
