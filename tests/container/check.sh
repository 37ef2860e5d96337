#!/usr/bin/env bash
# Prove that Dockerfile.test works on this machine: build it with Podman on a local Debian
# base image, boot it with systemd as PID 1, and run the whole test suite inside against
# root's real user manager. Called by .ci/run; needs root on Debian (installs podman, runc
# and debootstrap). The container and the test image are removed at the end, also on
# failure; the base image stays as a cache (`--fresh` removes it first).
set -euo pipefail
cd "$(dirname "$0")/../.."

readonly BASE=docker.io/library/debian:bookworm
readonly LOCAL_BASE=localhost/debian:bookworm
readonly IMAGE="localhost/gate-reconcile-test:check-$$"
readonly CONTAINER="gate-reconcile-check-$$"
readonly UNIFIED=/sys/fs/cgroup/unified
WORK=$(mktemp -d /var/tmp/gate-reconcile-check.XXXXXX)
readonly WORK

log() { printf '[container-check %4ds] %s\n' "$SECONDS" "$*"; }
die() { log "FAILED: $*" >&2; exit 1; }

install_tools() {
  local need=()
  for tool in podman runc debootstrap; do command -v "$tool" >/dev/null || need+=("$tool"); done
  [ ${#need[@]} -eq 0 ] && return
  log "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq podman runc debootstrap >/dev/null
}

# Our own containers.conf (CONTAINERS_CONF replaces the system ones, which stay untouched):
# crun fails on this host's hybrid cgroups, systemd-managed cgroups need a host systemd,
# and ulimits above the host's own hard limits fail.
configure_podman() {
  cat >"$WORK/containers.conf" <<'EOF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
  export CONTAINERS_CONF="$WORK/containers.conf"
}

# The base image a user's Docker would pull, made locally: no registry is reachable here.
make_base_image() {
  if [ "${1:-}" = --fresh ]; then
    podman rmi -f "$BASE" "$LOCAL_BASE" >/dev/null 2>&1 || true
  fi
  if podman image exists "$BASE"; then
    log "base image $BASE: cached"
    return
  fi
  local mirror
  mirror=$(python3 tests/container/debian_mirror.py bookworm)
  log "debootstrap --variant=minbase bookworm from $mirror"
  debootstrap --variant=minbase bookworm "$WORK/rootfs" "$mirror" >"$WORK/debootstrap.log" 2>&1 \
    || { tail -20 "$WORK/debootstrap.log" >&2; die "debootstrap failed"; }
  rm -rf "$WORK"/rootfs/var/cache/apt/archives/*.deb "$WORK"/rootfs/var/lib/apt/lists/*
  tar -C "$WORK/rootfs" -c . | podman import --change 'CMD ["bash"]' - "$LOCAL_BASE" >/dev/null
  podman tag "$LOCAL_BASE" "$BASE"
  rm -rf --one-file-system "$WORK/rootfs"
  log "base image $BASE imported"
}

build_image() {
  bash tests/container/wheelhouse.sh >"$WORK/wheelhouse.log" 2>&1 \
    || { cat "$WORK/wheelhouse.log" >&2; die "could not fill the wheelhouse"; }
  log "$(tail -1 "$WORK/wheelhouse.log")"
  log "building $IMAGE from Dockerfile.test"
  # --layers=false: no intermediate images to leave behind; --pull=never: no registry here.
  timeout 1200 podman build --pull=never --layers=false --force-rm --network=host \
    -f Dockerfile.test -t "$IMAGE" . >"$WORK/build.log" 2>&1 \
    || { tail -30 "$WORK/build.log" >&2; die "podman build failed (log above)"; }
}

# No --privileged and nothing of the host writable except the cgroup v2 hierarchy of a
# hybrid host, which lets systemd see its cgroups empty and shut down at once.
run_container() {
  local mounts=()
  if [ -e "$UNIFIED/cgroup.procs" ]; then
    mounts=(-v "$UNIFIED:$UNIFIED:rw")
  fi
  podman run -d --name "$CONTAINER" --systemd=always --network=none "${mounts[@]}" "$IMAGE" >/dev/null
  log "container $CONTAINER started"
}

wait_for_boot() {
  podman exec -w /src "$CONTAINER" bash tests/container/wait-for-boot.sh 120 \
    || die "the container did not boot"
  log "systemd and user@0.service are running"
}

# The suite in two parts that together are all of it, so that the integration part's
# summary can be read on its own: it must have passed tests, against the running manager.
# Both parts always run, so that one failure does not hide the other's results.
run_suite() {
  local pytest=(podman exec -w /src "$CONTAINER" timeout 1800 .venv/bin/python -m pytest)
  local others=0 integration=0 passed
  log "tests not marked integration, in the container"
  "${pytest[@]}" -q -m "not integration" || others=$?
  log "tests marked integration, in the container"
  "${pytest[@]}" -q -m integration | tee "$WORK/integration.log" || integration=$?
  [ "$others" -eq 0 ] || die "tests not marked integration failed in the container"
  [ "$integration" -eq 0 ] || die "integration tests failed in the container"
  grep -q '^systemd --user: used the running manager at /run/user/0$' "$WORK/integration.log" \
    || die "the integration tests did not use the container's running user manager"
  passed=$(tail -1 "$WORK/integration.log" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+' || echo 0)
  [ "$passed" -gt 0 ] || die "no integration test passed in the container"
  log "$passed integration tests passed against the container's user manager"
}

clean_up() {
  local status=$?
  set +e
  if podman container exists "$CONTAINER" 2>/dev/null; then
    podman stop -t 30 "$CONTAINER" >/dev/null
    podman rm -f "$CONTAINER" >/dev/null
  fi
  podman image exists "$IMAGE" 2>/dev/null && podman rmi -f "$IMAGE" >/dev/null
  # --one-file-system: never descend into a mount a failed debootstrap may have left.
  rm -rf --one-file-system "$WORK" tests/container/wheelhouse
  log "container and image removed"
  exit "$status"
}

main() {
  [ "$(id -u)" = 0 ] || die "needs root (podman with systemd as PID 1, debootstrap)"
  trap clean_up EXIT
  install_tools
  configure_podman
  make_base_image "${1:-}"
  build_image
  log "image built"
  run_container
  wait_for_boot
  run_suite
  log "passed"
}

main "$@"
