#!/usr/bin/env bash
# Refreshes static/vendor/maplibre-gl/ from the npm registry (the map page must work offline, so
# the binary embeds these files). Usage: bash scripts/vendor-maplibre.sh [VERSION]
set -euo pipefail
cd "$(dirname "$0")/.."
version="${1:-5.24.1}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack "maplibre-gl@$version" --silent >/dev/null && tar xzf maplibre-gl-*.tgz)
dest=static/vendor/maplibre-gl
mkdir -p "$dest"
cp "$tmp/package/dist/maplibre-gl.js" "$tmp/package/dist/maplibre-gl.css" "$tmp/package/LICENSE.txt" "$dest/"
echo "$version" > "$dest/VERSION"
echo "maplibre-gl $version → $dest"
