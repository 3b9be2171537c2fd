#!/bin/bash
# Stops exactly the daemons bench/rgw/start.sh started (the PIDs in run/*.pid, each only while
# /proc/PID/cmdline is still that Ceph binary with our ceph.conf), in the order rgw, osd, mon.
# --purge then removes the whole state directory (the benchmark's default: it cleans up).
set -uo pipefail
BASE=${BENCH_RGW_DIR:-/tmp/s3gw-bench-rgw}
CONF=$BASE/ceph.conf
RUN=$BASE/run
rc=0
stop_one() { # NAME BINARY
  local pidf=$RUN/$1.pid pid
  [ -s "$pidf" ] || return 0
  pid=$(cat "$pidf")
  if [ ! -r "/proc/$pid/cmdline" ] || ! tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q -- "$2 .*-c $CONF"; then
    rm -f "$pidf"; return 0
  fi
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 1 60); do [ -e "/proc/$pid" ] || break; sleep 0.5; done
  if [ -e "/proc/$pid" ]; then
    echo "[rgw/stop.sh] $1: pid $pid still alive after 30 s, SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null; sleep 1
  fi
  if [ -e "/proc/$pid" ]; then echo "[rgw/stop.sh] $1: pid $pid could not be stopped" >&2; rc=1; else rm -f "$pidf"; fi
}
stop_one client.rgw.a radosgw
stop_one osd.0 ceph-osd
stop_one mon.a ceph-mon
if [ "${1:-}" = "--purge" ] && [ $rc -eq 0 ]; then
  case "$BASE" in /tmp/*) rm -rf "$BASE" ;; *) echo "[rgw/stop.sh] not purging $BASE (outside /tmp)" >&2 ;; esac
fi
exit $rc
