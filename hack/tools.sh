#!/usr/bin/env bash
# hack/tools.sh — installs the developer tools the test suite needs into a
# version-keyed cache outside the repository and prints the bin directory.
# Idempotent: a tool already built at the pinned version is reused.
#
#   staticcheck  honnef.co/go/tools (Go module proxy)
#   ShellCheck   Debian package (apt), only when missing
set -euo pipefail
STATICCHECK_VERSION=${STATICCHECK_VERSION:-v0.8.2}
CACHE=${FIG_INJECTOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/fig-injector}
BIN=$CACHE/tools/staticcheck-$STATICCHECK_VERSION
mkdir -p "$BIN"
if [ ! -x "$BIN/staticcheck" ]; then
  echo "[tools] installing staticcheck $STATICCHECK_VERSION into $BIN" >&2
  GOBIN=$BIN go install "honnef.co/go/tools/cmd/staticcheck@$STATICCHECK_VERSION" >&2
fi
if ! command -v shellcheck >/dev/null 2>&1; then
  echo "[tools] installing shellcheck from Debian" >&2
  if [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck) >&2
  else
    echo "[tools] shellcheck missing and not root: install it with 'apt-get install shellcheck'" >&2
    exit 1
  fi
fi
echo "$BIN"
