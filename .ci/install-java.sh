#!/usr/bin/env bash
# Install a Java runtime for the Spark tests when none is available (Debian/Ubuntu, apt-get).
# Spark 4 needs Java 17 or 21. Safe to call repeatedly: does nothing when java already runs.
set -euo pipefail

if [ -n "${JAVA_HOME:-}" ] && [ -x "${JAVA_HOME}/bin/java" ]; then
    "${JAVA_HOME}/bin/java" -version 2>&1 | head -n 1
    exit 0
fi
if command -v java >/dev/null 2>&1; then
    java -version 2>&1 | head -n 1
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-java: no java and no apt-get; install a Java 17+ runtime and set JAVA_HOME" >&2
    exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
for pkg in openjdk-17-jre-headless openjdk-21-jre-headless default-jre-headless; do
    if apt-cache show "$pkg" >/dev/null 2>&1; then
        $SUDO apt-get install -y -qq --no-install-recommends "$pkg"
        break
    fi
done
if ! command -v java >/dev/null 2>&1; then
    echo "install-java: could not install a Java runtime with apt-get" >&2
    exit 1
fi
java -version 2>&1 | head -n 1
