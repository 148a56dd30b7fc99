"""Which of Valhalla's walk penalties make its reachable sets differ from lieux's.

Run after run.sh (it reuses its work folders): same seeded origins and places as compare.py,
lieux over HTTP against Valhalla's matrix with its pedestrian costing as is and with one
cost-only penalty at a time set to 0 (destination-only, steps, maneuver, alley and driveway
factors). A penalty whose removal brings Valhalla's sets closer to lieux's is one lieux does
not model (or models differently). Prints the walk Jaccard per variant and limit.

  target/valhalla-venv/bin/python benches/valhalla/penalties.py --lieux target/release/lieux \\
      --graph target/valhalla-compare/monaco-2020-07-19/lieux/lieux.graph \\
      --valhalla-tiles target/valhalla-compare/monaco-2020-07-19/tiles \\
      --work target/valhalla-compare/monaco-2020-07-19/lieux
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from compare import Lieux, common_args, graph_nodes, sample  # noqa: E402
from valhalla import Actor, get_config  # noqa: E402

LIMITS_MIN = (3, 5, 10, 15)
VARIANTS = {
    "as is": {},
    "no destination-only penalty": {"destination_only_penalty": 0},
    "no steps penalty": {"step_penalty": 0},
    "no maneuver penalty": {"maneuver_penalty": 0},
    "alley, driveway factors 1": {"alley_factor": 1, "driveway_factor": 1},
    "all of these": {"destination_only_penalty": 0, "step_penalty": 0, "maneuver_penalty": 0,
                     "alley_factor": 1, "driveway_factor": 1},
}


def main():
    a = common_args().parse_args()
    places, origins = sample(graph_nodes(a.graph), a.places, a.origins)
    work = Path(a.work)
    lieux = Lieux(a.lieux, a.graph, str(work / "places.fgb"))
    actor = Actor(get_config(tile_extract="", tile_dir=a.valhalla_tiles))
    targets = [{"lat": lat, "lon": lon} for lon, lat in places]
    pooled = {v: {m: [0, 0] for m in LIMITS_MIN} for v in VARIANTS}
    for lon, lat in origins["walk"]:
        got = lieux.get(f"/v1/lieux/reachable?lat={lat:.7f}&lon={lon:.7f}&mode=walk"
                        f"&minutes={max(LIMITS_MIN)}&territoire=tous")
        if got.get("estimate"):
            continue
        ld = {f["properties"]["id"]: f["properties"]["duration_s"] for f in got["features"]
              if not f["properties"].get("estimate")}
        for name, opts in VARIANTS.items():
            req = {"sources": [{"lat": lat, "lon": lon}], "targets": targets,
                   "costing": "pedestrian", "costing_options": {"pedestrian": opts}}
            row = actor.matrix(req)["sources_to_targets"][0]
            vd = {f"p{c['to_index']}": c["time"] for c in row if c.get("time") is not None}
            for m in LIMITS_MIN:
                A = {k for k, d in ld.items() if d <= m * 60}
                B = {k for k, d in vd.items() if d <= m * 60}
                pooled[name][m][0] += len(A & B)
                pooled[name][m][1] += len(A | B)
    lieux.close()
    print(f"## walk Jaccard against Valhalla's costing variants, {work.parent.name}\n")
    print("| Valhalla pedestrian costing | " + " | ".join(f"{m} min" for m in LIMITS_MIN) + " |")
    print("|---|" + "---:|" * len(LIMITS_MIN))
    for name in VARIANTS:
        cells = [f"{i / max(1, u):.3f}" for i, u in (pooled[name][m] for m in LIMITS_MIN)]
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
