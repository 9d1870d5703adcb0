#!/usr/bin/env bash
# Atelier's speed beside OpenCV and G'MIC, on the same pixels, in one run (the figures of README's "Speed").
#
#   bench/run.sh [--runs N] [--gmic-runs N] [--no-gmic] [--no-whole]
#
# Makes the astronaut portrait (scikit-image, public domain) at 1024² and 2048² with OpenCV's
# INTER_CUBIC (and the 1 MP copy as a q90 JPEG), then:
#   1. OpenCV's anchors in process (../shared/bench/opencv_anchor.py, or $ANCHOR_SCRIPT);
#   2. the engine alone (`cargo bench --bench styles`): analysis, each style, the codecs;
#   3. whole jobs on the 1 MP JPEG (bench/whole.py): `atelier stylize` as a process per style,
#      OpenCV's nearest function with its own decode and encode, the G'MIC peer per style,
#      and the service's upload → job → download;
# and prints one table with every figure, its target and PASS or MISS (bench/compare.py).
# Python tools live in .venv-anchor (git-ignored), created on first use; $ANCHOR_VENV points
# to another one. The binary is built with `cargo build --release --bin atelier` unless
# $ATELIER_BIN names one.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=7
gmic_runs=1
whole=1
gmic_flag=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --gmic-runs) gmic_runs="$2"; shift 2 ;;
    --no-gmic) gmic_flag=(--no-gmic); shift ;;
    --no-whole) whole=0; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

venv="${ANCHOR_VENV:-.venv-anchor}"
if [[ ! -x "$venv/bin/python" ]]; then
  echo "== creating $venv (opencv-contrib-python-headless, scikit-image, gmic)"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q opencv-contrib-python-headless scikit-image gmic
fi
anchor="${ANCHOR_SCRIPT:-../shared/bench/opencv_anchor.py}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$venv/bin/python" bench/make_inputs.py "$work"
echo "== OpenCV anchors"
"$venv/bin/python" "$anchor" --sizes 1024,2048 --runs "$runs" --image "$work/astronaut-512.png" --out "$work/anchors.json"
echo "== Atelier engine"
cargo bench -q -p atelier-engine --bench styles -- --runs "$runs" \
  --image "$work/astronaut-1024.png" --image "$work/astronaut-2048.png" --json "$work/atelier.json"
whole_json=()
if [[ $whole == 1 ]]; then
  binary="${ATELIER_BIN:-}"
  if [[ -z "$binary" ]]; then
    cargo build -q --release --bin atelier
    binary="${CARGO_TARGET_DIR:-target}/release/atelier"
  fi
  "$venv/bin/python" bench/whole.py --binary "$binary" --image "$work/astronaut-1024.jpg" \
    --runs "$runs" --gmic-runs "$gmic_runs" "${gmic_flag[@]}" --out "$work/whole.json"
  whole_json=("$work/whole.json")
fi
"$venv/bin/python" bench/compare.py "$work/anchors.json" "$work/atelier.json" "${whole_json[@]}"
