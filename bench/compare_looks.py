"""Side-by-side sheets of every style against its G'MIC peer, and G'MIC's timings.

For each public-domain portrait that ships inside a Python package (see PHOTOS) and each
style, renders the photo, Atelier's `atelier stylize` result and the G'MIC peer's result,
at full size and as a face crop (the same crop box for all three, from MediaPipe's face
detector on the photo), into one labelled sheet per style: docs/looks/<style>.png. Also
writes how long each G'MIC filter and each whole `atelier stylize` process took on each
photo (docs/looks/timings.json and .md).

Run it through bench/compare_looks.sh, which makes the virtual environment and the binary:
    python bench/compare_looks.py --atelier target/release/atelier [--out docs/looks]
        [--styles anime,artistic] [--tile 300] [--gmic-cache DIR]
"""

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

# The peer each style is compared with (G'MIC 3.6.3 from PyPI `gmic`, default-like
# settings). light-color has no real watercolor in G'MIC: Dream Smoothing (soft, flat washes
# of colour) is the closest look it has, and the sheets say so.
PEERS = {
    "rough-sketch": ("fx_sketchbw 3,45,180,30,1.75,0.02,0.5,0.75,0.1,0.7,3,6,0,1,4,0", ""),
    "detailed-sketch": ("fx_pencil_portraitbw 30,120,1,0.5,128,128,128", ""),
    "light-color": (
        "fx_dreamsmooth 3,1,1,0.8,0,0.8,1,24,0",
        "closest peer: G'MIC has no watercolor",
    ),
    "artistic": ("fx_brushify 7,0.25,4,64,25,12,0,2,4,0.2,0.5,30,1,1,1,5,0,0.2,0", ""),
    "anime": ("cl_comic 4,1,0,0,1,15,15,1,10,20,6,2,0,0,0,0,0,0,50,50", ""),
    "clay-3d": (
        "fx_smooth_abstract 75,0,20,1,30 fx_light_relief 0.3,0.2,0.2,0,1,50,50,5,0.5,0,0",
        "",
    ),
}

# Same proportions as the engine's `crop_to_face` (crates/engine/src/geometry.rs).
CROP_ASPECT = 4 / 5
FACE_SHARE = 0.45
HEADROOM_SHARE = 0.30

MAX_SHEET_BYTES = 1_500_000


def package_file(module, *parts):
    mod = __import__(module)
    return Path(mod.__file__).parent.joinpath(*parts)


def photos():
    """(name, what it shows, path) of each portrait: all public domain, shipped in wheels."""
    import matplotlib

    return [
        ("astronaut", "NASA, public domain (scikit-image)",
         package_file("skimage", "data", "astronaut.png")),
        ("grace-hopper", "US Navy, public domain (matplotlib)",
         Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"),
        ("cameraman", "CC0, L. Varshney (scikit-image)",
         package_file("skimage", "data", "camera.png")),
    ]


def face_box(rgb):
    """The largest face MediaPipe's full-range detector finds, as (x, y, w, h) in pixels."""
    import mediapipe as mp

    h, w = rgb.shape[:2]
    with mp.solutions.face_detection.FaceDetection(
        model_selection=1, min_detection_confidence=0.5
    ) as detector:
        found = detector.process(rgb).detections or []
    boxes = []
    for d in found:
        b = d.location_data.relative_bounding_box
        boxes.append((b.xmin * w, b.ymin * h, b.width * w, b.height * h))
    return max(boxes, key=lambda b: b[2] * b[3]) if boxes else None


def crop_box(size, face):
    """A 4:5 crop around `face` with the engine's proportions; the centre square without one."""
    w, h = size
    if face is None:
        side = min(w, h)
        return ((w - side) // 2, (h - side) // 2, (w + side) // 2, (h + side) // 2)
    fx, fy, fw, fh = face
    ch = fh / FACE_SHARE
    cw = ch * CROP_ASPECT
    fit = min(w / cw, h / ch, 1.0)
    cw, ch = cw * fit, ch * fit
    left = fx + fw / 2 - cw / 2
    top = fy + (fh - ch * FACE_SHARE) / 2 - ch * HEADROOM_SHARE
    cw, ch = max(1, min(w, round(cw))), max(1, min(h, round(ch)))
    left = min(max(0, round(left)), w - cw)
    top = min(max(0, round(top)), h - ch)
    return (left, top, left + cw, top + ch)


def run_atelier(binary, photo, style, out_dir):
    """Styles `photo` with the binary; returns (result path, seconds of the whole process)."""
    started = time.perf_counter()
    done = subprocess.run(
        [binary, "stylize", str(photo), "--style", style, "--out", str(out_dir)],
        capture_output=True, text=True,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"atelier stylize {photo} --style {style} failed:\n{done.stderr}")
    return out_dir / f"{photo.stem}.{style}.png", seconds


def run_gmic(photo, command, out, cache):
    """Runs the G'MIC pipeline in process (decode, filter, encode); returns the seconds and
    the machine's load average when it started (timings on a shared machine need it).

    G'MIC's result depends only on the photo and the command, so with a cache folder it is
    kept there (with its timing) and reused: re-rendering the sheets after a change to
    Atelier's styles then costs only Atelier's runs."""
    import gmic

    key = hashlib.sha256(photo.read_bytes() + command.encode()).hexdigest()[:16]
    cached = cache / f"{key}.png" if cache else None
    if cached and cached.exists() and cached.with_suffix(".json").exists():
        shutil.copyfile(cached, out)
        kept = json.loads(cached.with_suffix(".json").read_text())
        return kept["seconds"], kept.get("load")
    load = os.getloadavg()[0]
    started = time.perf_counter()
    gmic.run(f"{photo} {command} output {out}")
    seconds = time.perf_counter() - started
    if cached:
        cache.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(out, cached)
        cached.with_suffix(".json").write_text(
            json.dumps({"command": command, "seconds": seconds, "load": load}))
    return seconds, load


def build_profile(binary):
    """`release` or `debug`, from the cargo target folder the binary sits in."""
    parent = Path(binary).resolve().parent.name
    return parent if parent in ("release", "debug") else "unknown profile"


def font(size):
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1 has a single bitmap size
        return ImageFont.load_default()


def fit_height(image, height):
    w, h = image.size
    return image.resize((max(1, round(w * height / h)), height), Image.LANCZOS)


def sheet(style, rows, tile, note):
    """rows: [(photo name, credit, [photo, atelier, gmic] images, crop box)]."""
    gap, label_h, title_h = 8, 22, 34
    columns = ["photo", "Atelier", "G'MIC", "photo (face)", "Atelier (face)", "G'MIC (face)"]
    laid = []
    for name, credit, images, box in rows:
        full = [fit_height(im, tile) for im in images]
        crops = [fit_height(im.crop(box), tile) for im in images]
        laid.append((name, credit, full + crops))
    widths = [max(r[2][i].width for r in laid) for i in range(len(columns))]
    width = sum(widths) + gap * (len(columns) + 1)
    height = title_h + label_h + len(laid) * (tile + label_h + gap) + gap
    canvas = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(canvas)
    peer, _ = PEERS[style]
    title = f"{style}: photo | Atelier | G'MIC `{peer.split()[0]}`"
    if note:
        title += f" ({note})"
    draw.text((gap, 8), title, fill="black", font=font(18))
    x = gap
    for i, label in enumerate(columns):
        draw.text((x, title_h), label, fill="black", font=font(15))
        x += widths[i] + gap
    y = title_h + label_h
    for name, credit, tiles in laid:
        draw.text((gap, y + 4), f"{name}: {credit}", fill="dimgray", font=font(13))
        x = gap
        for i, im in enumerate(tiles):
            canvas.paste(im.convert("RGB"), (x, y + label_h))
            x += widths[i] + gap
        y += tile + label_h + gap
    return canvas


def save_small(image, path):
    """PNG under MAX_SHEET_BYTES: pngquant when installed, else Pillow's 256-colour palette,
    shrinking the sheet until it fits."""
    scale = 1.0
    while True:
        im = image if scale == 1.0 else image.resize(
            (round(image.width * scale), round(image.height * scale)), Image.LANCZOS)
        im.save(path, optimize=True)
        if shutil.which("pngquant"):
            subprocess.run(["pngquant", "--force", "--skip-if-larger", "--quality", "60-95",
                            "--output", str(path), str(path)], check=False)
        if path.stat().st_size > MAX_SHEET_BYTES and not shutil.which("pngquant"):
            im.quantize(256, dither=Image.Dither.FLOYDSTEINBERG).save(path, optimize=True)
        if path.stat().st_size <= MAX_SHEET_BYTES or scale < 0.4:
            return
        scale *= 0.85


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--atelier", required=True, help="the atelier binary")
    ap.add_argument("--out", default="docs/looks")
    ap.add_argument("--styles", default=",".join(PEERS))
    ap.add_argument("--tile", type=int, default=300, help="tile height in the sheets, px")
    ap.add_argument("--gmic-cache", default="", help="folder to keep and reuse G'MIC's results")
    a = ap.parse_args()
    styles = [s for s in a.styles.split(",") if s]
    unknown = [s for s in styles if s not in PEERS]
    if unknown:
        sys.exit(f"unknown style(s): {', '.join(unknown)}")
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="looks-"))

    inputs = []
    for name, credit, source in photos():
        rgb = np.asarray(Image.open(source).convert("RGB"))
        path = work / f"{name}.png"
        Image.fromarray(rgb).save(path)
        face = face_box(rgb)
        box = crop_box((rgb.shape[1], rgb.shape[0]), face)
        print(f"{name}: {rgb.shape[1]}x{rgb.shape[0]}, face {face and tuple(round(v) for v in face)}")
        inputs.append((name, credit, path, box))

    timings = []
    for style in styles:
        command, note = PEERS[style]
        rows = []
        for name, credit, path, box in inputs:
            ours, ours_s = run_atelier(a.atelier, path, style, work)
            theirs = work / f"{name}.{style}.gmic.png"
            gmic_s, load = run_gmic(path, command, theirs, Path(a.gmic_cache) if a.gmic_cache else None)
            w, h = Image.open(path).size
            timings.append(dict(style=style, photo=name, width=w, height=h,
                                gmic=command, gmic_s=round(gmic_s, 3),
                                atelier_process_s=round(ours_s, 3),
                                load=None if load is None else round(load, 1)))
            print(f"  {style:16} {name:13} G'MIC {gmic_s:7.2f} s   atelier stylize {ours_s:6.2f} s")
            rows.append((name, credit,
                         [Image.open(p).convert("RGB") for p in (path, ours, theirs)], box))
        target = out / f"{style}.png"
        save_small(sheet(style, rows, a.tile, note), target)
        print(f"wrote {target} ({target.stat().st_size / 1e6:.2f} MB)")

    (out / "timings.json").write_text(json.dumps(timings, indent=1) + "\n")
    lines = ["| style | photo | size | G'MIC filter (in process, with decode and encode) | G'MIC s "
             "| `atelier stylize` s (whole process) | Atelier faster by | load average |",
             "|---|---|---|---|---:|---:|---:|---:|"]
    for t in timings:
        lines.append(f"| {t['style']} | {t['photo']} | {t['width']}×{t['height']} | `{t['gmic']}` "
                     f"| {t['gmic_s']:.2f} | {t['atelier_process_s']:.2f} "
                     f"| {t['gmic_s'] / t['atelier_process_s']:.0f}× | {'?' if t['load'] is None else t['load']} |")
    (out / "timings.md").write_text(
        "# G'MIC peers' timings\n\nWritten by `bench/compare_looks.sh` with the sheets beside "
        "this file, on the machine that rendered them (the load average says how busy it was: "
        "on a 2-core machine above 2 means both sides ran slower than alone). G'MIC's times "
        "are kept with its cached results, so they date from the run that first made them. "
        f"Atelier: `{Path(a.atelier).name}` built as `{build_profile(a.atelier)}`.\n\n" + "\n".join(lines) + "\n")
    shutil.rmtree(work, ignore_errors=True)
    print(f"wrote {out / 'timings.json'} and {out / 'timings.md'}")


if __name__ == "__main__":
    os.environ.setdefault("GLOG_minloglevel", "2")
    main()
