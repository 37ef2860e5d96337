#!/usr/bin/env bash
# Inside the test container (Dockerfile.test): wait until systemd has booted and root's
# user manager runs, or fail saying what is not up. Usage: wait-for-boot.sh [SECONDS]
set -euo pipefail
deadline=$((SECONDS + ${1:-120}))

left() { local n=$((deadline - SECONDS)); echo $((n > 0 ? n : 1)); }
fail() { echo "wait-for-boot: $*" >&2; exit 1; }

# Right after the container starts, systemd may not listen yet: wait for its socket.
until [ -S /run/systemd/private ]; do
  [ "$SECONDS" -lt "$deadline" ] || fail "systemd (PID 1) does not answer on /run/systemd/private"
  sleep 0.2
done
state=$(timeout "$(left)" systemctl is-system-running --wait || true)
if [ "$state" != running ]; then
  systemctl --failed --no-pager >&2 || true
  fail "the system is '${state:-not answering}', not running"
fi
until systemctl is-active --quiet user@0.service; do
  [ "$SECONDS" -lt "$deadline" ] || fail "user@0.service is $(systemctl is-active user@0.service)"
  sleep 0.2
done
state=$(timeout "$(left)" systemctl --user is-system-running --wait || true)
[ "$state" = running ] || fail "root's user manager is '${state:-not answering}', not running"
echo "wait-for-boot: systemd and root's user manager are running"
