#!/usr/bin/env bash
# Benchmarks of dbm-migrate. Usage: deploy/bench.sh <subcommand> [args...]
#
#   scan [--ram 64g] [--dirty-percent 1] [--iterations 9] [--no-memory]
#        Dirty-log sync of a fully mapped guest: HW scan on 1 and 2 threads, SW sync with the same
#        dirty count, fault / hardware-dirty store path costs, the memory-bandwidth bound measured in
#        the same run, and the 64 GiB / 1 GiB-written memory check. Runs with a 2 GiB heap
#        (override: BENCH_HEAP=3g). Ends with "RESULT name=value" lines.
#
# Works from a fresh clone: builds what it needs with ./mvnw (no install into ~/.m2).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

usage() {
  sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

# Builds common (and proto) with its test classes and writes the runtime class path to $CP.
build_common_test_classpath() {
  local cpfile="$ROOT/common/target/bench-classpath.txt"
  echo "building common (tests not run) ..." >&2
  ./mvnw -B -q -pl common -am test-compile dependency:build-classpath \
    -Dmdep.outputFile="$cpfile" -Dmdep.includeScope=test >&2
  # Reactor modules come from their target/classes, never from a jar in ~/.m2.
  local deps
  deps="$(tr ':' '\n' < "$cpfile" | grep -v '/io/dbmmigrate/' | paste -sd: -)"
  CP="$ROOT/common/target/test-classes:$ROOT/common/target/classes:$ROOT/proto/target/classes:$deps"
}

cmd="${1:-}"
case "$cmd" in
  scan)
    shift
    build_common_test_classpath
    exec java -Xmx"${BENCH_HEAP:-2g}" -XX:+UseG1GC -cp "$CP" io.dbmmigrate.bench.ScanBenchmark "$@"
    ;;
  -h|--help|help|"")
    usage
    [ -n "$cmd" ] || exit 2
    ;;
  *)
    echo "unknown subcommand '$cmd'" >&2
    usage >&2
    exit 2
    ;;
esac
