#!/bin/bash
# One more radosgw on the running cluster of infra/rgw/start.sh (same $S3GW_RGW_DIR, same pools,
# users and buckets), on its own loopback port: a second S3 endpoint onto the same data, that a
# test can stop, or freeze, without touching the cluster's main gateway that other tests share.
#
#   infra/rgw/gateway.sh start NAME PORT     NAME: [a-z0-9]{1,20}, not "a" (the main gateway)
#   infra/rgw/gateway.sh stop NAME           SIGTERM (SIGKILL after 30 s) to exactly its PID
#
# stop.sh stops these too. Exit codes as start.sh's: 0 done, 4 port taken, 1 anything else.
set -euo pipefail
BASE=${S3GW_RGW_DIR:-/tmp/s3gw-rgw}
CONF=$BASE/ceph.conf
RUN=$BASE/run
LOG=$BASE/log
KEYS=$BASE/state/keys
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH
die() { echo "[infra/rgw/gateway.sh] ERROR: $*" >&2; exit "${2:-1}"; }
cmd=${1:-} NAME=${2:-}
[[ "$NAME" =~ ^[a-z0-9]{1,20}$ && "$NAME" != a ]] || die "usage: gateway.sh start NAME PORT | stop NAME (NAME: [a-z0-9]{1,20}, not a)"
RGW=client.rgw.$NAME
[ -f "$CONF" ] || die "no cluster under $BASE: run infra/rgw/start.sh first"
exec 9> "$BASE/lock"
flock -w 300 9 || die "$BASE/lock held for 300 s"
pid_of() { # our radosgw's pid, if it runs
  local pidf=$RUN/$RGW.pid pid
  [ -s "$pidf" ] || return 1
  pid=$(cat "$pidf")
  [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q -- "radosgw .*-c $CONF" && echo "$pid"
}
case "$cmd" in
  start)
    PORT=${3:-}
    [[ "$PORT" =~ ^[0-9]{2,5}$ ]] || die "start needs a PORT"
    if pid=$(pid_of); then echo "[infra/rgw/gateway.sh] $RGW already running (pid $pid)" >&2; exit 0; fi
    timeout 3 bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT" 2>/dev/null && die "port $PORT is taken" 4
    if [ ! -s "$KEYS/$RGW.keyring" ]; then
      timeout 30 ceph -c "$CONF" --connect-timeout 20 auth get-or-create "$RGW" mon 'allow rw' osd 'allow rwx' -o "$KEYS/$RGW.keyring.tmp"
      mv "$KEYS/$RGW.keyring.tmp" "$KEYS/$RGW.keyring"
    fi
    mkdir -p "$BASE/state/rgw/ceph-rgw.$NAME"
    setsid /usr/bin/radosgw -f -c "$CONF" -n "$RGW" --rgw_frontends "beast endpoint=127.0.0.1:$PORT tcp_nodelay=1" \
      >> "$LOG/$RGW.stdout" 2>&1 < /dev/null 9>&- &
    echo $! > "$RUN/$RGW.pid"
    for _ in $(seq 1 90); do
      [ "$(curl -s -o /dev/null -m 5 -w '%{http_code}' "http://127.0.0.1:$PORT/")" = 200 ] && { echo "[infra/rgw/gateway.sh] $RGW ready on 127.0.0.1:$PORT (pid $!)" >&2; exit 0; }
      kill -0 "$!" 2>/dev/null || die "$RGW exited; see $LOG/$RGW.log"
      sleep 1
    done
    die "$RGW did not answer on 127.0.0.1:$PORT within 90 s" ;;
  stop)
    pid=$(pid_of) || { rm -f "$RUN/$RGW.pid"; exit 0; }
    kill -TERM "$pid"; kill -CONT "$pid" 2>/dev/null || true
    for _ in $(seq 1 60); do [ -e "/proc/$pid" ] || break; sleep 0.5; done
    [ -e "/proc/$pid" ] && kill -KILL "$pid" && sleep 1
    [ -e "/proc/$pid" ] && die "$RGW (pid $pid) could not be stopped"
    rm -f "$RUN/$RGW.pid"; echo "[infra/rgw/gateway.sh] stopped $RGW (pid $pid)" >&2 ;;
  *) die "usage: gateway.sh start NAME PORT | stop NAME" ;;
esac
