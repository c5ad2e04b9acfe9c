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
# Builds the shaded jars first when they are missing or older than the sources (deploy/lib.sh:
# ./mvnw package, tests skipped). JAVA_OPTS applies to the sweep runner's own JVM (the nodes get the spec's
# sourceJvmOpts/destJvmOpts).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=deploy/lib.sh
. "$REPO/deploy/lib.sh"

if [ $# -lt 1 ]; then
  sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi

dbm_build_if_stale

# shellcheck disable=SC2086
exec java -Djava.awt.headless=true ${JAVA_OPTS:--Xmx1g} -jar "$RUNNER_JAR" \
  --repo "$REPO" --results "$REPO/results" --source-jar "$SOURCE_JAR" --dest-jar "$DEST_JAR" "$@"
