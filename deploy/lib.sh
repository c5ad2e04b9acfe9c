# shellcheck shell=bash
# The helpers every script under deploy/ shares (sourced, not executed; works under set -euo pipefail):
#   dbm_jar MODULE ARTIFACT        path of a module's shaded jar (any version), empty when missing
#   dbm_build_if_stale             builds the three executables when a jar is missing or older than
#                                  any source; sets SOURCE_JAR, DEST_JAR, RUNNER_JAR (absolute)
#   dbm_wait_listening LOG PID TIMEOUT_S WHAT
#                                  waits for "<ROLE>_LISTENING port=N" in LOG (the line DestNodeMain,
#                                  `source-node serve` and RelayMain print), prints N
#   dbm_start_dest LOG [ARGS...] / dbm_stop_dest
#                                  a destination on an ephemeral loopback port: DEST_PID, DEST_PORT
#                                  (JVM options: DEST_JAVA_OPTS, default DBM_NODE_JAVA_OPTS)
#   dbm_need_tool TOOL PACKAGE [WHY]
#                                  installs a missing tool with apt-get (DBM_NO_INSTALL=1: never)
#   dbm_json FILE FILTER           one value of a JSON file, read with jq (installed when missing)
# JSON is read with jq, not python3 (not on every fresh machine) nor grep: jq is one small Debian
# package that dbm_json installs the first time a script needs it.

DBM_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# JVM options of the node processes that run-local.sh and dbm_start_dest use when the caller sets
# no SOURCE_JAVA_OPTS / DEST_JAVA_OPTS (setting one, even to "", replaces them): a young generation
# larger than what a default migration allocates (guest memory is off the heap; a node allocates
# about 100 MB in a default run, nearly all of it class loading and start-up), and a metaspace
# threshold above what the nodes load, so that no collection runs inside the measurement. With
# the JVM's defaults on a 24 GiB machine (384 MiB initial heap, G1 sizing the young generation
# from it) the source took 1-2 young pauses of 20-70 ms in the rounds of every default run
# (bench.sh fidelity: gc_share_source 0.014); with these, none in 5 of 5. Pauses that still
# happen are counted in every report (the GC pauses line).
DBM_NODE_JAVA_OPTS="-Xms1g -Xmx4g -Xmn600m -XX:MetaspaceSize=256m"

dbm_jar() { # module-dir artifact-id
  local f
  for f in "$DBM_REPO/$1"/target/"$2"-*-all.jar; do
    [[ -f "$f" ]] && { echo "$f"; return 0; }
  done
  return 0
}

# The executables: module directory and artifact id.
DBM_EXECUTABLES=(
  "source-node dbm-migrate-source-node"
  "dest-node/app dbm-migrate-dest-node"
  "deploy/experiment-runner dbm-migrate-experiment-runner"
)

dbm_find_jars() {
  SOURCE_JAR=$(dbm_jar source-node dbm-migrate-source-node)
  DEST_JAR=$(dbm_jar dest-node/app dbm-migrate-dest-node)
  RUNNER_JAR=$(dbm_jar deploy/experiment-runner dbm-migrate-experiment-runner)
}

# Why the jars must be built ("" when they are up to date).
dbm_stale_reason() {
  local e oldest="" jar
  for e in "${DBM_EXECUTABLES[@]}"; do
    # shellcheck disable=SC2086
    jar=$(dbm_jar $e)
    [[ -n "$jar" ]] || { echo "missing ${e%% *} jar"; return 0; }
    if [[ -z "$oldest" || "$jar" -ot "$oldest" ]]; then oldest=$jar; fi
  done
  if [[ -n "$(cd "$DBM_REPO" && find pom.xml proto common dest-node source-node deploy/experiment-runner \
        \( -path '*/target' -prune \) -o -type f \
        \( -name '*.java' -o -name '*.proto' -o -name '*.xml' -o -name '*.yaml' -o -name '*.properties' \) \
        -newer "$oldest" -print -quit 2>/dev/null)" ]]; then
    echo "sources newer than the jars"
  fi
}

dbm_build_if_stale() {
  local why
  why=$(dbm_stale_reason)
  if [[ -n "$why" ]]; then
    echo "building ($why): ./mvnw -B -q -DskipTests package" >&2
    (cd "$DBM_REPO" && ./mvnw -B -q -DskipTests package \
      -pl source-node,dest-node/app,deploy/experiment-runner -am) >&2
  fi
  dbm_find_jars
  [[ -n "$SOURCE_JAR" && -n "$DEST_JAR" && -n "$RUNNER_JAR" ]] ||
    { echo "the build did not produce the shaded jars" >&2; return 1; }
}

dbm_wait_listening() { # log pid timeout-seconds what
  local log="$1" pid="$2" timeout="$3" what="$4" i port
  for ((i = 0; i < timeout * 10; i++)); do
    port=$(grep -v '^METRICS_' "$log" 2>/dev/null | sed -n 's/^[A-Z]*_LISTENING port=\([0-9][0-9]*\).*$/\1/p' | head -n 1)
    [[ -n "$port" ]] && { echo "$port"; return 0; }
    kill -0 "$pid" 2>/dev/null || { echo "$what exited before it was ready; its log ($log):" >&2; tail -n 30 "$log" >&2; return 1; }
    sleep 0.1
  done
  echo "$what did not print its LISTENING line within ${timeout} s; its log ($log):" >&2
  tail -n 30 "$log" >&2
  return 1
}

# Starts a destination on an ephemeral loopback port: sets DEST_PID and DEST_PORT. Its stdout and
# stderr go to $1. Extra arguments go to dest-node. Needs DEST_JAR (dbm_build_if_stale).
dbm_start_dest() {
  local log="$1"; shift
  : >"$log" # truncate here: the background child may open it only after the first poll
  # shellcheck disable=SC2086
  ${JAVA:-java} ${DEST_JAVA_OPTS-$DBM_NODE_JAVA_OPTS} -jar "$DEST_JAR" --port 0 "$@" >"$log" 2>&1 &
  DEST_PID=$!
  DEST_PORT=$(dbm_wait_listening "$log" "$DEST_PID" 30 destination) || return 1
}

dbm_stop_dest() {
  if [[ -n "${DEST_PID:-}" ]] && kill -0 "$DEST_PID" 2>/dev/null; then
    kill "$DEST_PID" 2>/dev/null || true
    wait "$DEST_PID" 2>/dev/null || true
  fi
  DEST_PID=""
}

dbm_need_tool() { # tool debian-package [why]
  command -v "$1" >/dev/null 2>&1 && return 0
  local why="${3:-this script}"
  if [[ "${DBM_NO_INSTALL:-0}" == 1 ]]; then
    echo "'$1' is missing (Debian package $2, needed for $why) and installing is disabled" >&2
    return 1
  fi
  command -v apt-get >/dev/null 2>&1 ||
    { echo "'$1' is missing (package $2, needed for $why) and there is no apt-get; install it" >&2; return 1; }
  local sudo=()
  [[ $(id -u) -eq 0 ]] || sudo=(sudo)
  echo "installing $2 with apt-get (needed for $why)" >&2
  local apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get)
  "${apt[@]}" install -y -qq --no-install-recommends "$2" >/dev/null ||
    { "${apt[@]}" update -qq >/dev/null && "${apt[@]}" install -y -qq --no-install-recommends "$2" >/dev/null; } ||
    { echo "apt-get could not install $2" >&2; return 1; }
  command -v "$1" >/dev/null 2>&1 || { echo "$2 installed but '$1' still not found" >&2; return 1; }
}

dbm_json() { # file jq-filter
  dbm_need_tool jq jq "reading JSON"
  jq -r "$2" "$1"
}
