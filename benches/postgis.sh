#!/usr/bin/env bash
# The PostGIS half of benches/peers.sh (kept for the commands quoted in docs/performance.md):
#   bash benches/postgis.sh   ==   PEERS=postgis bash benches/peers.sh
PEERS=postgis exec bash "$(dirname "$0")/peers.sh" "$@"
