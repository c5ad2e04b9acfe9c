#!/usr/bin/env bash
# Post-copy recovery after a cut link on the netns testbed (issue 13): the source migrates a busy
# VM in post-copy mode over a shaped veth link; once the VM runs on the destination, the link goes
# down (`ip link set DEV down` on the source's veth end: established connections get no answer,
# new ones fail with "network unreachable"), stays down for --down-s seconds and comes back up. The
# destination's vCPUs wait for the missing pages meanwhile; the source reconnects (QEMU's
# postcopy-recover), sends the pages still missing and completes; the receipt digest must match.
#
#   sudo deploy/netns/postcopy-cut-link.sh [--rate 100mbit] [--down-s 5] [--ram 256m] [--keep-logs DIR]
#
# Needs root (namespaces, veth, tc) and the shaded jars (built when stale: ./mvnw package).
# Prints POSTCOPY_CUT_LINK lines and exits 0 only when the run completed with recoveries >= 1
# and a matching receipt digest. The same scenario without root, with the user-space relay:
# deploy/system-tests PostcopyCutLinkIT.
set -Eeuo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=deploy/lib.sh
. "$SCRIPT_DIR/../lib.sh"

RATE="100mbit"
DOWN_S=5
RAM="256m"
LOG_DIR=""
NAME="pccut$$"
NAME="${NAME:0:10}"
while [ $# -gt 0 ]; do
  case "$1" in
    --rate) RATE="$2"; shift 2 ;;
    --down-s) DOWN_S="$2"; shift 2 ;;
    --ram) RAM="$2"; shift 2 ;;
    --keep-logs) LOG_DIR="$2"; shift 2 ;;
    -h|--help) sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "postcopy-cut-link: needs root (network namespaces)" >&2; exit 2; }
[[ "$DOWN_S" =~ ^[0-9]+$ ]] || { echo "--down-s must be whole seconds" >&2; exit 2; }
[ -n "$LOG_DIR" ] || LOG_DIR="$(mktemp -d /tmp/postcopy-cut-link.XXXXXX)"
mkdir -p "$LOG_DIR"

dbm_build_if_stale
JAVA="${JAVA:-java}"
PIDS=()
UP=0
cleanup() {
  local rc=$? p
  trap - EXIT INT TERM
  for p in "${PIDS[@]+"${PIDS[@]}"}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]+"${PIDS[@]}"}"; do wait "$p" 2>/dev/null || true; done
  [ "$UP" = 1 ] && "$SCRIPT_DIR/testbed.sh" down --name "$NAME" >/dev/null 2>&1 || true
  echo "POSTCOPY_CUT_LINK logs=$LOG_DIR rc=$rc"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

line=$("$SCRIPT_DIR/testbed.sh" up --name "$NAME" --rate "$RATE" | grep '^TESTBED_UP')
UP=1
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$line"; }
SRC_NS=$(field src_ns); DST_NS=$(field dst_ns); SRC_IF=$(field src_if); DST_IP=$(field dst_ip)
echo "POSTCOPY_CUT_LINK testbed $line"

ip netns exec "$DST_NS" "$JAVA" -Xmx1g -jar "$DEST_JAR" --port 0 --bind "$DST_IP" --plaintext \
  >"$LOG_DIR/dest.log" 2>&1 &
PIDS+=("$!")
DEST_PORT=$(dbm_wait_listening "$LOG_DIR/dest.log" "$!" 60 destination)

ip netns exec "$SRC_NS" "$JAVA" -Xmx1g -jar "$SOURCE_JAR" migrate --target "$DST_IP:$DEST_PORT" --plaintext \
  --ram "$RAM" --vcpus 2 --workload random:rate=24 --seed 7 --warmup-ms 500 --no-progress \
  --mode postcopy --postcopy-recover-millis 120000 --stream-stall-ms 3000 --rpc-timeout-ms 3000 \
  --report "$LOG_DIR/report.json" >"$LOG_DIR/source.log" 2>&1 &
SRC_PID=$!
PIDS+=("$SRC_PID")

for _ in $(seq 1 600); do
  grep -q "post-copy started" "$LOG_DIR/source.log" 2>/dev/null && break
  kill -0 "$SRC_PID" 2>/dev/null || { tail -n 30 "$LOG_DIR/source.log" >&2; exit 1; }
  sleep 0.1
done
grep -q "post-copy started" "$LOG_DIR/source.log" || { echo "post-copy did not start within 60 s" >&2; exit 1; }
sleep 2
echo "POSTCOPY_CUT_LINK link_down dev=$SRC_IF at=$(date -u +%T.%N | cut -c1-12)"
ip -n "$SRC_NS" link set "$SRC_IF" down
sleep "$DOWN_S"
ip -n "$SRC_NS" link set "$SRC_IF" up
# Bringing the interface up re-adds its connected route once the carrier is back.
echo "POSTCOPY_CUT_LINK link_up dev=$SRC_IF at=$(date -u +%T.%N | cut -c1-12) after=${DOWN_S}s"

set +e
wait "$SRC_PID"
rc=$?
set -e
grep -E "post-copy paused|post-copy started" "$LOG_DIR/source.log" | head -n 5 || true
[ -f "$LOG_DIR/report.json" ] || { echo "no report (source exit $rc)" >&2; tail -n 30 "$LOG_DIR/source.log" >&2; exit 1; }
outcome=$(dbm_json "$LOG_DIR/report.json" '.outcome')
recoveries=$(dbm_json "$LOG_DIR/report.json" '.postcopy.recoveries')
match=$(dbm_json "$LOG_DIR/report.json" '.postcopy.receiptMatch')
blocktime=$(dbm_json "$LOG_DIR/report.json" '.postcopy.blocktimeMillisTotal')
last=$(dbm_json "$LOG_DIR/report.json" '.postcopy.lastPageMillis')
echo "POSTCOPY_CUT_LINK outcome=$outcome recoveries=$recoveries receipt_match=$match blocktime_total_ms=$blocktime last_page_ms=$last source_exit=$rc"
[ "$rc" = 0 ] && [ "$outcome" = COMPLETED ] && [ "$recoveries" -ge 1 ] && [ "$match" = true ]
