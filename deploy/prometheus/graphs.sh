#!/usr/bin/env bash
# PNGs of the key Prometheus queries (graph-queries.txt beside this script, NAME|PROMQL a line), drawn by
# Prometheus' own graph page in headless Chromium from what a running Prometheus scraped.
#   deploy/prometheus/graphs.sh [RANGE [DIR]]     defaults 30m and docs/images; bin/graft graphs runs it
# PROMETHEUS_URL: the Prometheus to draw from (default http://127.0.0.1:9090: bin/graft up's);
# GRAFT_LOGS: the folder for Chromium's log (default: the system's temporary folder).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
QUERIES=$HERE/graph-queries.txt
range=${1:-30m} dir=${2:-docs/images} base=${PROMETHEUS_URL:-http://127.0.0.1:9090}
log=${GRAFT_LOGS:-${TMPDIR:-/tmp}}/chromium.log

say() { printf 'graft: %s\n' "$*"; }
die() { printf 'graft: %s\n' "$*" >&2; exit 1; }

command -v chromium >/dev/null || die "graphs need Chromium: apt-get install chromium"
curl -sf -o /dev/null "$base/-/ready" || die "Prometheus is not running on $base: bin/graft up starts it"
mkdir -p "$dir" "$(dirname "$log")"
while IFS='|' read -r name expr; do
  [[ -z $name || $name == \#* ]] && continue
  url=$(curl -Gso /dev/null -w '%{url_effective}' --data-urlencode "g0.expr=$expr" \
    --data-urlencode g0.tab=0 --data-urlencode "g0.range_input=$range" "$base/graph")
  chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1400,1000 \
    --virtual-time-budget=8000 --screenshot="$dir/prometheus-$name.png" "$url" >"$log" 2>&1 \
    || { tail -5 "$log"; die "Chromium could not draw $name"; }
  say "$dir/prometheus-$name.png: $expr"
done <"$QUERIES"
