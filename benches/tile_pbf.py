"""Makes a bigger OSM PBF by tiling the routable ways of a small one (no France extract can be
downloaded here): the highway ways of IN and the nodes they use, copied on a GRID × GRID
layout of shifted copies (ids offset per copy, coordinates shifted by the input's extent), so a
graph build can be measured on tens of millions of way nodes. Needs pyosmium.

    python benches/tile_pbf.py IN.osm.pbf OUT.osm.pbf GRID
"""

import sys

import osmium


def main():
    src, dst, grid = sys.argv[1], sys.argv[2], int(sys.argv[3])
    ways = []
    for w in osmium.FileProcessor(src, osmium.osm.WAY):
        if "highway" in w.tags:
            ways.append(([n.ref for n in w.nodes], dict(w.tags)))
    used = {r for refs, _ in ways for r in refs}
    nodes = {}
    for n in osmium.FileProcessor(src, osmium.osm.NODE):
        if n.id in used and n.location.valid():
            nodes[n.id] = (n.location.lon, n.location.lat)
    lons = [p[0] for p in nodes.values()]
    lats = [p[1] for p in nodes.values()]
    dx, dy = max(lons) - min(lons), max(lats) - min(lats)
    off = 10 ** (len(str(max(nodes))) + 1)
    woff = 10 ** (len(str(len(ways))) + 1)
    with osmium.SimpleWriter(dst, overwrite=True) as out:
        for k in range(grid * grid):
            i, j = divmod(k, grid)
            for nid in sorted(nodes):
                lon, lat = nodes[nid]
                out.add_node(osmium.osm.mutable.Node(
                    id=k * off + nid, location=(lon + i * dx, lat + j * dy)))
        for k in range(grid * grid):
            for w, (refs, tags) in enumerate(ways):
                out.add_way(osmium.osm.mutable.Way(
                    id=k * woff + w + 1, nodes=[k * off + r for r in refs], tags=tags))
    print(f"{dst}: {grid * grid} copies of {len(nodes)} nodes and {len(ways)} highway ways")


if __name__ == "__main__":
    main()
