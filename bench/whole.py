"""Whole-job timings on one JPEG, side by side in one run (README, "Speed"):

- `atelier stylize PHOTO --style S --format jpeg` as a whole process, per style (decode,
  analysis, style, JPEG encode, process start and exit);
- OpenCV's nearest function in process, with its own decode and encode (imread → filter →
  imwrite q90), per style;
- the G'MIC peer per style in process (`gmic.run("in.jpg FILTER output out.jpg,90")`), when
  the `gmic` module is installed;
- through the service: `atelier serve` on a temporary data folder and a free port, one account
  signed up with the JSON API, then upload → job → poll → download of the same JPEG.

Each figure is the median of --runs (G'MIC: --gmic-runs, it is slow). Writes a JSON file for
bench/compare.py.
    python bench/whole.py --binary target/release/atelier --image photo-1024.jpg \
        --out whole.json [--runs 5] [--gmic-runs 1] [--service-style anime] [--no-gmic]
"""

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

STYLES = ["rough-sketch", "detailed-sketch", "light-color", "artistic", "anime", "clay-3d"]

# OpenCV's nearest function per style, as README's "Speed" names them.
OPENCV = {
    "rough-sketch": "pencilSketch(60,0.07,0.02)",
    "detailed-sketch": "pencilSketch(60,0.07,0.02)",
    "light-color": "stylization(60,0.45)",
    "artistic": "xphoto.oilPainting(7,1)",
    "anime": "stylization(60,0.45)",
    "clay-3d": "stylization(60,0.45)",
}

# The G'MIC peer per style (the same as bench/compare_looks.py's sheets).
sys.path.insert(0, str(Path(__file__).parent))
from compare_looks import PEERS  # noqa: E402


def median_s(runs, fn, warm=1):
    for _ in range(warm):
        fn()
    times = []
    for _ in range(max(1, runs)):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def atelier_process(binary, image, style, out_dir):
    done = subprocess.run(
        [binary, "stylize", str(image), "--style", style, "--format", "jpeg", "--out", str(out_dir)],
        capture_output=True, text=True,
    )
    if done.returncode != 0:
        sys.exit(f"atelier stylize --style {style} failed:\n{done.stderr}")


def opencv_job(op, image, out):
    import cv2

    def run():
        bgr = cv2.imread(str(image), cv2.IMREAD_COLOR)
        if op.startswith("pencilSketch"):
            result = cv2.pencilSketch(bgr, sigma_s=60, sigma_r=0.07, shade_factor=0.02)[1]
        elif op.startswith("stylization"):
            result = cv2.stylization(bgr, sigma_s=60, sigma_r=0.45)
        else:
            result = cv2.xphoto.oilPainting(bgr, 7, 1)
        cv2.imwrite(str(out), result, [cv2.IMWRITE_JPEG_QUALITY, 90])

    return run


class Service:
    """`atelier serve` on a temporary data folder and a free port, with one account."""

    def __init__(self, binary, workdir):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.base = f"http://127.0.0.1:{port}"
        env = dict(os.environ, ATELIER__TOKENS__WELCOME="10000")
        self.log = open(Path(workdir) / "serve.log", "w")
        self.proc = subprocess.Popen(
            [binary, "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", str(Path(workdir) / "data")],
            stdout=self.log, stderr=subprocess.STDOUT, env=env, cwd=workdir,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(self.base + "/healthz", timeout=2).read()
                break
            except (urllib.error.URLError, ConnectionError):
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.close()
                    sys.exit(f"atelier serve did not start; see {self.log.name}")
                time.sleep(0.1)
        answer = self.call("POST", "/api/v1/auth/register", {
            "email": f"bench-{uuid.uuid4().hex[:8]}@example.org",
            "password": "a sturdy benchmark passphrase",
            "age_over_14": True,
        })
        self.token = answer["token"]

    def call(self, method, path, body=None, raw=None, headers=None, as_json=True):
        headers = dict(headers or {})
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if getattr(self, "token", None):
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                payload = response.read()
        except urllib.error.HTTPError as err:
            sys.exit(f"{method} {path}: {err.code} {err.read()[:300]!r}")
        return json.loads(payload) if as_json else payload

    def round_trip(self, image_bytes, style):
        """Upload → job → poll until done → download; returns the result's size in bytes."""
        boundary = uuid.uuid4().hex
        form = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
                f"filename=\"photo.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n").encode() \
            + image_bytes + f"\r\n--{boundary}--\r\n".encode()
        upload = self.call("POST", "/api/v1/uploads", raw=form,
                           headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
        job = self.call("POST", "/api/v1/jobs", {"upload_id": upload["id"], "style": style})
        while job["status"] in ("queued", "running"):
            time.sleep(0.005)
            job = self.call("GET", f"/api/v1/jobs/{job['id']}")
        if job["status"] != "succeeded":
            sys.exit(f"job {job['id']} ended {job['status']}: {job.get('error')}")
        return len(self.call("GET", f"/api/v1/results/{job['result_id']}/download", as_json=False))

    def close(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--image", required=True, help="a JPEG, about 1 MP")
    ap.add_argument("--out", required=True)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--gmic-runs", type=int, default=1)
    ap.add_argument("--service-style", default="anime")
    ap.add_argument("--no-gmic", action="store_true")
    a = ap.parse_args()
    image = Path(a.image).resolve()
    binary = str(Path(a.binary).resolve())
    work = Path(tempfile.mkdtemp(prefix="whole-"))
    results = dict(image=str(image), runs=a.runs, atelier={}, opencv={}, gmic={}, service={})

    print(f"== whole jobs on {image.name}, median of {a.runs} (G'MIC: {a.gmic_runs})")
    for style in STYLES:
        s = median_s(a.runs, lambda: atelier_process(binary, image, style, work))
        results["atelier"][style] = s
        print(f"atelier stylize {style:16} {s * 1e3:8.1f} ms")
    for op in sorted(set(OPENCV.values())):
        s = median_s(a.runs, opencv_job(op, image, work / "cv.jpg"))
        results["opencv"][op] = s
        print(f"OpenCV {op:30} {s * 1e3:8.1f} ms (imread + filter + imwrite)")
    gmic_ok = False
    if not a.no_gmic:
        try:
            import gmic  # noqa: F401
            gmic_ok = True
        except ImportError:
            print("G'MIC: the gmic module is not installed; skipped")
    if gmic_ok:
        import gmic

        for style in STYLES:
            command = PEERS[style][0]
            s = median_s(a.gmic_runs, lambda: gmic.run(f"{image} {command} output {work / 'g.jpg'},90"),
                         warm=0)
            results["gmic"][style] = dict(command=command, s=s)
            print(f"G'MIC {style:16} {s:8.2f} s  {command.split()[0]}")

    service = Service(binary, work)
    try:
        photo = image.read_bytes()
        style = a.service_style
        s = median_s(a.runs, lambda: service.round_trip(photo, style))
        results["service"] = dict(style=style, s=s)
        print(f"service upload → job → download ({style}) {s * 1e3:8.1f} ms")
    finally:
        service.close()
    Path(a.out).write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
