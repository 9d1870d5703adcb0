#!/usr/bin/env bash
# Scale-out story: PostgreSQL + S3 (moto), 2 web + 2 worker nodes, kill -9 mid-run,
# then every check in bench/scale.py. Runs with the Python of moto's virtual environment
# (boto3 comes with it). Arguments go to scale.py (--users, --jobs-per-user, --binary, ...).
set -euo pipefail
venv="${ATELIER_VENV:-/var/tmp/atelier-venv}"
export ATELIER_TEST_MOTO_SERVER="${ATELIER_TEST_MOTO_SERVER:-$venv/bin/moto_server}"
exec "$venv/bin/python" "$(dirname "${BASH_SOURCE[0]}")/scale.py" "$@"
