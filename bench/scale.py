#!/usr/bin/env python3
"""Scale-out story for Atelier: PostgreSQL + an S3 server (moto), two web nodes
(`atelier serve --workers 0`) and two worker nodes (`atelier worker`) on loopback, a load
generator creating users and jobs spread over both web nodes, and kill -9 of one worker and
one web node mid-run (both restarted). Afterwards it checks, in the database and the bucket:

  * every job is succeeded, or failed with its tokens refunded;
  * no job completed twice (one result row per job, one result blob per result row);
  * the ledger invariant (docs/architecture.md) for every user, and no negative balance.

It prints jobs/s and p50/p99 end-to-end latency (job created -> seen succeeded), then runs
the same load against one `atelier serve` on SQLite and local files for comparison.
Exit status 0 only when every check passed.

Usage: bench/scale.sh [--users N] [--jobs-per-user N] [--binary PATH] [--skip-sqlite]
(needs a local PostgreSQL with trust auth for user postgres, psql, and moto_server).
"""

import argparse
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
import zlib

PG = os.environ.get("ATELIER_SCALE_PG", "postgres://postgres@127.0.0.1:5432")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port} after {timeout}s")


def png(width, height):
    """A small RGB gradient PNG, written by hand so the script needs no imaging library."""
    rows = b"".join(
        b"\x00" + bytes(v for x in range(width) for v in ((x * 255) // width, (y * 255) // height, 128))
        for y in range(height)
    )

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


class Nodes:
    """The web nodes' base URLs; a request that cannot connect moves on to the next node."""

    def __init__(self, ports):
        self.ports = ports

    def call(self, method, path, prefer, token=None, body=None, content_type=None, attempts=60):
        last = None
        for attempt in range(attempts):
            port = self.ports[(prefer + attempt) % len(self.ports)]
            request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1{path}", data=body, method=method)
            if token:
                request.add_header("Authorization", f"Bearer {token}")
            if content_type:
                request.add_header("Content-Type", content_type)
            try:
                with urllib.request.urlopen(request, timeout=30) as reply:
                    return reply.status, json.loads(reply.read() or b"null")
            except urllib.error.HTTPError as e:
                return e.code, json.loads(e.read() or b"null")
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as e:
                last = e
                time.sleep(0.1)
        raise RuntimeError(f"{method} {path}: no node answered ({last})")


def user_story(nodes, index, jobs_per_user, photo, latencies, failures, lock):
    prefer = index % len(nodes.ports)
    email = f"load{index}-{uuid.uuid4().hex[:8]}@example.org"
    body = json.dumps({"email": email, "password": "a sturdy passphrase", "age_over_14": True}).encode()
    status, reply = nodes.call("POST", "/auth/register", prefer, body=body, content_type="application/json")
    if status != 201:
        raise RuntimeError(f"register: {status} {reply}")
    token = reply["token"]
    boundary = "scale-boundary"
    form = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="p.png"\r\n'
        f"Content-Type: image/png\r\n\r\n"
    ).encode() + photo + f"\r\n--{boundary}--\r\n".encode()
    status, reply = nodes.call("POST", "/uploads", prefer, token, form, f"multipart/form-data; boundary={boundary}")
    if status != 201:
        raise RuntimeError(f"upload: {status} {reply}")
    upload = reply["id"]
    started = {}
    styles = ["rough-sketch", "light-color", "anime", "clay-3d", "detailed-sketch", "artistic"]
    for n in range(jobs_per_user):
        job = json.dumps({"upload_id": upload, "style": styles[n % len(styles)]}).encode()
        status, reply = nodes.call("POST", "/jobs", prefer + n, token, job, "application/json")
        if status != 202:
            raise RuntimeError(f"job: {status} {reply}")
        started[reply["id"]] = time.monotonic()
    pending = dict(started)
    while pending:
        for job_id in list(pending):
            status, reply = nodes.call("GET", f"/jobs/{job_id}", prefer, token)
            if status != 200:
                raise RuntimeError(f"poll: {status} {reply}")
            if reply["status"] in ("succeeded", "failed", "canceled"):
                elapsed = time.monotonic() - pending.pop(job_id)
                with lock:
                    if reply["status"] == "succeeded":
                        latencies.append(elapsed)
                    else:
                        failures.append(reply.get("error"))
        time.sleep(0.05)


def run_load(nodes, users, jobs_per_user, chaos=None):
    photo = png(256, 256)
    latencies, failures, errors = [], [], []
    lock = threading.Lock()

    def story(i):
        try:
            user_story(nodes, i, jobs_per_user, photo, latencies, failures, lock)
        except Exception as e:  # reported below; the run then fails
            with lock:
                errors.append(f"user {i}: {e}")

    threads = [threading.Thread(target=story, args=(i,)) for i in range(users)]
    start = time.monotonic()
    for t in threads:
        t.start()
    if chaos:
        total = users * jobs_per_user
        while True:
            with lock:
                done = len(latencies) + len(failures)
            if done >= total * 0.3 or not any(t.is_alive() for t in threads):
                break
            time.sleep(0.1)
        chaos()
    for t in threads:
        t.join()
    wall = time.monotonic() - start
    latencies.sort()

    def pct(p):
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] if latencies else float("nan")

    return {
        "jobs": len(latencies) + len(failures),
        "succeeded": len(latencies),
        "failed": len(failures),
        "jobs_per_s": (len(latencies) + len(failures)) / wall,
        "p50_s": pct(0.50),
        "p99_s": pct(0.99),
        "wall_s": wall,
        "errors": errors,
    }


def psql(db_url, sql):
    out = subprocess.run(["psql", db_url, "-At", "-c", sql], check=True, capture_output=True, text=True)
    return out.stdout.strip()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--jobs-per-user", type=int, default=40)
    parser.add_argument("--binary", default=None)
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(root, "target"))
    binary = args.binary or next(
        (p for p in (os.path.join(target, "release", "atelier"), os.path.join(target, "debug", "atelier")) if os.path.exists(p)),
        None,
    )
    if not binary:
        sys.exit("no atelier binary: run `cargo build --release` first (or pass --binary)")
    moto_server = os.environ.get("ATELIER_TEST_MOTO_SERVER") or shutil.which("moto_server")
    if not moto_server:
        sys.exit("moto_server not found: set ATELIER_TEST_MOTO_SERVER (see README, Development)")
    work = tempfile.mkdtemp(prefix="atelier-scale-")
    db = f"atelier_scale_{uuid.uuid4().hex[:8]}"
    db_url = f"{PG}/{db}"
    processes = {}
    logs = open(os.path.join(work, "nodes.log"), "w")

    def spawn(name, argv, env):
        processes[name] = subprocess.Popen(argv, env=env, stdout=logs, stderr=logs)

    try:
        subprocess.run(["psql", f"{PG}/postgres", "-qc", f"CREATE DATABASE {db}"], check=True)
        moto_port = free_port()
        spawn("moto", [moto_server, "-H", "127.0.0.1", "-p", str(moto_port)], dict(os.environ))
        wait_port(moto_port)
        urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{moto_port}/scale", method="PUT")).read()

        env = dict(os.environ)
        env.update(
            {
                "ATELIER__DATABASE__URL": db_url,
                "ATELIER__STORAGE__URL": "s3://scale/atelier",
                "ATELIER__STORAGE__ENDPOINT": f"http://127.0.0.1:{moto_port}",
                "ATELIER__STORAGE__ALLOW_HTTP": "true",
                "ATELIER__STORAGE__REGION": "us-east-1",
                "ATELIER__STORAGE__ACCESS_KEY_ID": "testing",
                "ATELIER__STORAGE__SECRET_ACCESS_KEY": "testing",
                "ATELIER__TOKENS__WELCOME": str(args.jobs_per_user + 10),
                "ATELIER__SERVER__AUTH_REQUESTS_PER_MINUTE": "0",
                # Every simulated user comes from 127.0.0.1 and starts jobs back to back.
                "ATELIER__LIMITS__SIGN_UP_PER_IP": "0",
                "ATELIER__LIMITS__SIGN_IN_PER_IP": "0",
                "ATELIER__LIMITS__UPLOADS_PER_IP": "0",
                "ATELIER__LIMITS__UPLOADS_PER_ACCOUNT": "0",
                "ATELIER__LIMITS__JOBS_PER_IP": "0",
                "ATELIER__LIMITS__JOBS_PER_ACCOUNT": "0",
                "ATELIER__JOBS__LEASE": "5s",
                "ATELIER__JOBS__RETRY_BACKOFF": "200ms",
                "ATELIER__JOBS__PER_USER_CONCURRENCY": "2",
                "RUST_LOG": "warn",
            }
        )
        data_dir = os.path.join(work, "shared")  # the master key every node shares
        subprocess.run([binary, "migrate", "--data-dir", data_dir], env=env, check=True, stdout=logs, stderr=logs)
        web_ports = [free_port(), free_port()]

        def start_web(i):
            spawn(f"web{i}", [binary, "serve", "--workers", "0", "--listen", f"127.0.0.1:{web_ports[i]}", "--data-dir", data_dir], env)

        def start_worker(i):
            spawn(f"worker{i}", [binary, "worker", "--workers", "2", "--data-dir", data_dir], env)

        for i in range(2):
            start_web(i)
            start_worker(i)
        for port in web_ports:
            wait_port(port)

        def chaos():
            for name in ("worker0", "web1"):
                processes[name].send_signal(signal.SIGKILL)
                processes[name].wait()
            print("killed worker0 and web1 (kill -9); restarting in 2 s", flush=True)
            time.sleep(2)
            start_worker(0)
            start_web(1)

        print(f"PostgreSQL + S3: {args.users} users x {args.jobs_per_user} jobs over 2 web + 2 worker nodes", flush=True)
        scaled = run_load(Nodes(web_ports), args.users, args.jobs_per_user, chaos)

        # Let the sweeper-free state settle: every job must already be terminal.
        checks = {}
        statuses = dict(
            line.split("|") for line in psql(db_url, "SELECT status, count(*) FROM jobs GROUP BY status").splitlines()
        )
        checks["every job succeeded or failed"] = set(statuses) <= {"succeeded", "failed"}
        checks["every failed job refunded"] = (
            psql(
                db_url,
                "SELECT count(*) FROM jobs j WHERE status = 'failed' AND NOT EXISTS "
                "(SELECT 1 FROM token_ledger l WHERE l.job_id = j.id AND l.kind = 'refund')",
            )
            == "0"
        )
        succeeded = int(statuses.get("succeeded", 0))
        result_rows = int(psql(db_url, "SELECT count(*) FROM results"))
        checks["one result per succeeded job"] = result_rows == succeeded and psql(
            db_url, "SELECT count(*) FROM (SELECT job_id FROM results GROUP BY job_id HAVING count(*) > 1) d"
        ) == "0"
        checks["ledger invariant for every user"] = (
            psql(
                db_url,
                "SELECT count(*) FROM users u WHERE "
                "(SELECT COALESCE(SUM(CASE WHEN kind IN ('grant', 'refund') THEN amount ELSE -amount END), 0) "
                " FROM token_ledger l WHERE l.user_id = u.id) <> "
                "(SELECT COALESCE(SUM(remaining), 0) FROM token_lots t WHERE t.user_id = u.id)",
            )
            == "0"
        )
        checks["no negative lot"] = psql(db_url, "SELECT count(*) FROM token_lots WHERE remaining < 0") == "0"
        keys = set(psql(db_url, "SELECT blob_key FROM results").splitlines())
        import boto3  # moto's dependency, present in its virtual environment

        s3 = boto3.client(
            "s3",
            endpoint_url=f"http://127.0.0.1:{moto_port}",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            region_name="us-east-1",
        )
        stored = []
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket="scale", Prefix="atelier/users/"):
            stored += [o["Key"][len("atelier/") :] for o in page.get("Contents", []) if "/results/" in o["Key"]]
        checks["every result blob exists exactly once"] = sorted(stored) == sorted(keys)
        checks["load generator saw no errors"] = not scaled["errors"]
        checks["every job reached an end"] = scaled["jobs"] == args.users * args.jobs_per_user

        single = None
        if not args.skip_sqlite:
            for name in list(processes):
                if name != "moto":
                    processes[name].terminate()
                    processes[name].wait()
            single_env = {k: v for k, v in env.items() if not k.startswith(("ATELIER__DATABASE", "ATELIER__STORAGE"))}
            port = free_port()
            spawn("single", [binary, "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", os.path.join(work, "single")], single_env)
            wait_port(port)
            print("SQLite, one node: the same load, no kills", flush=True)
            single = run_load(Nodes([port]), args.users, args.jobs_per_user)
            checks["single node: no errors, every job ended"] = not single["errors"] and single["jobs"] == args.users * args.jobs_per_user

        def line(label, r):
            return (
                f"{label:<34} {r['jobs']:>6} jobs  {r['jobs_per_s']:7.1f} jobs/s  "
                f"p50 {r['p50_s'] * 1000:7.0f} ms  p99 {r['p99_s'] * 1000:7.0f} ms  ({r['failed']} failed)"
            )

        print()
        print(line("PostgreSQL+S3, 2 web + 2 workers", scaled))
        if single:
            print(line("SQLite, 1 node", single))
        print()
        for name, ok in checks.items():
            print(f"{'ok  ' if ok else 'FAIL'} {name}")
        for e in scaled["errors"][:5]:
            print("  ", e)
        return 0 if all(checks.values()) else 1
    finally:
        for p in processes.values():
            if p.poll() is None:
                p.kill()
                p.wait()
        logs.close()
        subprocess.run(["psql", f"{PG}/postgres", "-qc", f"DROP DATABASE IF EXISTS {db} WITH (FORCE)"], check=False)
        for role in (f"{db}_app", f"{db}_system"):
            subprocess.run(["psql", f"{PG}/postgres", "-qc", f"DROP ROLE IF EXISTS {role}"], check=False, capture_output=True)
        print(f"node logs: {os.path.join(work, 'nodes.log')}")


if __name__ == "__main__":
    sys.exit(main())
