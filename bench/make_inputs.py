"""Writes the benchmark inputs: scikit-image's astronaut at 512² and upscaled with OpenCV's
INTER_CUBIC to 1024² and 2048², exactly as opencv_anchor.py prepares its own input, and the
1 MP copy as a JPEG (q90) for the whole-job timings (bench/whole.py)."""
import sys

import cv2
from skimage import data

out = sys.argv[1]
bgr = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)
cv2.imwrite(f"{out}/astronaut-512.png", bgr)
for size in (1024, 2048):
    big = cv2.resize(bgr, (size, size), interpolation=cv2.INTER_CUBIC)
    cv2.imwrite(f"{out}/astronaut-{size}.png", big)
    if size == 1024:
        cv2.imwrite(f"{out}/astronaut-{size}.jpg", big, [cv2.IMWRITE_JPEG_QUALITY, 90])
