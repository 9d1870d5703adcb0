"""Writes mediapipe 0.10.14's own analysis of the engine's test photos, for
crates/engine/tests/analysis.rs to compare `atelier_engine::analyze` against.

Run with a venv holding mediapipe==0.10.14, numpy and Pillow (the reference runtime; the
product and its tests never need it):

    python bench/reference_analysis.py            # all photos in crates/engine/tests/data

For each photo NAME it writes into crates/engine/tests/data/reference/:
- NAME.mask.png: the selfie segmentation (general model) person mask, 8-bit, at the photo's size;
- NAME.faces.txt: per face found by the short-range detector, a line
  `box XMIN YMIN WIDTH HEIGHT SCORE` and six `keypoint X Y` lines, then, matched to it, the
  face mesh's 468 `mesh X Y Z` lines (photo pixels; z scaled like x, as mediapipe does), if
  the mesh found that face. Faces are listed largest box first.

It also writes astronaut_two_up.faces.txt: the astronaut twice side by side (1024x512), a
photo whose faces are too small for the short-range detector (mediapipe finds none in it).
The engine searches such photos again in tiles; its boxes are compared with those of
mediapipe's *full-range* detector (model_selection=1, made for faces up to five metres
away), written in the same `box`/`keypoint` format, without meshes.
"""
import os
import sys

import mediapipe as mp
import numpy as np
from PIL import Image

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
DATA = os.path.join(ROOT, "crates", "engine", "tests", "data")
OUT = os.path.join(DATA, "reference")
PHOTOS = ["astronaut.png", "grace_hopper.jpg", "camera.png"]


def main():
    assert mp.__version__ == "0.10.14", f"mediapipe {mp.__version__}, need 0.10.14"
    os.makedirs(OUT, exist_ok=True)
    photos = sys.argv[1:] or [os.path.join(DATA, p) for p in PHOTOS]
    for path in photos:
        name = os.path.splitext(os.path.basename(path))[0]
        img = np.array(Image.open(path).convert("RGB"))
        h, w = img.shape[:2]
        with mp.solutions.selfie_segmentation.SelfieSegmentation(model_selection=0) as seg:
            mask = seg.process(img).segmentation_mask
        Image.fromarray((np.clip(mask, 0, 1) * 255).round().astype(np.uint8)).save(
            os.path.join(OUT, f"{name}.mask.png"))
        with mp.solutions.face_detection.FaceDetection(
                model_selection=0, min_detection_confidence=0.5) as fd:
            detections = fd.process(img).detections or []
        with mp.solutions.face_mesh.FaceMesh(
                static_image_mode=True, max_num_faces=8, refine_landmarks=False,
                min_detection_confidence=0.5) as fm:
            meshes = fm.process(img).multi_face_landmarks or []
        meshes = [np.array([[p.x * w, p.y * h, p.z * w] for p in m.landmark]) for m in meshes]
        faces = []
        for d in detections:
            b = d.location_data.relative_bounding_box
            box = (b.xmin * w, b.ymin * h, b.width * w, b.height * h)
            kps = [(k.x * w, k.y * h) for k in d.location_data.relative_keypoints]
            # The mesh whose centre lies in this box, if any.
            mesh = next((m for m in meshes
                         if box[0] <= m[:, 0].mean() <= box[0] + box[2]
                         and box[1] <= m[:, 1].mean() <= box[1] + box[3]), None)
            faces.append((box, d.score[0], kps, mesh))
        faces.sort(key=lambda f: -f[0][2] * f[0][3])
        with open(os.path.join(OUT, f"{name}.faces.txt"), "w") as f:
            f.write(f"# mediapipe {mp.__version__} on {os.path.basename(path)} ({w}x{h})\n")
            for box, score, kps, mesh in faces:
                f.write("box %.3f %.3f %.3f %.3f %.4f\n" % (*box, score))
                for x, y in kps:
                    f.write("keypoint %.3f %.3f\n" % (x, y))
                for x, y, z in (mesh if mesh is not None else []):
                    f.write("mesh %.3f %.3f %.3f\n" % (x, y, z))
        print(name, f"{w}x{h}", "faces:", len(faces), "meshes:", len(meshes),
              "mask mean %.3f" % float(mask.mean()))


def two_up():
    img = np.array(Image.open(os.path.join(DATA, "astronaut.png")).convert("RGB"))
    pair = np.concatenate([img, img], axis=1)
    h, w = pair.shape[:2]
    with mp.solutions.face_detection.FaceDetection(
            model_selection=1, min_detection_confidence=0.5) as fd:
        detections = fd.process(pair).detections or []
    with open(os.path.join(OUT, "astronaut_two_up.faces.txt"), "w") as f:
        f.write(f"# mediapipe {mp.__version__}, full-range detector, on astronaut.png twice "
                f"side by side ({w}x{h})\n")
        for d in sorted(detections, key=lambda d: d.location_data.relative_bounding_box.xmin):
            b = d.location_data.relative_bounding_box
            f.write("box %.3f %.3f %.3f %.3f %.4f\n"
                    % (b.xmin * w, b.ymin * h, b.width * w, b.height * h, d.score[0]))
            for k in d.location_data.relative_keypoints:
                f.write("keypoint %.3f %.3f\n" % (k.x * w, k.y * h))
    print("astronaut_two_up", f"{w}x{h}", "full-range faces:", len(detections))


if __name__ == "__main__":
    main()
    if len(sys.argv) == 1:
        two_up()
