"""lieux vs Valhalla on one OSM extract: reachable sets, durations, isochrones and speed.

Run by benches/valhalla/run.sh (which builds both graphs). Origins and target places are
seeded samples of the nodes of lieux's graph (the file format is documented in
src/routing/graph.rs; car origins from the car graph, walk origins from the walk graph, places
from both), so both engines see points lying on roads. lieux runs as its own release server
over HTTP (`serve --graph --snapshot`); Valhalla runs in process through pyvalhalla's Actor: a
1 × N matrix answers the same question as `/v1/lieux/reachable`, and an isochrone request the
same as `/v1/isochrone`.

Per mode (car `auto`, walk `pedestrian`) and limit (3/5/10/15/30 min) it prints:
- ratio: median of lieux/Valhalla durations over the origin–place pairs both reach, Valhalla
  within the limit;
- Jaccard: of the sets of places each engine reaches within the limit, pooled over the origins
  (|A ∩ B| summed / |A ∪ B| summed; the per-origin mean is printed beside it);
- IoU: median over the origins of area(lieux ∩ Valhalla) / area(lieux ∪ Valhalla) of the
  isochrone polygons (shapely, local equirectangular projection);
- whether each target of issue 18 is met: car ratio 0.95–1.05, car Jaccard ≥ 0.85, walk
  Jaccard ≥ 0.9, IoU ≥ 0.8.
Timings are per query, medians over REPEAT rounds; the lieux figure includes HTTP and JSON,
Valhalla's its Python/JSON wrapper.
"""

import argparse
import csv
import http.client
import json
import math
import random
import re
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from shapely.affinity import scale
from shapely.geometry import shape
from valhalla import Actor, get_config

LIMITS_MIN = (3, 5, 10, 15, 30)
MODES = (("car", "auto"), ("walk", "pedestrian"))
SEED = 20200501


def graph_nodes(graph_path):
    """{profile: [(lon, lat)]} of the way nodes of each section of a lieux graph file: its
    nodes, and from version 3 (the compact graph) also its arcs' shape points, so that origins
    and places are drawn from every way node as before the contraction."""
    b = Path(graph_path).read_bytes()
    if b[:8] != b"LIEUXRG\0":
        sys.exit(f"{graph_path}: not a lieux graph")
    version, sections = struct.unpack_from("<II", b, 8)
    if version not in (1, 2, 3, 4, 5):
        sys.exit(f"{graph_path}: graph version {version}, this script reads 1 to 5")
    pos = 16
    out = {}
    for _ in range(sections):
        r = s = p = f = t = x = c = q = 0
        if version == 1:
            profile, n, m = struct.unpack_from("<III", b, pos)
            pos += 12
        elif version == 2:
            # version 2: the turn restrictions (3 × u32 each) after the coordinates
            profile, n, m, r = struct.unpack_from("<IIII", b, pos)
            pos += 16
        elif version == 3:
            # version 3: then the arcs' shapes (see src/routing/graph.rs)
            profile, n, m, r, s, p = struct.unpack_from("<IIIIII", b, pos)
            pos += 24
        elif version == 4:
            # version 4: then the arc flags (f words)
            profile, n, m, r, s, p, f = struct.unpack_from("<IIIIIII", b, pos)
            pos += 28
        else:
            # version 5: then the stored turn data (t = 1: x forbidden turns) and snap grid
            # (c cells, q entries)
            profile, n, m, r, s, p, f, t, x, c, q = struct.unpack_from("<11I", b, pos)
            pos += 44
        body = 4 * ((n + 1) + 3 * m)
        lon = struct.unpack_from(f"<{n}i", b, pos + body)
        lat = struct.unpack_from(f"<{n}i", b, pos + body + 4 * n)
        pts = list(zip(lon, lat))
        pos += body + 8 * n + 12 * r
        if version >= 3:
            pos += 4 * m + (4 * (s + 1) if s else 0)
            plon = struct.unpack_from(f"<{p}i", b, pos)
            plat = struct.unpack_from(f"<{p}i", b, pos + 4 * p)
            pts += list(zip(plon, plat))
            pos += 20 * p + 4 * f
        if version >= 5:
            if t:
                pos += 4 * (3 * m + (n + 3) // 4 + 2 * x)
            pos += 4 * (2 * c + (c + 1) + q)
        # sorted: the same way nodes give the same seeded sample whatever the file version
        out[{1: "car", 2: "walk"}[profile]] = [(x * 1e-7, y * 1e-7) for x, y in sorted(pts)]
    return out


def sample(nodes, n_places, n_origins):
    """The seeded target places (half from the car graph's way nodes, half from the walk
    graph's) and origins ({mode: points}) of a run."""
    rng = random.Random(SEED)
    half = n_places // 2
    places = rng.sample(nodes["car"], min(half, len(nodes["car"]))) + \
        rng.sample(nodes["walk"], min(n_places - half, len(nodes["walk"])))
    origins = {mode: rng.sample(nodes[mode], min(n_origins, len(nodes[mode])))
               for mode, _ in MODES}
    return places, origins


def places_csv(path, places):
    """A schema v1 CSV of the target places (fictitious), and beside it (`.communes.geojson`)
    the commune polygon `lieux import --communes` checks their positions against: one commune
    (Paris's codes, the extracts are not all French) covering every place, so none is dropped
    as outside its commune. Distinct SIRETs: places sharing one would be grouped as
    duplicates."""
    xs, ys = [p[0] for p in places], [p[1] for p in places]
    x0, x1, y0, y1 = min(xs) - 0.1, max(xs) + 0.1, min(ys) - 0.1, max(ys) + 0.1
    ring = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
    Path(str(path) + ".communes.geojson").write_text(json.dumps({
        "type": "FeatureCollection", "features": [{
            "type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]},
            "properties": {"code_insee": "75056", "nom": "Paris", "code_departement": "75",
                           "type": "COM"}}]}))
    cols = ("id,pivot,nom,commune,code_postal,code_insee,adresse,complement_adresse,latitude,"
            "longitude,typologie,telephone,courriels,site_web,horaires,presentation_resume,"
            "presentation_detail,source,itinerance,structure_parente,date_maj,services,"
            "publics_specifiquement_adresses,prise_en_charge_specifique,frais_a_charge,"
            "dispositif_programmes_nationaux,formations_labels,autres_formations_labels,"
            "modalites_acces,modalites_accompagnement,fiche_acces_libre,prise_rdv").split(",")
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=cols)
        w.writeheader()
        for i, (lon, lat) in enumerate(places):
            w.writerow({"id": f"p{i}", "pivot": f"{10**13 + i:014d}", "nom": f"Lieu {i}",
                        "commune": "Paris", "code_postal": "75001",
                        "code_insee": "75056",
                        "adresse": f"{i} carrer", "latitude": f"{lat:.7f}",
                        "longitude": f"{lon:.7f}", "date_maj": "2024-01-01"})


class Lieux:
    def __init__(self, binary, graph, snapshot):
        self.log = tempfile.NamedTemporaryFile("w+", suffix=".log")
        self.proc = subprocess.Popen(
            [binary, "serve", "--snapshot", snapshot, "--graph", graph, "--bind", "127.0.0.1:0"],
            stdout=self.log, stderr=self.log)
        addr = None
        for _ in range(600):
            self.log.seek(0)
            m = re.search(r"listening on http://([0-9.]+):(\d+)", self.log.read())
            if m:
                addr = (m.group(1), int(m.group(2)))
                break
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        if addr is None:
            self.log.seek(0)
            self.close()
            sys.exit("lieux did not start:\n" + self.log.read())
        self.conn = http.client.HTTPConnection(*addr)

    def get(self, path):
        self.conn.request("GET", path)
        r = self.conn.getresponse()
        body = r.read()
        if r.status != 200:
            raise RuntimeError(f"{path}: {r.status} {body[:200]!r}")
        return json.loads(body)

    def close(self):
        self.proc.terminate()
        self.proc.wait()


def iou(a, b, lat0):
    """Intersection over union of two GeoJSON (Multi)Polygons, local equirectangular metres."""
    kx = math.cos(math.radians(lat0))
    ga = scale(shape(a), xfact=kx, yfact=1.0, origin=(0, 0)).buffer(0) if a else None
    gb = scale(shape(b), xfact=kx, yfact=1.0, origin=(0, 0)).buffer(0) if b else None
    if ga is None or gb is None or ga.is_empty or gb.is_empty:
        return 1.0 if (ga is None or ga.is_empty) and (gb is None or gb.is_empty) else 0.0
    u = ga.union(gb).area
    return ga.intersection(gb).area / u if u > 0 else 1.0


def q(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, max(0, round((len(v) - 1) * p)))] if v else float("nan")


def timed(f, repeat, sink):
    for _ in range(repeat):
        t = time.perf_counter()
        out = f()
        sink.append(time.perf_counter() - t)
    return out


def common_args():
    """The arguments every comparison script takes: binaries, graphs, work dir and sample."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--lieux", required=True)
    ap.add_argument("--graph", required=True)
    ap.add_argument("--valhalla-tiles", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--origins", type=int, default=40)
    ap.add_argument("--places", type=int, default=600)
    return ap


def main():
    ap = common_args()
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--json", help="also write the figures here")
    a = ap.parse_args()

    places, origins = sample(graph_nodes(a.graph), a.places, a.origins)
    work = Path(a.work)
    places_csv(work / "places.csv", places)
    imported = subprocess.run(
        [a.lieux, "import", str(work / "places.csv"), "--out", str(work / "places.fgb"),
         "--communes", str(work / "places.csv.communes.geojson")],
        check=True, capture_output=True, text=True)
    if "dropped" in imported.stderr or "rejections" in imported.stderr:
        sys.exit("places import dropped positions:\n" + imported.stderr)

    lieux = Lieux(a.lieux, a.graph, str(work / "places.fgb"))
    config = get_config(tile_extract="", tile_dir=a.valhalla_tiles)
    config["service_limits"]["isochrone"]["max_contours"] = len(LIMITS_MIN)
    actor = Actor(config)
    targets = [{"lat": lat, "lon": lon} for lon, lat in places]
    top = max(LIMITS_MIN)
    minutes = ",".join(map(str, LIMITS_MIN))

    figures = {}
    times = {k: [] for k in ("reach_l", "reach_v", "iso_l", "iso_v")}
    for mode, costing in MODES:
        pooled = {m: [0, 0] for m in LIMITS_MIN}  # |A ∩ B|, |A ∪ B| summed over the origins
        jac = {m: [] for m in LIMITS_MIN}
        ratios = {m: [] for m in LIMITS_MIN}
        ious = {m: [] for m in LIMITS_MIN}
        skipped = 0
        for lon, lat in origins[mode]:
            at = f"lat={lat:.7f}&lon={lon:.7f}&mode={mode}"
            v = timed(lambda: lieux.get(f"/v1/lieux/reachable?{at}&minutes={top}&territoire=tous"), a.repeat,
                      times["reach_l"] if mode == "car" else [])
            if v.get("estimate"):
                skipped += 1
                continue
            ld = {f["properties"]["id"]: f["properties"]["duration_s"] for f in v["features"]
                  if not f["properties"].get("estimate")}
            req = {"sources": [{"lat": lat, "lon": lon}], "targets": targets, "costing": costing}
            m = timed(lambda: actor.matrix(req), a.repeat,
                      times["reach_v"] if mode == "car" else [])
            row = m["sources_to_targets"][0]
            vd = {f"p{c['to_index']}": c["time"] for c in row if c.get("time") is not None}
            for lim in LIMITS_MIN:
                A = {k for k, d in ld.items() if d <= lim * 60}
                B = {k for k, d in vd.items() if d <= lim * 60}
                union = A | B
                if union:
                    jac[lim].append(len(A & B) / len(union))
                pooled[lim][0] += len(A & B)
                pooled[lim][1] += len(union)
                ratios[lim] += [ld[k] / vd[k] for k in ld
                                if k in vd and 0 < vd[k] <= lim * 60]
            # denoise=1: the question Valhalla's request below answers (its default denoise
            # keeps each contour's largest ring; lieux's default keeps islands and holes)
            li = timed(lambda: lieux.get(f"/v1/isochrone?{at}&minutes={minutes}&denoise=1"),
                       a.repeat,
                       times["iso_l"] if mode == "car" else [])
            ireq = {"locations": [{"lat": lat, "lon": lon}], "costing": costing,
                    "polygons": True, "contours": [{"time": t} for t in LIMITS_MIN]}
            vi = timed(lambda: actor.isochrone(ireq), a.repeat,
                       times["iso_v"] if mode == "car" else [])
            lg = {f["properties"]["minutes"]: f["geometry"] for f in li["features"]}
            vg = {int(f["properties"]["contour"]): f["geometry"] for f in vi["features"]}
            for lim in LIMITS_MIN:
                ious[lim].append(iou(lg.get(lim), vg.get(lim), lat))
        figures[mode] = {
            lim: {"ratio": q(ratios[lim], .5), "ratio_p10": q(ratios[lim], .1),
                  "ratio_p90": q(ratios[lim], .9), "pairs": len(ratios[lim]),
                  "jaccard": pooled[lim][0] / max(1, pooled[lim][1]),
                  "jaccard_mean": statistics.mean(jac[lim]) if jac[lim] else float("nan"),
                  "iou": q(ious[lim], .5)}
            for lim in LIMITS_MIN}
        figures[mode]["origins"] = len(origins[mode]) - skipped
    lieux.close()

    ok = lambda b: "yes" if b else "**no**"  # noqa: E731
    print(f"## lieux vs Valhalla (pyvalhalla 3.9.1), {work.parent.name}: {len(places)} places, "
          f"{figures['car']['origins']} car and {figures['walk']['origins']} walk origins\n")
    print("| mode | limit | pairs | ratio median (p10–p90) | Jaccard pooled (mean) | IoU median "
          "| targets met |")
    print("|---|---:|---:|---:|---:|---:|---|")
    met_all = True
    for mode, _ in MODES:
        for lim in LIMITS_MIN:
            f = figures[mode][lim]
            if mode == "car":
                met = 0.95 <= f["ratio"] <= 1.05 and f["jaccard"] >= 0.85 and f["iou"] >= 0.8
                why = (f"ratio {ok(0.95 <= f['ratio'] <= 1.05)}, J {ok(f['jaccard'] >= 0.85)}, "
                       f"IoU {ok(f['iou'] >= 0.8)}")
            else:
                met = f["jaccard"] >= 0.9 and f["iou"] >= 0.8
                why = f"J {ok(f['jaccard'] >= 0.9)}, IoU {ok(f['iou'] >= 0.8)}"
            met_all &= met
            print(f"| {mode} | {lim} min | {f['pairs']} | {f['ratio']:.3f} "
                  f"({f['ratio_p10']:.2f}–{f['ratio_p90']:.2f}) | {f['jaccard']:.3f} "
                  f"({f['jaccard_mean']:.3f}) | {f['iou']:.3f} | {why} |")
    print(f"\nAll targets met on {work.parent.name}: {ok(met_all)}.\n")
    if a.repeat > 1:
        ms = lambda xs: statistics.median(xs) * 1e3  # noqa: E731
        print("| car query (per-query median) | lieux (HTTP, release) | Valhalla (Actor) |")
        print("|---|---:|---:|")
        print(f"| 1 origin × {len(places)} places, {top} min | {ms(times['reach_l']):.2f} ms | "
              f"{ms(times['reach_v']):.2f} ms |")
        print(f"| isochrone {minutes} min | {ms(times['iso_l']):.2f} ms | "
              f"{ms(times['iso_v']):.2f} ms |\n")
    if a.json:
        Path(a.json).write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
