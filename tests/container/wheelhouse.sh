#!/usr/bin/env bash
# Fill tests/container/wheelhouse with the wheels Dockerfile.test installs offline: the
# project's runtime and test dependencies and its build backend, as binary wheels for the
# image's Python (CPython 3.11, Debian bookworm) on this machine's CPU architecture, so
# it works from any host that has Python 3.11+ with pip (Linux or not).
# Usage: bash tests/container/wheelhouse.sh   (PYTHON=... picks the interpreter running pip)
set -euo pipefail
cd "$(dirname "$0")/../.."

out=tests/container/wheelhouse
python=${PYTHON:-}
[ -n "$python" ] || { [ -x .venv/bin/python ] && python=.venv/bin/python || python=python3; }
arch=$(uname -m)
case "$arch" in arm64) arch=aarch64 ;; esac

# Runtime and test dependencies and the build backend from pyproject.toml; hatchling
# needs `editables` for the editable install the image makes.
mapfile -t requirements < <("$python" - <<'PY'
import tomllib
with open("pyproject.toml", "rb") as f:
    project = tomllib.load(f)
wanted = project["project"]["dependencies"] + project["project"]["optional-dependencies"]["test"]
wanted += project["build-system"]["requires"] + ["editables"]
print("\n".join(dict.fromkeys(wanted)))
PY
)

rm -rf "$out"
"$python" -m pip download --quiet --disable-pip-version-check --dest "$out" \
  --only-binary=:all: --implementation cp --python-version 3.11 \
  --platform "manylinux2014_$arch" "${requirements[@]}"
echo "wheelhouse: $(find "$out" -name '*.whl' | wc -l) wheels in $out"
