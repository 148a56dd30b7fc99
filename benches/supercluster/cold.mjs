// supercluster's cost for a new filter, as benches/tiles_cold.rs measures lieux's: load the
// filtered places (radius 60, extent 512, maxZoom 16, as the server clusters) and answer tile
// 5/16/11. Input: a file of little-endian f64 (lon, lat) pairs; prints the median wall and CPU
// milliseconds over RUNS runs, after one warm-up run on the first thousand points (JIT), then
// the tile's features as "cluster_id:point_count" (-1:1 for a place), sorted, for comparison.
//   node cold.mjs POINTS.f64 RUNS
import { readFileSync } from "node:fs";
import Supercluster from "supercluster";

const [file, runsArg] = process.argv.slice(2);
const buf = readFileSync(file);
const coords = new Float64Array(buf.buffer, buf.byteOffset, buf.byteLength / 8);
const features = [];
for (let i = 0; i < coords.length; i += 2) {
  features.push({ type: "Feature", properties: { i: i / 2 }, geometry: { type: "Point", coordinates: [coords[i], coords[i + 1]] } });
}
const options = { radius: 60, extent: 512, maxZoom: 16 };
const once = (pts) => {
  const index = new Supercluster(options).load(pts);
  return index.getTile(5, 16, 11);
};
once(features.slice(0, 1000));
const median = (v) => v.sort((a, b) => a - b)[v.length >> 1];
let last = null;
const wall = [];
const cpu = [];
for (let r = 0; r < Number(runsArg || 3); r++) {
  const t = process.hrtime.bigint();
  const c = process.cpuUsage();
  const tile = once(features);
  const dc = process.cpuUsage(c);
  wall.push(Number(process.hrtime.bigint() - t) / 1e6);
  cpu.push((dc.user + dc.system) / 1e3);
  if (!tile || tile.features.length === 0) throw new Error("empty tile");
  last = tile;
}
console.log(median(wall).toFixed(1), median(cpu).toFixed(1));
const got = last.features.map((f) => (f.tags.cluster ? `${f.tags.cluster_id}:${f.tags.point_count}` : "-1:1"));
console.log(got.sort().join(" "));
