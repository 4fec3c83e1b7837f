#!/usr/bin/env bash
# Builds benchmarks/target/benchmarks.jar if needed, runs JMH and prints a Markdown table.
#
#   benchmarks/run.sh                      # every benchmark, defaults from the annotations
#   benchmarks/run.sh BoundarySign -p key=P-256 -f 1 -wi 1 -i 3
#
# Arguments go to JMH unchanged (java -jar benchmarks.jar -h lists them). The raw results are in
# benchmarks/target/jmh-result.json. The jar is rebuilt when benchmarks/ changed; set REBUILD=1 to
# rebuild it anyway (e.g. after changing sim-backend).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
jar=benchmarks/target/benchmarks.jar
result=benchmarks/target/jmh-result.json

if [[ ! -f "$jar" || "${REBUILD:-0}" == 1 ]] \
  || [[ -n "$(find benchmarks/src benchmarks/pom.xml -newer "$jar" -print -quit)" ]]; then
  echo "building $jar ..." >&2
  # maven.test.skip (not just skipTests): the benchmarks need no test classes, so other modules'
  # test sources being mid-edit cannot break the benchmark build
  mvn -B -q -pl benchmarks -am package -Dmaven.test.skip=true -Dspotless.check.skip
fi

rm -f "$result"
java ${JAVA_OPTS:-} -jar "$jar" -rf json -rff "$result" "$@"

if [[ -s "$result" ]]; then
  echo
  python3 benchmarks/table.py "$result"
fi
