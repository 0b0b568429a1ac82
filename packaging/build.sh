#!/usr/bin/env bash
# Builds the desktop bundle (PyInstaller, one folder) and prints its size and the build time.
#
#   bash packaging/build.sh [cpu|cuda]        (default: cpu, or $MELODYGAN_BUNDLE_TORCH)
#
# cpu   -> dist/melodygan-desktop/       A bundle without CUDA (about 0.75 GB). PyPI's Linux torch
#          links the CUDA libraries, so this builds in its own environment, build/venv-cpu, with a CPU build
#          of the torch/torchaudio pair that scripts/setup.sh pins, from $TORCH_CPU_INDEX (default: PyTorch's
#          CPU index). Offline: TORCH_CPU_WHEEL=/path/to/torch-<version>+cpu-....whl, or a +cpu wheel in
#          pip's find-links folders, is used when TORCH_CPU_INDEX is not set.
# cuda  -> dist/melodygan-desktop-cuda/  The project's .venv as it is: CUDA torch with its nvidia-*
#          libraries (about 3.6 GB).
#
# PyInstaller (pinned below) is installed into the environment that builds. Intermediate files go to
# build/pyinstaller-<flavour>/, the bundle to dist/; both are ignored by git.
set -euo pipefail
cd "$(dirname "$0")/.."

PYINSTALLER_PINS="pyinstaller==6.22.3 pyinstaller-hooks-contrib==2026.9"
FLAVOUR=${1:-${MELODYGAN_BUNDLE_TORCH:-cpu}}
NICE=${NICE:-10}
TORCH_PAIR=$(sed -n 's/^TORCH_PAIR="\(.*\)"$/\1/p' scripts/setup.sh)  # one pin for the app and the bundle
[ -n "$TORCH_PAIR" ] || { echo "build.sh: TORCH_PAIR not found in scripts/setup.sh" >&2; exit 1; }

say() { printf '[build] %s\n' "$*"; }

# The newest CPU torch wheel for this Python in pip's find-links folders (prints nothing when there is none).
local_cpu_wheel() {
  local python=$1 tag links
  tag=$("$python" -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')
  links="${PIP_FIND_LINKS:-} $("$python" -m pip config get global.find-links 2>/dev/null || true)"
  for folder in $links; do
    folder=${folder#file://}
    ls "$folder"/torch-*+cpu-"$tag"-"$tag"-*linux*"$(uname -m)".whl 2>/dev/null || true
  done | sort -V | tail -n 1
}

install_cpu_torch() {
  local python=$1 wheel=${TORCH_CPU_WHEEL:-}
  if [ -z "$wheel" ] && [ -z "${TORCH_CPU_INDEX+set}" ]; then
    wheel=$(local_cpu_wheel "$python")
  fi
  if [ -n "$wheel" ]; then
    # A local wheel: torch's own dependencies come from the package index. torchaudio is the pinned one;
    # the bundle uses only its Python part (see the spec), so any build of it will do.
    say "CPU torch from $wheel"
    nice -n "$NICE" "$python" -m pip install -q --no-deps "$wheel"
    local version audio_pin
    version=$("$python" -c 'import importlib.metadata as m; print(m.version("torch"))')
    audio_pin=$(tr ' ' '\n' <<<"$TORCH_PAIR" | grep '^torchaudio' || echo torchaudio)
    nice -n "$NICE" "$python" -m pip install -q "torch==$version" "$audio_pin"
  else
    local index=${TORCH_CPU_INDEX:-https://download.pytorch.org/whl/cpu}
    say "CPU torch ($TORCH_PAIR) from $index"
    # shellcheck disable=SC2086  # the pair is two words on purpose
    nice -n "$NICE" "$python" -m pip install -q --index-url "$index" $TORCH_PAIR
  fi
}

case "$FLAVOUR" in
  cpu)
    BUNDLE=melodygan-desktop
    ENV_DIR=build/venv-cpu
    PY=$ENV_DIR/bin/python
    if [ ! -x "$PY" ]; then
      say "creating $ENV_DIR"
      mkdir -p build
      "${PYTHON:-python3}" -m venv "$ENV_DIR"
    fi
    if ! "$PY" -c 'import sys, torch; sys.exit(torch.version.cuda is not None)' 2>/dev/null; then
      install_cpu_torch "$PY"
    fi
    "$PY" -c 'import sys, torch; sys.exit(torch.version.cuda is not None)' || {
      echo "build.sh: $ENV_DIR has a CUDA build of torch; remove $ENV_DIR and set TORCH_CPU_INDEX or TORCH_CPU_WHEEL" >&2
      exit 1
    }
    ;;
  cuda)
    BUNDLE=melodygan-desktop-cuda
    ENV_DIR=.venv
    PY=$ENV_DIR/bin/python
    [ -x "$PY" ] || bash scripts/setup.sh
    ;;
  *)
    echo "usage: packaging/build.sh [cpu|cuda]" >&2
    exit 2
    ;;
esac

stamp="$ENV_DIR/.bundle-tools-$(cat pyproject.toml packaging/build.sh | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  # .venv already has the app (scripts/setup.sh); the CPU environment gets it here, next to its torch.
  app=""
  [ "$FLAVOUR" = cpu ] && app="-e ."
  say "installing PyInstaller${app:+ and the app} into $ENV_DIR"
  # shellcheck disable=SC2086
  nice -n "$NICE" "$PY" -m pip install -q $app $PYINSTALLER_PINS
  rm -f "$ENV_DIR"/.bundle-tools-*
  touch "$stamp"
fi

[ -f resources/icons/melodygan.png ] || QT_QPA_PLATFORM=offscreen "$PY" packaging/render_icon.py

say "building $BUNDLE with $("$PY" -c 'import torch; print("torch", torch.__version__)')"
started=$(date +%s)
MELODYGAN_BUNDLE_TORCH=$FLAVOUR MELODYGAN_BUNDLE_NAME=$BUNDLE nice -n "$NICE" "$PY" -m PyInstaller \
  --noconfirm --log-level "${PYINSTALLER_LOG_LEVEL:-WARN}" \
  --distpath dist --workpath "build/pyinstaller-$FLAVOUR" packaging/melodygan-desktop.spec
seconds=$(( $(date +%s) - started ))

out=dist/$BUNDLE
{
  echo "flavour: $FLAVOUR"
  echo "built: $(date -u +%Y-%m-%dT%H:%M:%SZ) in ${seconds} s"
  "$PY" -c 'import sys, torch, PySide6, PyInstaller
print(f"python: {sys.version.split()[0]}\ntorch: {torch.__version__}\nPySide6: {PySide6.__version__}")
print(f"pyinstaller: {PyInstaller.__version__}")'
} >"$out/BUILD-INFO.txt"

say "build time: ${seconds} s ($(( seconds / 60 )) min $(( seconds % 60 )) s)"
say "bundle: $out ($(du -sh "$out" | cut -f1), $(find "$out" -type f | wc -l) files)"
say "largest parts:"
du -sm "$out"/_internal/* 2>/dev/null | sort -rn | head -n 8 | awk '{printf "[build]   %6d MB  %s\n", $1, $2}'
say "run it: $out/melodygan-desktop   (check it: QT_QPA_PLATFORM=offscreen $out/melodygan-desktop --smoke-test)"
