"""lieux vs Valhalla on one OSM extract: reachable sets, durations, isochrone areas and speed.

Run by benches/valhalla/run.sh (which builds both graphs). Origins and target places are
seeded samples of the nodes of lieux's car graph (the file format is documented in
src/routing/graph.rs), so both engines see points lying on roads. lieux runs as its own release
server over HTTP (`serve --graph --snapshot`); Valhalla runs in process through pyvalhalla's
Actor: a 1 × N matrix answers the same question as `/v1/lieux/reachable`, and an isochrone
request the same as `/v1/isochrone`. Timings are per query, medians over REPEAT rounds; the
lieux figure includes HTTP and JSON, Valhalla's its Python/JSON wrapper.
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

from valhalla import Actor, get_config

LIMITS_MIN = (10, 20, 30)
SEED = 20200501


def car_nodes(graph_path):
    """(lon, lat) of every node of the car section of a lieux graph file."""
    b = Path(graph_path).read_bytes()
    if b[:8] != b"LIEUXRG\0":
        sys.exit(f"{graph_path}: not a lieux graph")
    version, sections = struct.unpack_from("<II", b, 8)
    pos = 16
    for _ in range(sections):
        profile, n, m = struct.unpack_from("<III", b, pos)
        pos += 12
        body = 4 * ((n + 1) + 3 * m)
        if profile == 1:
            lon = struct.unpack_from(f"<{n}i", b, pos + body)
            lat = struct.unpack_from(f"<{n}i", b, pos + body + 4 * n)
            return [(x * 1e-7, y * 1e-7) for x, y in zip(lon, lat)]
        pos += body + 8 * n
    sys.exit("no car section")


def places_csv(path, places):
    """A schema v1 CSV of the target places (fictitious: Andorra has none)."""
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
            w.writerow({"id": f"p{i}", "pivot": "00000000000000", "nom": f"Lieu {i}",
                        "commune": "Andorra la Vella", "code_postal": "66760",
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


def ring_area_m2(ring, lat0):
    """Planar area of a lon/lat ring in a local equirectangular projection, m²."""
    k = 6371008.8 * math.pi / 180
    kx = k * math.cos(math.radians(lat0))
    pts = [(x * kx, y * k) for x, y in ring]
    return abs(sum(a[0] * b[1] - b[0] * a[1] for a, b in zip(pts, pts[1:] + pts[:1]))) / 2


def geometry_area_km2(geom, lat0):
    polys = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
    if geom["type"] == "LineString":  # Valhalla with polygons=false
        return 0.0
    total = 0.0
    for poly in polys:
        if not poly:
            continue
        total += ring_area_m2(poly[0], lat0) - sum(ring_area_m2(h, lat0) for h in poly[1:])
    return total / 1e6


def q(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, max(0, round((len(v) - 1) * p)))] if v else float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lieux", required=True)
    ap.add_argument("--graph", required=True)
    ap.add_argument("--valhalla-tiles", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--origins", type=int, default=25)
    ap.add_argument("--places", type=int, default=300)
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()

    nodes = car_nodes(a.graph)
    rng = random.Random(SEED)
    origins = rng.sample(nodes, a.origins)
    places = rng.sample(nodes, a.places)
    work = Path(a.work)
    places_csv(work / "places.csv", places)
    subprocess.run([a.lieux, "import", str(work / "places.csv"), "--out", str(work / "places.fgb")],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    lieux = Lieux(a.lieux, a.graph, str(work / "places.fgb"))
    actor = Actor(get_config(tile_extract="", tile_dir=a.valhalla_tiles))
    targets = [{"lat": lat, "lon": lon} for lon, lat in places]
    limit_s = max(LIMITS_MIN) * 60

    jaccard = {m: [] for m in LIMITS_MIN}
    pooled = {m: [0, 0] for m in LIMITS_MIN}  # |A ∩ B|, |A ∪ B| over all origins
    only = {"lieux": 0, "valhalla": 0}
    ratios = []
    area_ratio = {m: [] for m in LIMITS_MIN}
    t_lieux, t_valhalla, t_liso, t_viso = [], [], [], []
    algorithm = "?"
    skipped = 0
    for lon, lat in origins:
        # lieux: the places reachable within 30 min (every limit is a subset of that answer)
        path = f"/v1/lieux/reachable?lat={lat:.7f}&lon={lon:.7f}&minutes={max(LIMITS_MIN)}&mode=car"
        for _ in range(a.repeat):
            t = time.perf_counter()
            v = lieux.get(path)
            t_lieux.append(time.perf_counter() - t)
        if v.get("estimate"):
            skipped += 1
            continue
        ld = {f["properties"]["id"]: f["properties"]["duration_s"] for f in v["features"]}
        req = {"sources": [{"lat": lat, "lon": lon}], "targets": targets, "costing": "auto"}
        for _ in range(a.repeat):
            t = time.perf_counter()
            m = actor.matrix(req)
            t_valhalla.append(time.perf_counter() - t)
        algorithm = m.get("algorithm", "?")
        row = m["sources_to_targets"][0]
        vd = {f"p{c['to_index']}": c["time"] for c in row if c.get("time") is not None}
        for lim in LIMITS_MIN:
            A = {k for k, d in ld.items() if d <= lim * 60}
            B = {k for k, d in vd.items() if d <= lim * 60}
            union = A | B
            if union:
                jaccard[lim].append(len(A & B) / len(union))
            pooled[lim][0] += len(A & B)
            pooled[lim][1] += len(union)
            if lim == max(LIMITS_MIN):
                only["lieux"] += len(A - B)
                only["valhalla"] += len(B - A)
        ratios += [ld[k] / vd[k] for k in ld if k in vd and vd[k] > 0 and vd[k] <= limit_s]

        ipath = f"/v1/isochrone?lat={lat:.7f}&lon={lon:.7f}&minutes=10,20,30&mode=car"
        for _ in range(a.repeat):
            t = time.perf_counter()
            li = lieux.get(ipath)
            t_liso.append(time.perf_counter() - t)
        ireq = {"locations": [{"lat": lat, "lon": lon}], "costing": "auto", "polygons": True,
                "contours": [{"time": m} for m in LIMITS_MIN]}
        for _ in range(a.repeat):
            t = time.perf_counter()
            vi = actor.isochrone(ireq)
            t_viso.append(time.perf_counter() - t)
        la = {f["properties"]["minutes"]: geometry_area_km2(f["geometry"], lat) for f in li["features"]}
        va = {int(f["properties"]["contour"]): geometry_area_km2(f["geometry"], lat)
              for f in vi["features"]}
        for lim in LIMITS_MIN:
            if va.get(lim):
                area_ratio[lim].append(la.get(lim, 0.0) / va[lim])
    lieux.close()

    ms = lambda xs: statistics.median(xs) * 1e3  # noqa: E731
    n = len(origins) - skipped
    print(f"## lieux vs Valhalla (pyvalhalla 3.9.1), {Path(a.work).name}: {n} origins, "
          f"{len(places)} places, car\n")
    print("| limit | mean Jaccard of reachable places | pooled Jaccard | isochrone area lieux/Valhalla (median, p10–p90) |")
    print("|---|---:|---:|---:|")
    for lim in LIMITS_MIN:
        ar = area_ratio[lim]
        print(f"| {lim} min | {statistics.mean(jaccard[lim]):.3f} | "
              f"{pooled[lim][0] / max(1, pooled[lim][1]):.3f} | "
              f"{q(ar, .5):.2f} ({q(ar, .1):.2f}–{q(ar, .9):.2f}) |")
    print(f"\nWithin 30 min: {only['lieux']} origin–place pairs reached only by lieux, "
          f"{only['valhalla']} only by Valhalla.")
    print(f"Duration ratio lieux/Valhalla over {len(ratios)} pairs both reach "
          f"(Valhalla ≤ 30 min): median {q(ratios, .5):.3f}, p10 {q(ratios, .1):.3f}, "
          f"p90 {q(ratios, .9):.3f}.\n")
    print("| query (per-query median) | lieux (HTTP, release) | Valhalla (Actor, in process) | ratio Valhalla/lieux |")
    print("|---|---:|---:|---:|")
    print(f"| 1 origin × {len(places)} places, 30 min (`reachable` vs `matrix`) | "
          f"{ms(t_lieux):.2f} ms | {ms(t_valhalla):.2f} ms | {ms(t_valhalla) / ms(t_lieux):.1f}× |")
    print(f"| isochrone 10/20/30 min | {ms(t_liso):.2f} ms | {ms(t_viso):.2f} ms | "
          f"{ms(t_viso) / ms(t_liso):.1f}× |")
    print(f"\nValhalla's matrix answered with its `{algorithm}` algorithm.")


if __name__ == "__main__":
    main()
