#!/bin/bash
# A single-node Ceph cluster for tests and a local "production-like" stack: 1 monitor, 1 BlueStore
# OSD on a sparse file, no mgr, radosgw (beast) on 127.0.0.1. Loopback only; everything lives under
# $S3GW_RGW_DIR (default /tmp/s3gw-rgw); nothing in /etc/ceph or /var/lib/ceph is used or changed.
# Logic from bench/rgw/start.sh (itself from /work/shared/tools/peer-rgw/start.sh): tcp_nodelay on
# the beast frontend, pool size 1, the placement-group limit raised.
#
#   infra/rgw/start.sh [--holder TAG]
#
# Idempotent: reuses the state, starts only the daemons of ours that are not running, creates the
# S3 user once (random credentials, kept 0600 in state/s3-user.env). Every wait is bounded.
# Concurrent calls on one state directory are serialised (flock). --holder TAG records a holder
# (the calling process, $PPID) so that `stop.sh --holder TAG` stops the cluster only when the last
# holder is gone, and only if a holder's start.sh started it (a cluster started by hand is kept).
#
# Settings (environment): S3GW_RGW_DIR, S3GW_RGW_PORT (S3, default 17480), S3GW_RGW_MON_PORT
# (msgr2, default 17300) and S3GW_RGW_MON_V1_PORT (msgr1, default 17301): not Ceph's 3300/6789, so
# this cluster and another one on the machine (the benchmark's, a system Ceph) do not collide;
# S3GW_RGW_ACCESS_KEY_ID + S3GW_RGW_SECRET_ACCESS_KEY: the S3 user's keys (default: random, made once).
#
# stdout: shell-sourceable lines S3GW_RGW_ENDPOINT, S3GW_RGW_REGION, S3GW_RGW_ACCESS_KEY_ID,
# S3GW_RGW_SECRET_ACCESS_KEY, S3GW_RGW_DIR, S3GW_RGW_STARTED (daemons started by this call); the
# progress log goes to stderr.
# Exit codes: 0 ready, 3 Ceph packages missing, 4 a port is taken by something not ours, 1 other.
set -euo pipefail

BASE=${S3GW_RGW_DIR:-/tmp/s3gw-rgw}
RGW_PORT=${S3GW_RGW_PORT:-17480}
MON_PORT=${S3GW_RGW_MON_PORT:-17300}
MON_V1_PORT=${S3GW_RGW_MON_V1_PORT:-17301}
CONF=$BASE/ceph.conf
STATE=$BASE/state
RUN=$BASE/run
LOG=$BASE/log
KEYS=$STATE/keys
MON_ID=a
OSD_ID=0
RGW_NAME=client.rgw.a
OSD_BLOCK_SIZE=$((8 * 1024 * 1024 * 1024))   # sparse file; only written blocks use disk
MON_ADDRS="[v2:127.0.0.1:$MON_PORT,v1:127.0.0.1:$MON_V1_PORT]"
export CEPH_CONF=$CONF
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH

log() { echo "[infra/rgw/start.sh $(date +%T)] $*" >&2; }
die() { echo "[infra/rgw/start.sh] ERROR: $*" >&2; exit "${2:-1}"; }
cephc() { timeout 30 /usr/bin/ceph -c "$CONF" --connect-timeout 20 "$@"; }

HOLDER=
while [ $# -gt 0 ]; do
  case "$1" in
    --holder) HOLDER=${2:?--holder needs a tag}; shift 2 ;;
    -h|--help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
done
[[ -z "$HOLDER" || "$HOLDER" =~ ^[A-Za-z0-9._-]{1,100}$ ]] || die "--holder: letters, digits, '.', '_', '-' only"
for p in "$RGW_PORT" "$MON_PORT" "$MON_V1_PORT"; do [[ "$p" =~ ^[0-9]{2,5}$ ]] || die "ports must be numbers (got '$p')"; done

for bin in ceph-mon ceph-osd radosgw radosgw-admin ceph ceph-authtool monmaptool curl flock timeout setsid; do
  command -v "$bin" >/dev/null || die "$bin is not installed (Debian packages: ceph-mon ceph-osd radosgw ceph-common)" 3
done

mkdir -p "$BASE"
chmod 0700 "$BASE"
exec 9> "$BASE/lock"
flock -w 300 9 || die "another infra/rgw start.sh/stop.sh held $BASE/lock for 300 s"
mkdir -p "$STATE" "$RUN" "$LOG" "$KEYS" "$RUN/holders" "$STATE/mon" "$STATE/osd" "$STATE/rgw" "$STATE/crash"

uuid() { cat /proc/sys/kernel/random/uuid; }
# something accepts connections on 127.0.0.1:PORT (bash's /dev/tcp: no iproute2 needed)
port_busy() { timeout 3 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }
who_listens() { command -v ss >/dev/null && ss -ltnpH "sport = :$1" 2>/dev/null | grep -o 'users:(([^)]*' | head -1 | sed 's/users:((//'; }
is_running() { # NAME BINARY -> 0 if run/NAME.pid is a live BINARY using our conf
  local pidf=$RUN/$1.pid pid
  [ -s "$pidf" ] || return 1
  pid=$(cat "$pidf")
  [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q -- "$2 .*-c $CONF" || return 1
}
refuse_port() { # PORT WHAT
  die "port $1 on 127.0.0.1 ($2) is taken by another process ($(who_listens "$1" || echo unknown)), not by the cluster under $BASE.
  Another Ceph is probably running (the benchmark's bench/rgw, /tmp/peer-rgw, a system Ceph). Stop it, or start this one
  on other ports: S3GW_RGW_PORT / S3GW_RGW_MON_PORT / S3GW_RGW_MON_V1_PORT (and its own S3GW_RGW_DIR)." 4
}
is_running "mon.$MON_ID" ceph-mon || { port_busy "$MON_PORT" && refuse_port "$MON_PORT" "Ceph monitor, msgr2"; port_busy "$MON_V1_PORT" && refuse_port "$MON_V1_PORT" "Ceph monitor, msgr1"; true; }
is_running "$RGW_NAME" radosgw || { port_busy "$RGW_PORT" && refuse_port "$RGW_PORT" "radosgw S3"; true; }

[ -s "$STATE/fsid" ] || uuid > "$STATE/fsid"
FSID=$(cat "$STATE/fsid")
# The monitor's address is in its store: a state directory made with other ports is refused, not silently broken.
if [ -s "$STATE/mon-addrs" ] && [ "$(cat "$STATE/mon-addrs")" != "$MON_ADDRS" ]; then
  die "$BASE was created with monitor addresses $(cat "$STATE/mon-addrs"), not $MON_ADDRS: use the same ports, or reset it (infra/rgw/stop.sh --purge)"
fi
cat > "$CONF.tmp" <<CONF
# GENERATED by infra/rgw/start.sh on every start (edit the script, not this file)
[global]
fsid = $FSID
mon_host = $MON_ADDRS
mon_initial_members = $MON_ID
public_network = 127.0.0.0/8
cluster_network = 127.0.0.0/8
public_addr = 127.0.0.1
cluster_addr = 127.0.0.1
ms_bind_ipv4 = true
ms_bind_ipv6 = false
auth_cluster_required = cephx
auth_service_required = cephx
auth_client_required = cephx
keyring = $KEYS/\$name.keyring
run_dir = $RUN
crash_dir = $STATE/crash
# one OSD: no replication, few placement groups, and the per-OSD PG limit raised for RGW's pools
osd_pool_default_size = 1
osd_pool_default_min_size = 1
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
osd_pool_default_pg_autoscale_mode = off
osd_crush_chooseleaf_type = 0
mon_allow_pool_size_one = true
mon_allow_pool_delete = true
mon_warn_on_pool_no_redundancy = false
mon_max_pg_per_osd = 1000
mon_data_avail_warn = 10

[mon]
mon_data = $STATE/mon/\$cluster-\$id
keyring = \$mon_data/keyring
admin_socket = $RUN/\$name.asok
log_file = $LOG/\$name.log
mon_cluster_log_file = $LOG/cluster.log
mon_memory_target = 536870912
auth_allow_insecure_global_id_reclaim = false

[osd]
osd_data = $STATE/osd/\$cluster-\$id
keyring = \$osd_data/keyring
admin_socket = $RUN/\$name.asok
log_file = $LOG/\$name.log
osd_objectstore = bluestore
bluestore_block_create = true
bluestore_block_size = $OSD_BLOCK_SIZE
osd_memory_target = 1073741824

[client]
admin_socket = $RUN/\$name.asok
log_file = $LOG/\$name.log
rgw_data = $STATE/rgw/\$cluster-\$id
# stock 1/5 writes log lines per request; 0/5 keeps log I/O off the hot path
debug_rgw = 0/5

[$RGW_NAME]
# tcp_nodelay=1: without it small GETs stall ~40 ms (Nagle + delayed ACK) on Pacific's beast
rgw_frontends = beast endpoint=127.0.0.1:$RGW_PORT tcp_nodelay=1
CONF
mv "$CONF.tmp" "$CONF"

STARTED=()
launch() { # NAME BINARY ARGS... : foreground daemon in its own session, PID recorded
  local name=$1 bin=$2; shift 2
  # 9>&-: the daemon must not inherit (and so hold forever) the start/stop lock
  setsid "$bin" -f -c "$CONF" "$@" >> "$LOG/$name.stdout" 2>&1 < /dev/null 9>&- &
  local pid=$!
  echo "$pid" > "$RUN/$name.pid"
  sleep 1
  if ! kill -0 "$pid" 2>/dev/null; then
    tail -5 "$LOG/$name.stdout" >&2 || true
    die "$name exited right after start; see $LOG/$name.log"
  fi
  STARTED+=("$name")
  log "started $name pid $pid"
}
wait_for() { # SECONDS DESCRIPTION CMD...
  local secs=$1 what=$2 t=0; shift 2
  until "$@" > /dev/null 2>&1; do
    t=$((t + 1)); [ $t -ge "$secs" ] && die "timed out after ${secs}s waiting for $what (logs: $LOG)"
    sleep 1
  done
}

# ---------------------------------------------------------------- monitor
MON_DIR=$STATE/mon/ceph-$MON_ID
# (.bench-done: a state directory made by the benchmark's script before it called this one)
if [ ! -e "$MON_DIR/.s3gw-done" ] && [ ! -e "$MON_DIR/.bench-done" ]; then
  log "creating monitor mon.$MON_ID at $MON_ADDRS"
  rm -rf "$MON_DIR" "$STATE/monmap" "$KEYS/mon.keyring.tmp"
  ceph-authtool --create-keyring "$KEYS/mon.keyring.tmp" --gen-key -n mon. --cap mon 'allow *' >/dev/null
  ceph-authtool --create-keyring "$KEYS/client.admin.keyring" --gen-key -n client.admin \
    --cap mon 'allow *' --cap osd 'allow *' --cap mds 'allow *' --cap mgr 'allow *' >/dev/null
  ceph-authtool "$KEYS/mon.keyring.tmp" --import-keyring "$KEYS/client.admin.keyring" >/dev/null
  monmaptool --create --fsid "$FSID" --addv "$MON_ID" "$MON_ADDRS" "$STATE/monmap" >/dev/null
  mkdir -p "$MON_DIR"
  ceph-mon -c "$CONF" --mkfs -i "$MON_ID" --monmap "$STATE/monmap" --keyring "$KEYS/mon.keyring.tmp" >> "$LOG/mon.$MON_ID.stdout" 2>&1 \
    || die "ceph-mon --mkfs failed; see $LOG/mon.$MON_ID.stdout"
  rm -f "$KEYS/mon.keyring.tmp"
  echo "$MON_ADDRS" > "$STATE/mon-addrs"
  touch "$MON_DIR/.s3gw-done"
fi
is_running "mon.$MON_ID" ceph-mon || launch "mon.$MON_ID" /usr/bin/ceph-mon -i "$MON_ID"
wait_for 60 "monitor quorum" cephc mon stat
cephc health mute MGR_DOWN --sticky >/dev/null 2>&1 || true

# ---------------------------------------------------------------- OSD
OSD_DIR=$STATE/osd/ceph-$OSD_ID
if [ ! -e "$STATE/osd.$OSD_ID.done" ]; then
  log "creating osd.$OSD_ID (BlueStore on a sparse $((OSD_BLOCK_SIZE >> 30)) GiB file)"
  if cephc osd ls 2>/dev/null | grep -qx "$OSD_ID"; then cephc osd purge "$OSD_ID" --yes-i-really-mean-it >/dev/null 2>&1 || true; fi
  cephc auth del "osd.$OSD_ID" >/dev/null 2>&1 || true
  rm -rf "$OSD_DIR"; mkdir -p "$OSD_DIR"
  OSD_UUID=$(uuid)
  OSD_SECRET=$(ceph-authtool --gen-print-key)
  NEW_ID=$(echo "{\"cephx_secret\": \"$OSD_SECRET\"}" | cephc osd new "$OSD_UUID" -i -)
  [ "$NEW_ID" = "$OSD_ID" ] || die "expected osd id $OSD_ID, the monitor allocated '$NEW_ID'"
  ceph-authtool --create-keyring "$OSD_DIR/keyring" --name "osd.$OSD_ID" --add-key "$OSD_SECRET" >/dev/null
  ceph-osd -c "$CONF" -i "$OSD_ID" --mkfs --osd-uuid "$OSD_UUID" >> "$LOG/osd.$OSD_ID.stdout" 2>&1 || die "ceph-osd --mkfs failed; see $LOG/osd.$OSD_ID.stdout"
  touch "$STATE/osd.$OSD_ID.done"
fi
is_running "osd.$OSD_ID" ceph-osd || launch "osd.$OSD_ID" /usr/bin/ceph-osd -i "$OSD_ID"
osd_up() { cephc osd dump 2>/dev/null | grep -Eq "^osd\.$OSD_ID up "; }
wait_for 120 "osd.$OSD_ID up" osd_up

# ---------------------------------------------------------------- radosgw
if [ ! -s "$KEYS/$RGW_NAME.keyring" ]; then
  cephc auth get-or-create "$RGW_NAME" mon 'allow rw' osd 'allow rwx' -o "$KEYS/$RGW_NAME.keyring.tmp"
  mv "$KEYS/$RGW_NAME.keyring.tmp" "$KEYS/$RGW_NAME.keyring"
fi
mkdir -p "$STATE/rgw/ceph-rgw.a"
is_running "$RGW_NAME" radosgw || launch "$RGW_NAME" /usr/bin/radosgw -n "$RGW_NAME"
s3_answers() { [ "$(curl -s -o /dev/null -m 5 -w '%{http_code}' "http://127.0.0.1:$RGW_PORT/")" = 200 ]; }
wait_for 180 "radosgw answering on 127.0.0.1:$RGW_PORT" s3_answers

# ---------------------------------------------------------------- S3 user
USER_ENV=$STATE/s3-user.env
rgwadmin() { timeout 60 radosgw-admin -c "$CONF" "$@"; }
if [ -n "${S3GW_RGW_ACCESS_KEY_ID:-}" ] && [ -s "$USER_ENV" ] && ! grep -qxF "S3_KEY=$S3GW_RGW_ACCESS_KEY_ID" "$USER_ENV"; then
  die "$BASE has an S3 user with other keys than S3GW_RGW_ACCESS_KEY_ID: use those, or reset it (infra/rgw/stop.sh --purge)"
fi
if [ ! -s "$USER_ENV" ]; then
  key=${S3GW_RGW_ACCESS_KEY_ID:-S3GWRGW$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n' | tr a-f A-F)}
  secret=${S3GW_RGW_SECRET_ACCESS_KEY:-$(od -An -N30 -tx1 /dev/urandom | tr -d ' \n')}
  [[ "$key" =~ ^[A-Za-z0-9]{16,128}$ && "$secret" =~ ^[A-Za-z0-9/+=]{16,128}$ ]] || die "S3GW_RGW_ACCESS_KEY_ID / S3GW_RGW_SECRET_ACCESS_KEY: 16-128 letters and digits (the secret also / + =)"
  (umask 077; printf "S3_UID=s3gw\nS3_KEY=%s\nS3_SECRET='%s'\n" "$key" "$secret" > "$USER_ENV.tmp")
  mv "$USER_ENV.tmp" "$USER_ENV"
fi
# shellcheck source=/dev/null
. "$USER_ENV"
if ! rgwadmin user info --uid "$S3_UID" >/dev/null 2>&1; then
  log "creating S3 user $S3_UID"
  rgwadmin user create --uid "$S3_UID" --display-name "s3gw tests and local stack" --access-key "$S3_KEY" --secret-key "$S3_SECRET" >/dev/null
fi
signed_ok() { [ "$(curl -s -o /dev/null -m 10 -w '%{http_code}' -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' --aws-sigv4 'aws:amz:us-east-1:s3' --user "$S3_KEY:$S3_SECRET" "http://127.0.0.1:$RGW_PORT/")" = 200 ]; }
wait_for 60 "a signed ListBuckets as $S3_UID" signed_ok

# Holders: whoever will call stop.sh --holder TAG. A cluster started for a holder is stopped when
# the last holder leaves; one started by hand (no --holder: the local stack) is never stopped by them.
if [ ${#STARTED[@]} -gt 0 ]; then
  if [ -n "$HOLDER" ]; then touch "$RUN/started-for-holders"; rm -f "$RUN/started-by-hand"
  else touch "$RUN/started-by-hand"; rm -f "$RUN/started-for-holders"; fi
fi
[ -z "$HOLDER" ] || echo "${S3GW_RGW_HOLDER_PID:-$PPID}" > "$RUN/holders/$HOLDER"
log "ready: http://127.0.0.1:$RGW_PORT (mon $(cat "$RUN/mon.$MON_ID.pid"), osd $(cat "$RUN/osd.$OSD_ID.pid"), rgw $(cat "$RUN/$RGW_NAME.pid")); user $S3_UID"
cat <<OUT
S3GW_RGW_ENDPOINT=http://127.0.0.1:$RGW_PORT
S3GW_RGW_REGION=us-east-1
S3GW_RGW_ACCESS_KEY_ID=$S3_KEY
S3GW_RGW_SECRET_ACCESS_KEY='$S3_SECRET'
S3GW_RGW_DIR=$BASE
S3GW_RGW_STARTED='${STARTED[*]:-}'
OUT
