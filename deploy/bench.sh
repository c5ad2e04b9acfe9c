#!/usr/bin/env bash
# Benchmarks (not part of `mvn verify`). Each subcommand ends with lines `RESULT <name>=<value>`.
#
#   deploy/bench.sh transfer   round-0 throughput of a 4 GiB guest over loopback with 1, 2 and 4
#                              streams, next to a raw TCP loopback baseline measured in the same run
#   deploy/bench.sh scan       dirty-log sync of a fully mapped 64 GiB guest: HW scan on 1 and 2
#                              threads, SW sync with the same dirty count, fault and hardware-dirty
#                              store paths, memory-bandwidth bound measured in the same run, and the
#                              64 GiB / 1 GiB-written memory check in a 2 GiB heap. Options:
#                              [--ram 64g] [--dirty-percent 1] [--iterations 9] [--no-memory]; then
#                              the 64 GiB guest / 1 GiB written / -Xmx512m probe (MEMORY_PROBE=0 skips)
#                              [--verbose]; BENCH_SCAN_NICE=-10 gives it a scheduling group of its own
#   deploy/bench.sh trackers   per dirty-log mode (sw, hw, ring, hdbss, combined): guest store cost
#                              on a clean and on a dirty page, harvest cost per GiB at 0.01 %, 1 %
#                              and 10 % dirty, next to the memory-bandwidth bound of the same run.
#                              Options: [--ram 1g] [--iterations 5]
#   deploy/bench.sh verify     tree-digest throughput of 1 GiB and 16 GiB guests (sparse and fully
#                              written) against single-core SHA-256 x cores measured in the same
#                              run (target >= 0.8), and the guest's standing-still time under
#                              --verify strict vs background (two migrations). Options:
#                              [--sizes 1g,16g] [--iterations 3]; environment VERIFY_RAM (512m)
#   deploy/bench.sh load       8 streams, 16 GiB sparse guest, high dirty rate: no OutOfMemoryError
#                              in either configured heap, peak RSS of both processes
#                              (deploy/bench-load.sh; environment RAM, STREAMS, WORKLOAD, heaps, TLS=1)
#   deploy/bench.sh fidelity   the default run-local migration (1 GiB, 2 vCPUs, hw-sw, default
#                              workload) repeated RUNS times (default 10; 20 for within_limit), plus an
#                              idle-guest baseline (median of IDLE_RUNS=3 runs) for round 0: downtime median/max, its
#                              decomposition, prediction error, GC pauses per node (issues 10, 15)
#   deploy/bench.sh link       needs root; installs iperf3 with apt-get. Per rate in LINK_RATES
#                              (default "100mbit 1gbit"), on the netns testbed (deploy/netns):
#                              iperf3 between the two namespaces, then round 0 of a prefilled idle
#                              LINK_RAM (1g) guest over the same shaped link; RESULT
#                              link_ratio_<rate>= migration payload throughput / iperf3 (target 0.95)
#
# The machine is shared and noisy: compare the ratios printed here, not absolute figures.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=deploy/lib.sh
. deploy/lib.sh

usage() {
  sed -n '2,35p' "$0" | sed 's/^# \{0,1\}//'
}

# Builds common (and proto) with its test classes and writes the runtime class path to $CP.
build_common_test_classpath() {
  local root cpfile
  root="$(pwd)"
  cpfile="$root/common/target/bench-classpath.txt"
  echo "building common (tests not run) ..." >&2
  ./mvnw -B -q -pl common -am test-compile dependency:build-classpath \
    -Dmdep.outputFile="$cpfile" -Dmdep.includeScope=test >&2
  # Reactor modules come from their target/classes, never from a jar in ~/.m2.
  local deps
  deps="$(tr ':' '\n' < "$cpfile" | grep -v '/io/dbmmigrate/' | paste -sd: -)"
  CP="$root/common/target/test-classes:$root/common/target/classes:$root/proto/target/classes:$deps"
}

# transfer: environment RAM (default 4g), STREAMS (default "1 2": the two the targets name; "1 2 4"
# adds four), BATCHES (--batch-bytes values,
# default "1m"; e.g. "256k 1m 4m" sweeps batch size x streams), COMPRESS (none|lz4, default none), BENCH_HEAP (default "-Xms1g -Xmx1g -XX:+AlwaysPreTouch": guest memory is off the heap, and
# the heaps are committed before the measurement, so round 0 does not time the kernel faulting in
# fresh heap), PREALLOC (1, the default: the destination backs the guest's memory before it
# listens, dest-node --prealloc-ram, so round 0 does not time the host backing fresh pages; 0:
# sparse memory, as a default destination), WINDOW (the destination's HTTP/2 flow-control window,
# dest-node --flow-control-window; default: the node's 4m), JIT_WARM_UP (default 16g) and
# JIT_WARM_UP_MS (default 30000): the page path is warmed up with up to that much payload, for at
# most that long, before round 0 (--jit-warm-up, --jit-warm-up-ms; JIT_WARM_UP_MS=0: none; a
# destination takes the larger of the guest's size and 16 GiB); on this 2-core machine both
# nodes' compilers needed about 12 GiB (17 s) before round 0 ran free of C2 compilations,
# EXECUTORS (--page-executor of both nodes, default "pool"; "pool direct" sweeps it: where the
# page batches' gRPC callbacks run, see the README), REPEATS (default 5: runs of each configuration,
# taken in turns; the figures are then medians, each ratio the median of the runs' own ratios),
# PROFILE=1 (JFR recordings of the first run into results/bench-transfer/).
# Baselines, each measured right before its migration: raw TCP (the sink discards; the issue's
# baseline) and raw TCP whose sink places every MiB into tmpfs memory of the same kind as the
# destination's (preallocated with PREALLOC=1, sparse with 0): the ceiling of a receiver that places.
# Guest memory: every RAM page is prefilled with non-zero, incompressible content (no zero pages)
# and the guest is idle, so round 0 moves RAM bytes of real pages (plus 8 bytes of header each).
# The raw TCP baseline (one connection, 1 MiB direct buffers, a sink that discards) is measured
# right before each migration, so each ratio compares two measurements taken seconds apart.
bench_transfer() {
  local ram=${RAM:-4g} streams_list=${STREAMS:-"1 2"} compress=${COMPRESS:-none}
  local batches=${BATCHES:-1m} executors=${EXECUTORS:-pool} repeats=${REPEATS:-5}
  [[ "$repeats" =~ ^[1-9][0-9]*$ ]] || { echo "REPEATS must be a positive integer, not '$repeats'" >&2; exit 2; }
  local heap=${BENCH_HEAP:-"-Xms1g -Xmx1g -XX:+AlwaysPreTouch"}
  local prealloc=${PREALLOC:-1} place_sink=backed dest_args=()
  if [[ "$prealloc" == 1 ]]; then dest_args=(--prealloc-ram "$ram"); else place_sink=fresh; fi
  [[ -n "${WINDOW:-}" ]] && dest_args+=(--flow-control-window "$WINDOW")
  local warm_ms=${JIT_WARM_UP_MS:-30000} warm_bytes=${JIT_WARM_UP:-16g} warm_args=(--jit-warm-up 0)
  [[ "$warm_ms" != 0 ]] && warm_args=(--jit-warm-up "$warm_bytes" --jit-warm-up-ms "$warm_ms")
  local out=results/bench-transfer
  mkdir -p "$out"
  dbm_need_tool jq jq "reading the reports"
  dbm_build_if_stale
  BENCH_WORK=$(mktemp -d "${TMPDIR:-/tmp}/dbm-bench.XXXXXX")
  local work=$BENCH_WORK
  trap 'dbm_stop_dest; rm -rf "$BENCH_WORK"' EXIT

  declare -A mbps raw place jit ratio pratio runs_mbps runs_raw runs_place runs_ratio runs_pratio
  local s b e key rep configs=()
  for e in $executors; do
    for b in $batches; do
      for s in $streams_list; do configs+=("$s:$b:$e"); done
    done
  done
  # Repeats go round the configurations (1, 2, 1, 2, ...), so that each configuration's runs are
  # spread over the same stretch of a machine whose speed drifts.
  for ((rep = 1; rep <= repeats; rep++)); do
    for key in "${configs[@]}"; do
      IFS=: read -r s b e <<<"$key"
      local baselines r_raw r_place r_mbps report="$out/transfer-s$s-b$b-$e-r$rep.json"
      baselines=$(${JAVA:-java} -cp "$SOURCE_JAR" io.dbmmigrate.source.bench.RawTcpThroughput "$ram" discard "$place_sink")
      r_raw=$(sed -n 's/^RAW_TCP_MBPS=//p' <<<"$baselines")
      r_place=$(sed -n 's/^RAW_TCP_PLACE_[A-Z]*_MBPS=//p' <<<"$baselines")
      echo "raw TCP loopback ($ram): $r_raw MB/s; placing into $place_sink tmpfs: $r_place MB/s" >&2
      echo "== migration round 0, $ram guest, $s stream(s), batch $b, page executor $e, compress $compress (run $rep of $repeats)" >&2
      local src_opts="$heap" dst_opts="$heap"
      if [[ "${PROFILE:-0}" == 1 && "$key" == "${configs[0]}" && "$rep" == 1 ]]; then
        src_opts="$src_opts -XX:StartFlightRecording=filename=$out/source-s1.jfr,settings=profile"
        dst_opts="$dst_opts -XX:StartFlightRecording=filename=$out/dest-s1.jfr,settings=profile"
      fi
      DEST_JAVA_OPTS="$dst_opts" dbm_start_dest "$work/dest-s$s.log" "${dest_args[@]}" --page-executor "$e"
      grep -o 'preallocated .*' "$work/dest-s$s.log" >&2 || true
      # shellcheck disable=SC2086
      ${JAVA:-java} $src_opts -jar "$SOURCE_JAR" migrate --target "127.0.0.1:$DEST_PORT" \
        --ram "$ram" --vcpus 1 --workload idle --prefill 1 --dirty-log sw --warmup-ms 0 \
        --observe-after-ms 0 --streams "$s" --batch-bytes "$b" --compress "$compress" --page-executor "$e" --no-progress \
        "${warm_args[@]}" \
        --report "$report" >"$work/source-s$s.out" 2>"$work/source-s$s.err" \
        || { echo "migration with $s streams failed:" >&2; tail -n 30 "$work/source-s$s.err" "$work/source-s$s.out" >&2; exit 1; }
      dbm_stop_dest
      r_mbps=$(awk -v b="$(dbm_json "$report" '.roundStats[0].throughputBytesPerSec')" 'BEGIN { printf "%.1f", b / 1e6 }')
      runs_mbps[$key]+="$r_mbps "
      runs_raw[$key]+="$r_raw "
      runs_place[$key]+="$r_place "
      runs_ratio[$key]+="$(awk -v a="$r_mbps" -v r="$r_raw" 'BEGIN { printf "%.3f", a / r }') "
      runs_pratio[$key]+="$(awk -v a="$r_mbps" -v r="$r_place" 'BEGIN { printf "%.3f", a / r }') "
      jit[$key]+="${jit[$key]:+,}$(dbm_json "$report" '.jit.roundsMillis // "-"')/$(dbm_json "$report" '.jit.destRoundsMillis // "-"')"
      echo "round 0 with $s stream(s), batch $b, page executor $e: $r_mbps MB/s (JIT source/dest ${jit[$key]##*,} ms in the rounds)" >&2
    done
  done
  # With REPEATS > 1 every figure is the median over the runs, each ratio the median of the runs'
  # own ratios (a migration against the baseline taken right before it).
  for key in "${configs[@]}"; do
    mbps[$key]=$(bench_median ${runs_mbps[$key]})
    raw[$key]=$(bench_median ${runs_raw[$key]})
    place[$key]=$(bench_median ${runs_place[$key]})
    ratio[$key]=$(bench_median ${runs_ratio[$key]})
    pratio[$key]=$(bench_median ${runs_pratio[$key]})
  done

  printf '\n%-30s %10s %14s %8s %16s %8s %14s\n' "round 0, $ram, dest ${dest_args[*]:-sparse}" "MB/s" "raw TCP MB/s" "ratio" \
    "placing MB/s" "ratio" "JIT src/dst ms"
  for key in "${configs[@]}"; do
    IFS=: read -r s b e <<<"$key"
    printf '%-30s %10s %14s %8s %16s %8s %14s\n' "gRPC, $s stream(s), batch $b, $e" "${mbps[$key]}" "${raw[$key]}" \
      "${ratio[$key]}" "${place[$key]} ($place_sink)" "${pratio[$key]}" "${jit[$key]}"
  done
  [[ "$repeats" -gt 1 ]] && echo "(medians of $repeats runs each; ratios: $(for key in "${configs[@]}"; do printf '%s: %s; ' "$key" "${runs_ratio[$key]% }"; done))"
  echo
  # RESULT lines name the stream count for the first batch size and executor (the default sweep
  # has one of each); other configurations get their own ratio lines below.
  local first_b first_e
  first_b=$(echo "$batches" | awk '{ print $1 }')
  first_e=$(echo "$executors" | awk '{ print $1 }')
  for s in $streams_list; do echo "RESULT transfer_mbps_s$s=${mbps[$s:$first_b:$first_e]}"; done
  echo "RESULT raw_tcp_mbps=${raw[${configs[0]}]}"
  echo "RESULT raw_tcp_place_${place_sink}_mbps=${place[${configs[0]}]}"
  echo "RESULT transfer_runs=$repeats"
  echo "RESULT transfer_prealloc=$prealloc"
  echo "RESULT transfer_jit_warm_up_ms=$warm_ms"
  echo "RESULT transfer_jit_warm_up_bytes=$warm_bytes"
  echo "RESULT transfer_window=${WINDOW:-4m}"
  echo "RESULT transfer_page_executor=$first_e"
  for s in $streams_list; do echo "RESULT transfer_ratio_s$s=${ratio[$s:$first_b:$first_e]}"; done
  for s in $streams_list; do echo "RESULT transfer_place_ratio_s$s=${pratio[$s:$first_b:$first_e]}"; done
  for key in "${configs[@]}"; do
    IFS=: read -r s b e <<<"$key"
    [[ "$b" == "$first_b" && "$e" == "$first_e" ]] && continue
    echo "RESULT transfer_ratio_s${s}_b${b}_${e}=${ratio[$key]}"
  done
}

# The median of the numbers given (the mean of the middle two for an even count).
bench_median() {
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# verify: digest throughput (VerifyBenchmark), then one strict and one background migration of a
# VERIFY_RAM guest (random workload, 2 vCPUs) reporting how long the guest stood still in each:
# strict = downtime + verification (the guest waits for both hashings), background = downtime.
bench_verify() {
  build_common_test_classpath
  ${JAVA:-java} -Xmx2g -XX:+UseG1GC -cp "$CP" io.dbmmigrate.bench.VerifyBenchmark "$@"
  local ram=${VERIFY_RAM:-512m} out=results/bench-verify mode
  mkdir -p "$out"
  dbm_build_if_stale
  BENCH_WORK=$(mktemp -d "${TMPDIR:-/tmp}/dbm-bench.XXXXXX")
  trap 'dbm_stop_dest; rm -rf "$BENCH_WORK"' EXIT
  for mode in strict background; do
    DEST_JAVA_OPTS="-Xmx2g" dbm_start_dest "$BENCH_WORK/dest-$mode.log"
    ${JAVA:-java} -Xmx2g -jar "$SOURCE_JAR" migrate --target "127.0.0.1:$DEST_PORT" --ram "$ram" \
      --vcpus 2 --workload random --prefill 1 --verify "$mode" --no-progress --observe-after-ms 500 \
      --report "$out/verify-$mode.json" >"$BENCH_WORK/source-$mode.out" 2>"$BENCH_WORK/source-$mode.err" \
      || { echo "migration with --verify $mode failed:" >&2; tail -n 30 "$BENCH_WORK/source-$mode.err" >&2; exit 1; }
    dbm_stop_dest
    local down ver
    down=$(grep -m 1 '"downtimeMillis"' "$out/verify-$mode.json" | sed 's/.*: *//; s/[^0-9.eE+-]//g')
    ver=$(grep -m 1 '"verifyMillis"' "$out/verify-$mode.json" | sed 's/.*: *//; s/[^0-9.eE+-]//g')
    echo "RESULT verify_${mode}_downtime_ms=$(awk -v d="$down" 'BEGIN { printf "%.1f", d }')"
    echo "RESULT verify_${mode}_hash_ms=$(awk -v v="$ver" 'BEGIN { printf "%.1f", v }')"
    if [[ $mode == strict ]]; then
      echo "RESULT verify_strict_guest_still_ms=$(awk -v d="$down" -v v="$ver" 'BEGIN { printf "%.1f", d + v }')"
    else
      echo "RESULT verify_background_guest_still_ms=$(awk -v d="$down" 'BEGIN { printf "%.1f", d }')"
    fi
  done
  echo "load average: $(cat /proc/loadavg)"
}

# The memory line (issue 10): a 64 GiB guest, every PTE established, 1 GiB written, in a 512 MiB
# heap; prints RESULT rss_mib_64g= (peak RSS of the whole process) and RESULT heap_max_mib_64g=.
# MEMORY_PROBE=0 skips it. Needs $CP (build_common_test_classpath).
bench_memory_64g() {
  [[ "${MEMORY_PROBE:-1}" == 1 ]] || return 0
  echo "== memory: 64 GiB guest, 1 GiB written, -Xmx512m" >&2
  ${JAVA:-java} -Xmx512m -cp "$CP" io.dbmmigrate.bench.MemoryProbe 64g 1g
}

# fidelity: environment RUNS (default 10), FIDELITY_ARGS (extra run-local arguments, applied to
# every run, e.g. "--rpc-timeout-ms 60000" on a machine so loaded that session set-up misses the
# default 10 s deadline), IDLE_RUNS (idle baseline runs, default 3; the ratio's denominator is their
# median: one idle run's round 0 varied from 289 to 439 MB/s between invocations). The idle baseline is the same
# guest with every RAM page prefilled with real (incompressible) content and an idle workload, so
# that its round 0 moves real pages. Reports go to results/bench-fidelity/. SUMMARY_ONLY=1 prints
# the RESULT lines of the reports an interrupted invocation left there (runs = those that finished).
# Every RESULT comes from the same RUNS runs (and the idle baseline of this invocation):
#   round0_ratio          median over runs of round-0 throughput / idle-guest round-0 throughput
#   gc_in_downtime_ms_max max over runs of the GC pause time overlapping the downtime, both nodes
#   gc_share_source/dest  median over runs of total GC pause time / migration time, per node
#   within_limit=K/N      runs whose downtime was within the downtime limit
#   prediction_error_median median of |predicted - actual| / actual
#   unaccounted_ms_median median of the downtime remainder that no measured part explains
bench_fidelity() {
  local runs=${RUNS:-10} idle_runs=${IDLE_RUNS:-3} out=results/bench-fidelity
  local i
  if [[ "${SUMMARY_ONLY:-0}" == 1 ]]; then
    # Summarize the reports an interrupted invocation left (RUNS = the runs that finished).
    runs=$(find "$out" -name 'run-*.json' | wc -l)
    fidelity_summary "$out" "$runs" "$idle_runs"
    return
  fi
  rm -rf "$out"
  mkdir -p "$out"
  dbm_build_if_stale
  for ((i = 1; i <= idle_runs; i++)); do
    echo "== idle baseline $i/$idle_runs" >&2
    # shellcheck disable=SC2086
    deploy/run-local.sh --workload idle --prefill 1 --no-progress ${FIDELITY_ARGS:-} --report "$out/idle-$i.json" \
      >"$out/idle-$i.out" 2>&1 || { echo "idle baseline failed:" >&2; tail -n 30 "$out/idle-$i.out" >&2; exit 1; }
  done
  for ((i = 1; i <= runs; i++)); do
    echo "== run $i/$runs" >&2
    # shellcheck disable=SC2086
    deploy/run-local.sh --no-progress ${FIDELITY_ARGS:-} --report "$out/run-$i.json" >"$out/run-$i.out" 2>&1 \
      || echo "run $i did not complete (kept in the figures as reported)" >&2
    sed -n '/^  downtime/,/^  GC pauses/p' "$out/run-$i.out" >&2 || true
  done
  fidelity_summary "$out" "$runs" "$idle_runs"
}

# The RESULT lines of bench_fidelity from the reports in $1 (runs $2, idle baselines $3).
fidelity_summary() {
  dbm_need_tool python3 python3 "summarizing the fidelity runs"
  python3 - "$1" "$2" "$3" <<'PY'
import json, statistics, sys
out, runs, idle_runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def load(p):
    try:
        with open(p) as f: return json.load(f)
    except (OSError, ValueError): return None
def r0(rep):
    return rep["roundStats"][0]["throughputBytesPerSec"] if rep and rep.get("roundStats") else None
idle = [r0(load(f"{out}/idle-{i}.json")) for i in range(1, idle_runs + 1)]
idle = [x for x in idle if x]
reps = [load(f"{out}/run-{i}.json") for i in range(1, runs + 1)]
done = [r for r in reps if r and r["outcome"] == "COMPLETED"]
def med(xs): return statistics.median(xs) if xs else float("nan")
dt = [r["downtimeMillis"] for r in done]
limit = [float(r["parameters"].get("downtimeLimitMillis", 300)) for r in done]
within = sum(1 for d, l in zip(dt, limit) if d <= l)
ratio = [r0(r) / med(idle) for r in done if idle and r0(r)]
gcdt = [(r["downtimeParts"]["sourceGcMillis"] + r["downtimeParts"]["destGcMillis"]) for r in done if r.get("downtimeParts")]
gccount = [(r["downtimeParts"]["sourceGcCount"] + r["downtimeParts"]["destGcCount"]) for r in done if r.get("downtimeParts")]
shs = [r["gc"]["sourceShare"] for r in done if r.get("gc")]
shd = [r["gc"]["destShare"] for r in done if r.get("gc") and r["gc"]["destReported"]]
perr = [abs(r["predictedDowntimeMillis"] - r["downtimeMillis"]) / r["downtimeMillis"]
        for r in done if r.get("predictedDowntimeMillis") is not None and r["downtimeMillis"] > 0]
unacc = [r["downtimeParts"]["unaccountedMillis"] for r in done if r.get("downtimeParts")]
print()
print("%4s %10s %10s %8s %8s %8s %8s %8s %8s %8s %8s %6s" % ("run", "downtime", "predicted", "sync", "send", "exch", "dest", "unacc", "gcInDt", "gcSrc%", "gcDst%", "r0MB/s"))
for i, r in enumerate(reps, 1):
    if not r: print("%4d (no report)" % i); continue
    p = r.get("downtimeParts") or {}
    g = r.get("gc") or {}
    print("%4d %10.1f %10s %8.2f %8.2f %8.2f %8.2f %8.2f %8.2f %8.2f %8.2f %6.1f %s" % (
        i, r["downtimeMillis"], "%.1f" % r["predictedDowntimeMillis"] if r.get("predictedDowntimeMillis") is not None else "-",
        p.get("finalSyncMillis", 0), p.get("finalSendMillis", 0), p.get("commitExchangeMillis", 0),
        p.get("destCompletenessMillis", 0) + p.get("destRestoreMillis", 0) + p.get("destResumeMillis", 0),
        p.get("unaccountedMillis", 0), p.get("sourceGcMillis", 0) + p.get("destGcMillis", 0),
        100 * g.get("sourceShare", 0), 100 * g.get("destShare", 0), (r0(r) or 0) / 1e6, r["outcome"]))
print()
print("idle-guest round 0 (baseline, same invocation): %.1f MB/s" % (med(idle) / 1e6))
print("RESULT runs=%d" % len(reps))
print("RESULT completed=%d" % len(done))
print("RESULT downtime_ms_median=%.1f" % med(dt))
print("RESULT downtime_ms_max=%.1f" % (max(dt) if dt else float("nan")))
print("RESULT idle_round0_mbps=%.1f" % (med(idle) / 1e6))
print("RESULT round0_ratio=%.3f" % med(ratio))
print("RESULT gc_in_downtime_ms_max=%.1f" % (max(gcdt) if gcdt else float("nan")))
print("RESULT gc_in_downtime_runs=%d" % sum(1 for c in gccount if c > 0))
print("RESULT gc_share_source=%.4f" % med(shs))
print("RESULT gc_share_dest=%.4f" % med(shd))
print("RESULT within_limit=%d/%d" % (within, len(reps)))
print("RESULT prediction_error_median=%.3f" % med(perr))
print("RESULT unaccounted_ms_median=%.2f" % med(unacc))
PY
}

# link: iperf3 and a migration over the same shaped veth link, one rate at a time; both measure
# what arrives (iperf3's receiver side; the migration's round-0 payload bytes over its send time).
bench_link() {
  [[ "$(id -u)" == 0 ]] || { echo "bench.sh link needs root (network namespaces, tc)" >&2; exit 2; }
  dbm_need_tool iperf3 iperf3 "the link baseline"
  dbm_need_tool jq jq "reading the reports"
  dbm_build_if_stale
  local rates=${LINK_RATES:-"100mbit 1gbit"} ram=${LINK_RAM:-1g} secs=${LINK_IPERF_SECONDS:-5}
  local heap=${BENCH_HEAP:-"-Xms1g -Xmx1g -XX:+AlwaysPreTouch"} out=results/bench-link rate
  mkdir -p "$out"
  BENCH_WORK=$(mktemp -d "${TMPDIR:-/tmp}/dbm-bench.XXXXXX")
  LINK_NAME=""
  trap 'if [[ -n "$LINK_NAME" ]]; then deploy/netns/testbed.sh down --name "$LINK_NAME" >/dev/null 2>&1 || true; fi; rm -rf "$BENCH_WORK"' EXIT
  declare -A iperf mig
  for rate in $rates; do
    LINK_NAME="bl$$${rate//[^0-9a-z]/}"
    LINK_NAME=${LINK_NAME:0:10}
    local upline src_ns dst_ns dst_ip
    upline=$(deploy/netns/testbed.sh up --name "$LINK_NAME" --rate "$rate" | grep '^TESTBED_UP')
    src_ns=$(sed -n 's/.* src_ns=\([^ ]*\).*/\1/p' <<<"$upline")
    dst_ns=$(sed -n 's/.* dst_ns=\([^ ]*\).*/\1/p' <<<"$upline")
    dst_ip=$(sed -n 's/.* dst_ip=\([^ ]*\).*/\1/p' <<<"$upline")
    ip netns exec "$dst_ns" iperf3 -s -1 -B "$dst_ip" >"$BENCH_WORK/iperf-server-$rate.log" 2>&1 &
    local server=$!
    sleep 1
    ip netns exec "$src_ns" iperf3 -c "$dst_ip" -t "$secs" -J >"$out/iperf-$rate.json"
    wait "$server" || true
    deploy/netns/testbed.sh down --name "$LINK_NAME" >/dev/null
    LINK_NAME=""
    # Three decimals: at 100 Mbit/s both figures are about 12 MB/s, and one decimal would round
    # both to 12.0 and the ratio to 1.000.
    iperf[$rate]=$(dbm_json "$out/iperf-$rate.json" '.end.sum_received.bits_per_second / 8e6 | . * 1000 | round / 1000')
    echo "iperf3 over $rate: ${iperf[$rate]} MB/s" >&2

    echo "== migration round 0, $ram guest, over $rate" >&2
    SOURCE_JVM_OPTS="$heap" DEST_JVM_OPTS="$heap" deploy/netns/testbed.sh run --rate "$rate" \
      --log-dir "$BENCH_WORK/run-$rate" -- --ram "$ram" --vcpus 1 --workload idle --prefill 1 \
      --dirty-log sw --warmup-ms 0 --observe-after-ms 0 --no-progress --verify off \
      --report "$(pwd)/$out/link-$rate.json" >"$BENCH_WORK/testbed-$rate.out" 2>&1 \
      || { echo "migration over $rate failed:" >&2; tail -n 30 "$BENCH_WORK/testbed-$rate.out" >&2; exit 1; }
    mig[$rate]=$(dbm_json "$out/link-$rate.json" '.roundStats[0].throughputBytesPerSec / 1e6 | . * 1000 | round / 1000')
    echo "round 0 over $rate: ${mig[$rate]} MB/s" >&2
  done
  printf '\n%-10s %14s %18s %8s\n' "link" "iperf3 MB/s" "migration MB/s" "ratio"
  for rate in $rates; do
    printf '%-10s %14s %18s %8s\n' "$rate" "${iperf[$rate]}" "${mig[$rate]}" \
      "$(awk -v a="${mig[$rate]}" -v b="${iperf[$rate]}" 'BEGIN { printf "%.3f", a / b }')"
  done
  echo
  for rate in $rates; do
    echo "RESULT link_iperf_mbps_$rate=${iperf[$rate]}"
    echo "RESULT link_migration_mbps_$rate=${mig[$rate]}"
    echo "RESULT link_ratio_$rate=$(awk -v a="${mig[$rate]}" -v b="${iperf[$rate]}" 'BEGIN { printf "%.3f", a / b }')"
  done
}

case "${1:-}" in
  link)
    shift
    bench_link "$@"
    ;;
  verify)
    shift
    bench_verify "$@"
    ;;
  fidelity)
    shift
    bench_fidelity "$@"
    ;;
  scan)
    shift
    build_common_test_classpath
    # Linux autogroup scheduling shares the CPUs between sessions, not threads: on a machine where
    # other sessions keep a core busy, two scan threads get the CPU time of one (the benchmark
    # prints each scan thread's on-CPU share and the other processes' CPU use to show it).
    # BENCH_SCAN_NICE=-10 (root) runs the benchmark in a session of its own whose group has that
    # nice value, so that it gets both cores as on a dedicated host; the figures then say so.
    if [ -n "${BENCH_SCAN_NICE:-}" ]; then
      setsid --wait bash -c 'echo "$0" > /proc/self/autogroup && exec "$@"' "$BENCH_SCAN_NICE" \
        ${JAVA:-java} -Xmx"${BENCH_HEAP_SCAN:-2g}" -XX:+UseG1GC -cp "$CP" io.dbmmigrate.bench.ScanBenchmark "$@"
    else
      ${JAVA:-java} -Xmx"${BENCH_HEAP_SCAN:-2g}" -XX:+UseG1GC -cp "$CP" io.dbmmigrate.bench.ScanBenchmark "$@"
    fi
    bench_memory_64g
    ;;
  trackers)
    shift
    build_common_test_classpath
    exec ${JAVA:-java} -Xmx"${BENCH_HEAP_SCAN:-2g}" -XX:+UseG1GC -cp "$CP" io.dbmmigrate.bench.TrackerBenchmark "$@"
    ;;
  transfer)
    shift
    bench_transfer "$@"
    ;;
  load)
    shift
    exec deploy/bench-load.sh "$@"
    ;;
  -h | --help | help | "")
    usage
    [[ -n "${1:-}" ]] || exit 2
    ;;
  *)
    echo "unknown benchmark '$1'" >&2
    usage >&2
    exit 2
    ;;
esac
