# Shared by run-local.sh and bench.sh (sourced, not executed): builds the shaded jars once, when
# they are missing or older than any source, and sets SOURCE_JAR and DEST_JAR.
# shellcheck shell=bash

dbm_find_jar() { # module artifact-prefix
  ls "$1"/target/"$2"-*-all.jar 2>/dev/null | head -n 1 || true
}

dbm_build_if_needed() {
  local src dst stale
  src=$(dbm_find_jar source-node dbm-migrate-source-node)
  dst=$(dbm_find_jar dest-node/app dbm-migrate-dest-node)
  stale=""
  if [[ -z "$src" || -z "$dst" ]]; then
    stale="jars missing"
  else
    local oldest="$src"
    [[ "$dst" -ot "$src" ]] && oldest="$dst"
    if [[ -n "$(find pom.xml proto common dest-node source-node \
          \( -path '*/target' -prune \) -o -type f \( -name '*.java' -o -name '*.proto' -o -name 'pom.xml' -o -name '*.xml' \) \
          -newer "$oldest" -print -quit 2>/dev/null)" ]]; then
      stale="sources newer than the jars"
    fi
  fi
  if [[ -n "$stale" ]]; then
    echo "building ($stale): ./mvnw -B -q -DskipTests package" >&2
    ./mvnw -B -q -DskipTests package >&2
    src=$(dbm_find_jar source-node dbm-migrate-source-node)
    dst=$(dbm_find_jar dest-node/app dbm-migrate-dest-node)
  fi
  SOURCE_JAR="$src"
  DEST_JAR="$dst"
  [[ -n "$SOURCE_JAR" && -n "$DEST_JAR" ]] || { echo "build did not produce the shaded jars" >&2; return 1; }
}

# Starts a destination on an ephemeral loopback port: sets DEST_PID and DEST_PORT.
# Its stdout/stderr go to $1 (a log file). Extra arguments go to dest-node.
dbm_start_dest() {
  local log="$1"; shift
  : >"$log" # truncate here: the background child may open it only after the first poll below
  # shellcheck disable=SC2086
  ${JAVA:-java} ${DEST_JAVA_OPTS:-} -jar "$DEST_JAR" --port 0 "$@" >"$log" 2>&1 &
  DEST_PID=$!
  local i
  for ((i = 0; i < 300; i++)); do
    DEST_PORT=$(sed -n 's/^DEST_LISTENING port=\([0-9][0-9]*\)$/\1/p' "$log" | head -n 1)
    [[ -n "$DEST_PORT" ]] && return 0
    kill -0 "$DEST_PID" 2>/dev/null || { echo "destination exited early; its log:" >&2; cat "$log" >&2; return 1; }
    sleep 0.1
  done
  echo "destination did not report DEST_LISTENING within 30 s; its log:" >&2
  cat "$log" >&2
  return 1
}

dbm_stop_dest() {
  if [[ -n "${DEST_PID:-}" ]] && kill -0 "$DEST_PID" 2>/dev/null; then
    kill "$DEST_PID" 2>/dev/null || true
    wait "$DEST_PID" 2>/dev/null || true
  fi
  DEST_PID=""
}
