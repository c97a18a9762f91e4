#!/usr/bin/env bash
# Builds the libFuzzer target Fuzz/fuzz-extc (front end only: no C libraries needed). The sources of
# ExtcSyntax and ExtcCheck are compiled as one module, so their cross-module imports are stripped.
#   bash Fuzz/build.sh && mkdir -p Fuzz/corpus && Fuzz/fuzz-extc -max_total_time=60 Fuzz/corpus samples/
# libFuzzer adds the inputs it finds to the first directory (Fuzz/corpus, ignored by git); samples/
# only seeds it and is never written.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for f in Sources/ExtcSyntax/*.swift Sources/ExtcCheck/*.swift; do
  sed -e '/^import ExtcSyntax$/d' "$f" > "$work/$(basename "$(dirname "$f")")_$(basename "$f")"
done
swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name ExtcFuzz "$work"/*.swift Fuzz/FuzzFrontEnd.swift -o Fuzz/fuzz-extc
echo "built Fuzz/fuzz-extc"
