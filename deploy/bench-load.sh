#!/usr/bin/env bash
# Load benchmark (issue 6): many streams, a large sparse guest and a high dirty rate; both node
# processes must stay within their configured heaps (no OutOfMemoryError), and their peak resident
# set size (VmHWM of /proc/PID/status) is reported. Run as `deploy/bench.sh load` or directly.
#
# Environment (defaults in brackets):
#   RAM [16g]  VCPUS [4]  STREAMS [8]  WORKLOAD [hotset:hot=2,share=95,rate=100] (MB/s per vCPU)
#   SOURCE_HEAP [3g]  DEST_HEAP [3g]  MAX_ROUNDS [8]  BATCH [1m]  DIRTY_LOG [hw-sw]
#   TLS=1: run both nodes over mutual TLS with throw-away certificates (deploy/certs/make-dev-certs.sh)
# Output: a table on stdout, lines `RESULT name=value`, results/bench-load/{report.json,*.gc.log}.
# Takes about 2–4 minutes on a 2-core machine (the build the first time, two 16 GiB SHA-256 passes).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=deploy/lib.sh
. deploy/lib.sh

ram=${RAM:-16g} vcpus=${VCPUS:-4} streams=${STREAMS:-8}
workload=${WORKLOAD:-hotset:hot=2,share=95,rate=100}
src_heap=${SOURCE_HEAP:-3g} dst_heap=${DEST_HEAP:-3g} max_rounds=${MAX_ROUNDS:-8} batch=${BATCH:-1m}
dirty_log=${DIRTY_LOG:-hw-sw}
out=results/bench-load
mkdir -p "$out"
dbm_need_tool jq jq "reading the report"
dbm_build_if_stale
work=$(mktemp -d "${TMPDIR:-/tmp}/dbm-load.XXXXXX")
SRC_PID=""
cleanup() {
  [[ -n "$SRC_PID" ]] && kill "$SRC_PID" 2>/dev/null || true
  dbm_stop_dest
  rm -rf "$work"
}
trap cleanup EXIT

tls_dest=() tls_src=()
if [[ "${TLS:-0}" == 1 ]]; then
  deploy/certs/make-dev-certs.sh "$work/certs" source-node dest-node >&2
  tls_dest=(--tls-cert "$work/certs/dest-node.pem" --tls-key "$work/certs/dest-node-key.pem"
    --tls-ca "$work/certs/ca.pem" --allowed-source cn:source-node)
  tls_src=(--tls-cert "$work/certs/source-node.pem" --tls-key "$work/certs/source-node-key.pem"
    --tls-ca "$work/certs/ca.pem")
fi

# Peak RSS: VmHWM is the kernel's high-water mark; sample it until the process exits.
watch_hwm() { # pid file
  local pid=$1 file=$2 v
  while kill -0 "$pid" 2>/dev/null; do
    v=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || true)
    [[ -n "$v" ]] && echo "$v" >"$file"
    sleep 0.2
  done
}
# Peak heap occupancy: the largest "before" figure of the unified GC log's pause lines (MiB).
peak_heap_mib() {
  grep -oE '[0-9]+M->[0-9]+M\([0-9]+M\)' "$1" 2>/dev/null | sed 's/M->.*//' | sort -n | tail -n 1 || true
}

echo "== destination: heap $dst_heap" >&2
DEST_JAVA_OPTS="-Xmx$dst_heap -XX:+ExitOnOutOfMemoryError -Xlog:gc:file=$out/dest.gc.log" \
  dbm_start_dest "$work/dest.log" "${tls_dest[@]}"
watch_hwm "$DEST_PID" "$work/dest.hwm" &

echo "== source: $ram guest, $vcpus vCPUs '$workload', $streams streams, heap $src_heap" >&2
t0=$(date +%s.%N)
# shellcheck disable=SC2086
${JAVA:-java} "-Xmx$src_heap" -XX:+ExitOnOutOfMemoryError "-Xlog:gc:file=$out/source.gc.log" -jar "$SOURCE_JAR" \
  migrate --target "127.0.0.1:$DEST_PORT" "${tls_src[@]}" --ram "$ram" --vcpus "$vcpus" --workload "$workload" \
  --streams "$streams" --batch-bytes "$batch" --dirty-log "$dirty_log" --max-rounds "$max_rounds" \
  --on-no-convergence force --warmup-ms 2000 --observe-after-ms 1000 --no-progress \
  --report "$out/report.json" >"$work/source.out" 2>"$work/source.err" &
SRC_PID=$!
watch_hwm "$SRC_PID" "$work/source.hwm" &
set +e
wait "$SRC_PID"
src_rc=$?
set -e
SRC_PID=""
t1=$(date +%s.%N)
sleep 0.5
dest_alive=0
kill -0 "$DEST_PID" 2>/dev/null && dest_alive=1
dest_hwm=$(cat "$work/dest.hwm" 2>/dev/null || echo 0)
src_hwm=$(cat "$work/source.hwm" 2>/dev/null || echo 0)
oom_src=$(grep -c 'OutOfMemoryError' "$work/source.err" || true)
oom_dst=$(grep -c 'OutOfMemoryError' "$work/dest.log" || true)

if [[ $src_rc -ne 0 ]]; then
  echo "source exited with $src_rc; its log:" >&2
  tail -n 40 "$work/source.err" >&2
fi
json() { dbm_json "$out/report.json" ".$1" || echo "?"; }

printf '\n%-34s %s\n' "load benchmark" "value"
printf '%-34s %s\n' "guest / vCPUs / workload" "$ram / $vcpus / $workload"
printf '%-34s %s\n' "streams / batch / dirty log" "$streams / $batch / $dirty_log"
printf '%-34s %s\n' "outcome / digests match" "$(json outcome) / $(json match)"
printf '%-34s %s\n' "rounds / downtime ms / total ms" "$(json rounds) / $(json downtimeMillis) / $(json totalMillis)"
printf '%-34s %s\n' "bytes sent / pages sent" "$(json bytesSent) / $(json pagesSent)"
printf '%-34s %s\n' "guest stores/s before / during" "$(json guestWritesPerSecBefore) / $(json guestWritesPerSecDuring)"
printf '%-34s %s\n' "source: -Xmx, peak heap, peak RSS" "$src_heap, $(peak_heap_mib "$out/source.gc.log") MiB, $((src_hwm / 1024)) MiB"
printf '%-34s %s\n' "dest:   -Xmx, peak heap, peak RSS" "$dst_heap, $(peak_heap_mib "$out/dest.gc.log") MiB, $((dest_hwm / 1024)) MiB"
printf '%-34s %s\n' "OutOfMemoryError (source / dest)" "$oom_src / $oom_dst"
printf '%-34s %s\n' "wall time s" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')"
echo
echo "RESULT load_source_exit=$src_rc"
echo "RESULT load_dest_alive=$dest_alive"
echo "RESULT load_match=$(json match)"
echo "RESULT load_source_peak_rss_mib=$((src_hwm / 1024))"
echo "RESULT load_dest_peak_rss_mib=$((dest_hwm / 1024))"
echo "RESULT load_source_peak_heap_mib=$(peak_heap_mib "$out/source.gc.log")"
echo "RESULT load_dest_peak_heap_mib=$(peak_heap_mib "$out/dest.gc.log")"
echo "RESULT load_oom=$((oom_src + oom_dst))"
[[ $src_rc -eq 0 && $dest_alive -eq 1 && $((oom_src + oom_dst)) -eq 0 ]]
