#!/usr/bin/env bash
# Atelier's style benchmark beside OpenCV's anchors, on the same pixels, in one run.
#
#   bench/run.sh [--runs N]
#
# Makes the astronaut portrait (scikit-image, public domain) at 1024² and 2048² with OpenCV's
# INTER_CUBIC, times OpenCV's anchors on it (../shared/bench/opencv_anchor.py, or
# $ANCHOR_SCRIPT), times every Atelier style and codec on the same files
# (`cargo bench --bench styles`), and prints ms/MP, the ratio to each style's anchor and the
# targets. Python tools live in .venv-anchor (git-ignored), created on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=7
if [[ "${1:-}" == "--runs" ]]; then runs="$2"; fi

venv=.venv-anchor
if [[ ! -x "$venv/bin/python" ]]; then
  echo "== creating $venv (opencv-contrib-python-headless, scikit-image)"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q opencv-contrib-python-headless scikit-image
fi
anchor="${ANCHOR_SCRIPT:-../shared/bench/opencv_anchor.py}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$venv/bin/python" bench/make_inputs.py "$work"
echo "== OpenCV anchors"
"$venv/bin/python" "$anchor" --sizes 1024,2048 --runs "$runs" --image "$work/astronaut-512.png" --out "$work/anchors.json"
echo "== Atelier"
cargo bench -q -p atelier-engine --bench styles -- --runs "$runs" \
  --image "$work/astronaut-1024.png" --image "$work/astronaut-2048.png" --json "$work/atelier.json"
"$venv/bin/python" bench/compare.py "$work/anchors.json" "$work/atelier.json"
