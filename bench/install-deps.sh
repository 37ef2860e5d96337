#!/usr/bin/env bash
# Install the Debian packages the benchmarks need: the gate benchmark's baseline (nginx,
# fcgiwrap, openssl) without letting their init scripts start the stock services (which would
# listen on :80), and strace, with which the reconciler benchmark counts subprocesses.
set -euo pipefail
need=()
command -v nginx >/dev/null || need+=(nginx)
command -v fcgiwrap >/dev/null || need+=(fcgiwrap)
command -v openssl >/dev/null || need+=(openssl)
command -v strace >/dev/null || need+=(strace)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "bench/install-deps.sh: please install the Debian packages: ${need[*]}" >&2
  exit 1
fi
# policy-rc.d exit 101 = "do not start services"; only ours is removed afterwards.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod 755 "$policy"
  trap 'rm -f "$policy"' EXIT
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
