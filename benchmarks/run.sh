#!/usr/bin/env bash
# Builds benchmarks/target/benchmarks.jar if needed, runs JMH and prints a Markdown table.
#
#   benchmarks/run.sh                      # every benchmark, defaults from the annotations
#   benchmarks/run.sh BoundarySign -p key=P-256 -f 1 -wi 1 -i 3
#   benchmarks/run.sh ProviderSign -p op=P-256-ECDSA -wi 1 -i 2
#   ROUNDS=5 benchmarks/run.sh ProviderSign -p provider=keyring,sunpkcs11-softhsm2 -f 1 -wi 1 -i 2
#                                          # the providers in turn, 5 times: ratios round by round
#
# Arguments go to JMH unchanged (java -jar benchmarks.jar -h lists them). The JVM is JAVA_HOME's
# when it is set (JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64 for Java 25), else the java on the
# path. The raw results are in benchmarks/target/jmh-result.json. The jar is rebuilt when
# benchmarks/ changed; set REBUILD=1 to rebuild it anyway (e.g. after changing sim-backend).
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

# ProviderSign goes through its own launcher: it leaves out the provider x op combinations a
# provider does not support (JMH cannot exclude parameter combinations) and lists them beside the
# result, in jmh-result-na.tsv, for table.py
main=org.openjdk.jmh.Main
case "${1:-}" in
  ProviderSign*) main=dev.keyring.benchmarks.ProviderSignMain ;;
esac

# The SunPKCS11 rows need SoftHSM2: install it when missing (as root, with apt-get), and give the
# benchmark a SoftHSM2 config path of its own. SoftHSM2 reads its config from the file named by
# SOFTHSM2_CONF, which the JMH fork inherits from here; the benchmark writes that file (token
# directory in a fresh temporary directory) before it loads the library. Never the user's or the
# system's config, so any SOFTHSM2_CONF of the caller is replaced for this run.
case "${1:-}" in
  "" | ProviderSign* | -*)
    if [[ ! -e /usr/lib/softhsm/libsofthsm2.so && ! -e /usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so ]]; then
      if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
        echo "softhsm2 is missing: installing it with apt-get (for the sunpkcs11-softhsm2 rows) ..." >&2
        apt-get install -y -q softhsm2 >&2 || { apt-get update -q >&2 && apt-get install -y -q softhsm2 >&2; } \
          || echo "##### softhsm2 could not be installed: the sunpkcs11-softhsm2 rows will fail #####" >&2
      else
        echo "##### softhsm2 is not installed (apt-get install softhsm2): the sunpkcs11-softhsm2 rows will fail #####" >&2
      fi
    fi
    ;;
esac
softhsm_dir="$root/benchmarks/target/softhsm2-$$"
mkdir -p "$softhsm_dir"
trap 'rm -rf "$softhsm_dir"' EXIT
export SOFTHSM2_CONF="$softhsm_dir/softhsm2.conf"

rm -f "$result" "${result%.json}-na.tsv"
# ROUNDS=N: ProviderSign runs the providers in turn N times and prints the ratios round by round
rounds=()
if [[ -n "${ROUNDS:-}" ]]; then
  if [[ "$main" == dev.keyring.benchmarks.ProviderSignMain ]]; then
    rounds=("-Dkeyring.bench.rounds=$ROUNDS")
  else
    echo "##### ROUNDS is for ProviderSign only: ignored for this run #####" >&2
  fi
fi
# the JVM of JAVA_HOME when it is set (JMH's forks run on the same one), else the java on the path
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
"$java" -version 2>&1 | head -1 >&2
"$java" ${JAVA_OPTS:-} "${rounds[@]}" -cp "$jar" "$main" -rf json -rff "$result" "$@"

if [[ -s "$result" ]]; then
  echo
  python3 benchmarks/table.py "$result"
fi
