# Sourced by every script: find (or install) uv and run tooling in the root environment.
# Needs only python3 with pip and venv; installs uv into .local/tools when it is missing.

set -euo pipefail

APIS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
APIS_UV_VERSION="0.13.9"
export UV_PYTHON_DOWNLOADS=never
# Every uv project here targets the machine's Python 3.11+; uv must never fetch one.
export UV_PYTHON="${UV_PYTHON:-python3}"

apis_uv_is_usable() {
  local candidate="$1" version
  version="$("$candidate" --version 2>/dev/null | awk '{print $2}')" || return 1
  [ -n "$version" ] || return 1
  python3 - "$version" "$APIS_UV_VERSION" <<'PY'
import sys
have, need = (tuple(int(p) for p in v.split(".")[:3]) for v in sys.argv[1:3])
sys.exit(0 if have >= need else 1)
PY
}

apis_find_uv() {
  if [ -n "${APIS_UV:-}" ] && apis_uv_is_usable "$APIS_UV"; then return 0; fi
  local on_path
  on_path="$(command -v uv 2>/dev/null || true)"
  if [ -n "$on_path" ] && apis_uv_is_usable "$on_path"; then
    APIS_UV="$on_path"
  else
    local tools="$APIS_ROOT/.local/tools"
    if ! [ -x "$tools/bin/uv" ] || ! apis_uv_is_usable "$tools/bin/uv"; then
      echo "bootstrap: installing uv $APIS_UV_VERSION into .local/tools" >&2
      python3 -m venv "$tools"
      "$tools/bin/python" -m pip install --quiet --disable-pip-version-check "uv==$APIS_UV_VERSION" >&2
    fi
    APIS_UV="$tools/bin/uv"
  fi
  export APIS_UV
}

# Sync the root development environment (the library, editable, plus the tooling).
apis_sync_root() {
  apis_find_uv
  (cd "$APIS_ROOT" && "$APIS_UV" sync --locked --quiet)
}

# Run one of the repository's own commands (scripts/devtools) in the root environment.
apis_devtool() {
  local module="$1"
  shift
  apis_sync_root
  cd "$APIS_ROOT"
  PYTHONPATH="$APIS_ROOT/scripts${PYTHONPATH:+:$PYTHONPATH}" exec "$APIS_ROOT/.venv/bin/python" -m "devtools.$module" "$@"
}
