#!/usr/bin/env bash
# Renders the look sheets: every style of `atelier stylize` beside its G'MIC peer, on public-
# domain portraits shipped in Python packages, full size and as a face crop, one sheet per style
# under docs/looks/ (with G'MIC's timings in docs/looks/timings.md).
#
#   bench/compare_looks.sh [--styles anime,artistic] [--out docs/looks] [--tile 300]
#
# Python tools (gmic, mediapipe 0.10.14 for the face crop, scikit-image and matplotlib for the
# photos) live in .venv-looks (git-ignored), created on first use; $LOOKS_VENV points to
# another one. The binary is built with `cargo build --release --bin atelier` unless
# $ATELIER_BIN names one. pngquant, when installed, keeps the sheets small. G'MIC's results
# (which depend only on the photo and the filter) are kept in $venv/gmic-cache and reused.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${LOOKS_VENV:-.venv-looks}"
if [[ ! -x "$venv/bin/python" ]]; then
  echo "== creating $venv (gmic, mediapipe 0.10.14, scikit-image, matplotlib)"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q gmic mediapipe==0.10.14 scikit-image matplotlib pillow numpy
fi
binary="${ATELIER_BIN:-}"
if [[ -z "$binary" ]]; then
  cargo build -q --release --bin atelier
  binary="${CARGO_TARGET_DIR:-target}/release/atelier"
fi
GLOG_minloglevel=2 exec "$venv/bin/python" bench/compare_looks.py --atelier "$binary" \
  --gmic-cache "$venv/gmic-cache" "$@"
