#!/bin/bash
# Stops the benchmark's Ceph cluster (bench/rgw/start.sh): infra/rgw/stop.sh on the benchmark's
# state directory. --purge also removes that directory (the benchmark's default: it cleans up).
set -uo pipefail
export S3GW_RGW_DIR=${BENCH_RGW_DIR:-/tmp/s3gw-bench-rgw}
exec "$(dirname "$(readlink -f "$0")")/../../infra/rgw/stop.sh" "$@"
