#!/usr/bin/env bash
# Re-creates the vendored networks from their source, the PyPI wheel mediapipe==0.10.14, and
# checks them against SHA256SUMS:
#   1. downloads the wheel with pip (no install) and extracts the three .tflite files and the
#      wheel's LICENSE (Apache-2.0) into this folder;
#   2. converts each to ONNX with tf2onnx in a venv of its own (TensorFlow is large: it lives
#      in $TF2ONNX_VENV, default /var/tmp/tf2onnx-venv, never in the repo or the product),
#      then finish_onnx.py completes the selfie segmentation's conversion and names every
#      network's constants canonically (so the bytes are the same on every run);
#   3. checks every file against SHA256SUMS (sha256sum -c).
# Usage: crates/engine/models/fetch_mediapipe.sh   (from anywhere; needs python3 and network
# access to PyPI). Only needed to audit or redo the conversion; builds use the vendored files.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${TF2ONNX_VENV:-/var/tmp/tf2onnx-venv}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "==> downloading mediapipe==0.10.14" >&2
python3 -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.11 \
    --platform manylinux_2_17_x86_64 --dest "$work" mediapipe==0.10.14
wheel="$(ls "$work"/mediapipe-0.10.14-*.whl)"

echo "==> extracting the networks" >&2
python3 - "$wheel" "$here" <<'PY'
import sys, zipfile
wheel, dest = sys.argv[1], sys.argv[2]
files = {
    "mediapipe/modules/face_detection/face_detection_short_range.tflite": "face_detection_short_range.tflite",
    "mediapipe/modules/face_landmark/face_landmark.tflite": "face_landmark.tflite",
    "mediapipe/modules/selfie_segmentation/selfie_segmentation.tflite": "selfie_segmentation.tflite",
    "mediapipe-0.10.14.dist-info/LICENSE": "LICENSE-mediapipe",
}
with zipfile.ZipFile(wheel) as z:
    for src, name in files.items():
        with open(f"{dest}/{name}", "wb") as f:
            f.write(z.read(src))
PY

if [ ! -x "$venv/bin/python" ]; then
    echo "==> creating $venv with tf2onnx" >&2
    python3 -m venv "$venv"
    # Pinned: another TensorFlow, tf2onnx or onnx version may write different (if equivalent)
    # bytes, and then the checksums below would not match.
    "$venv/bin/pip" install --quiet tensorflow-cpu==2.15.1 tf2onnx==1.16.1 onnx==1.17.0 \
        numpy==1.26.4 protobuf==3.20.3
fi

echo "==> converting to ONNX" >&2
for name in face_detection_short_range face_landmark selfie_segmentation; do
    # opset 14: the first with HardSwish (selfie segmentation).
    "$venv/bin/python" -m tf2onnx.convert --tflite "$here/$name.tflite" \
        --output "$work/$name.onnx" --opset 14 >"$work/$name.log" 2>&1 ||
        { cat "$work/$name.log" >&2; exit 1; }
    "$venv/bin/python" "$here/finish_onnx.py" "$work/$name.onnx" \
        "$here/$name.onnx"
done

echo "==> checking" >&2
cd "$here" && sha256sum -c SHA256SUMS
