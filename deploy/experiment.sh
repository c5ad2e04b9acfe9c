#!/usr/bin/env bash
# Runs a parameter sweep: every point a real two-process migration (or a scan benchmark).
#
#   deploy/experiment.sh deploy/experiments/seed-claims.yaml --quick
#   deploy/experiment.sh deploy/experiments/network-bound.yaml          # full sweep; netns points need root
#   deploy/experiment.sh SPEC --dry-run | --plots-only | --only EXPERIMENT | --no-retry-failed | --help
#
# Results: results/<spec name>/ (results/<spec name>/quick/ with --quick): results.csv, results.json,
# rounds.csv, timeline.csv, table.md, plots/*.png|svg, runs/<key>/ (node logs and reports).
# Re-running the same command resumes: runs already done are skipped.
#
# Builds the shaded jars first when they are missing or older than the sources (./mvnw package,
# tests skipped). JAVA_OPTS applies to the sweep runner's own JVM (the nodes get the spec's
# sourceJvmOpts/destJvmOpts).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SOURCE_JAR="$REPO/source-node/target/dbm-migrate-source-node-0.1.0-SNAPSHOT-all.jar"
RUNNER_JAR="$REPO/deploy/experiment-runner/target/dbm-migrate-experiment-runner-0.1.0-SNAPSHOT-all.jar"
DEST_JAR="$REPO/dest-node/app/target/dbm-migrate-dest-node-0.1.0-SNAPSHOT-all.jar"

if [ $# -lt 1 ]; then
  sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi

stale() {
  [ -f "$SOURCE_JAR" ] && [ -f "$DEST_JAR" ] && [ -f "$RUNNER_JAR" ] || return 0
  [ -n "$(cd "$REPO" && find pom.xml proto common dest-node source-node deploy/experiment-runner -path '*/target' -prune -o -type f \
      \( -name '*.java' -o -name '*.proto' -o -name 'pom.xml' -o -name '*.xml' \) -newer "$SOURCE_JAR" -print -quit)" ]
}
if stale; then
  echo "experiment: building the node jars (./mvnw -B -q -DskipTests package) ..." >&2
  (cd "$REPO" && ./mvnw -B -q -DskipTests package -pl source-node,dest-node/app,deploy/experiment-runner -am) >&2
fi

# shellcheck disable=SC2086
exec java -Djava.awt.headless=true ${JAVA_OPTS:--Xmx1g} -jar "$RUNNER_JAR" \
  --repo "$REPO" --results "$REPO/results" --source-jar "$SOURCE_JAR" --dest-jar "$DEST_JAR" "$@"
