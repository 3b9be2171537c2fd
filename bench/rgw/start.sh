#!/bin/bash
# A throwaway single-node Ceph for the benchmark's RGW reference: infra/rgw/start.sh (1 monitor,
# 1 BlueStore OSD on a sparse file, no mgr, radosgw (beast, tcp_nodelay) on loopback) with the
# benchmark's settings: state in $BENCH_RGW_DIR (default /tmp/s3gw-bench-rgw), S3 on
# 127.0.0.1:7480, Ceph's standard monitor ports 3300/6789, and the well-known vstart.sh / s3-tests
# user (public test keys, loopback only) that bench/lib/rgw.ts signs with. Never installs packages
# (the benchmark reports RGW as not available instead). bench/rgw/stop.sh stops exactly its daemons.
# Exit codes: 0 ready, 3 Ceph packages missing, 4 a fixed port is taken, 1 anything else.
set -euo pipefail
export S3GW_RGW_DIR=${BENCH_RGW_DIR:-/tmp/s3gw-bench-rgw} S3GW_RGW_PORT=7480 S3GW_RGW_MON_PORT=3300 S3GW_RGW_MON_V1_PORT=6789
export S3GW_RGW_ACCESS_KEY_ID=0555b35654ad1656d804 S3GW_RGW_SECRET_ACCESS_KEY='h7GhxuBLTrlhVUyxSPUKUV8r/2EI4ngqJxD7iBdBYLhwluN30JaT3Q=='
exec "$(dirname "$(readlink -f "$0")")/../../infra/rgw/start.sh" > /dev/null
