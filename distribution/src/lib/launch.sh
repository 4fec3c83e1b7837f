# Sourced by the launchers in bin/ with KEYRING_MAIN (main class), KEYRING_TOOL (its name) and p
# (the launcher's path, links resolved) set. POSIX sh.
KEYRING_HOME=$(cd "$(dirname "$p")/.." && pwd -P) || exit 2
if [ -n "${JAVA_HOME:-}" ]; then
  JAVACMD=$JAVA_HOME/bin/java
  if [ ! -x "$JAVACMD" ]; then
    echo "$KEYRING_TOOL: JAVA_HOME is set to '$JAVA_HOME', but $JAVACMD is not an executable java" >&2
    exit 2
  fi
else
  JAVACMD=$(command -v java) || {
    echo "$KEYRING_TOOL: no java on the PATH; install a JDK 17 or later, or set JAVA_HOME" >&2
    exit 2
  }
fi
# conf/ first (logging settings), then every jar of lib/ but the one-jar provider, whose classes
# the other jars hold already
CP=$KEYRING_HOME/conf
for j in "$KEYRING_HOME"/lib/*.jar; do
  case ${j##*/} in
    keyring-provider-all.jar) ;;
    *) CP=$CP:$j ;;
  esac
done
# JAVA_OPTS and KEYRING_OPTS are split on blanks on purpose: they hold several JVM options
# shellcheck disable=SC2086
exec "$JAVACMD" $JAVA_OPTS $KEYRING_OPTS -Dkeyring.home="$KEYRING_HOME" -cp "$CP" "$KEYRING_MAIN" "$@"
