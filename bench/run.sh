#!/usr/bin/env bash
# Benchmarks for extc (issues #2, #4, #5, #13). Builds release binaries the way README says to install
# extc (static Swift runtime), then runs extc-bench. Every figure comes with a baseline measured in
# the same run: a newline scan (front end), the openssl CLI and process start (certificates), a
# fresh `extc build` process (watch). Ratios hold across machines; absolute times do not.
#
#   bash bench/run.sh                 # everything (about 3 minutes on 2 cores)
#   bash bench/run.sh frontend        # one benchmark; `--help` after the name lists its options
#   bash bench/run.sh certs --iterations 5 --keys ecdsa-p256 rsa-2048
#   bash bench/run.sh scale               # issue #13's table: 1,000 and 10,000 servers (several minutes)
#   bash bench/run.sh scale --watch-only  # only its watch rows (about 40 s), to compare two builds of the watch
set -euo pipefail
cd "$(dirname "$0")/.."

swift build -c release --static-swift-stdlib --product extc >&2
swift build -c release --static-swift-stdlib --product extc-bench >&2
bin="$(swift build -c release --static-swift-stdlib --show-bin-path)"

command -v openssl >/dev/null || { echo "bench/run.sh: the certificate benchmark needs the openssl CLI" >&2; exit 1; }

cmd="${1:-all}"
[ $# -gt 0 ] && shift
case "$cmd" in
  frontend) exec "$bin/extc-bench" frontend "$@" ;;
  *)        exec "$bin/extc-bench" "$cmd" --extc "$bin/extc" --samples samples "$@" ;;
esac
