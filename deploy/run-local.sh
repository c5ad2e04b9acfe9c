#!/usr/bin/env bash
# Runs one live migration between two local processes and prints the per-round table and summary.
#
#   deploy/run-local.sh [source-node migrate options...]
#
# Builds the jars once (./mvnw -B -q -DskipTests package) when they are missing or older than the
# sources, starts the destination on a free loopback port, and runs the source with good defaults:
# a 1 GiB guest with 2 vCPUs, dirty logging hw-sw (hardware DBM, switched to software before the
# pause). Extra arguments go to the source and override the defaults, e.g.
#   deploy/run-local.sh --ram 4g --dirty-log sw --report results/run.json --csv results/run
# (see: java -jar source-node/target/dbm-migrate-source-node-*-all.jar migrate --help).
# Environment: JAVA (default java), SOURCE_JAVA_OPTS, DEST_JAVA_OPTS (JVM options of each node;
# when unset, DBM_NODE_JAVA_OPTS of deploy/lib.sh: a heap sized so that no collection runs inside
# a default migration), DEST_ARGS.
# Exits with the source's exit code: 0 when the digests match and the VM resumed on the destination.
set -euo pipefail
CALLER_DIR=$PWD
cd "$(dirname "$0")/.."
# shellcheck source=deploy/lib.sh
. deploy/lib.sh

dbm_build_if_stale

WORK=$(mktemp -d "${TMPDIR:-/tmp}/dbm-run-local.XXXXXX")
cleanup() {
  dbm_stop_dest
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

dest_args=()
# A test fault needs the destination's consent.
if [[ " $* " == *" --test-corrupt-gfn"* ]]; then dest_args+=(--allow-test-faults); fi
# shellcheck disable=SC2206
dest_args+=(${DEST_ARGS:-})
dbm_start_dest "$WORK/dest.log" "${dest_args[@]}"
echo "destination listening on 127.0.0.1:$DEST_PORT (pid $DEST_PID, log $WORK/dest.log)" >&2

set +e
cd "$CALLER_DIR" # so that relative --report/--csv paths are the caller's
# shellcheck disable=SC2086
${JAVA:-java} ${SOURCE_JAVA_OPTS-$DBM_NODE_JAVA_OPTS} -jar "$SOURCE_JAR" migrate \
  --target "127.0.0.1:$DEST_PORT" \
  --ram 1g --vcpus 2 --dirty-log hw-sw \
  "$@"
rc=$?
set -e
if [[ $rc -ne 0 ]]; then
  echo "source exited with $rc; destination log tail:" >&2
  tail -n 20 "$WORK/dest.log" >&2 || true
fi
exit $rc
