#!/usr/bin/env bash
# Builds the example actors: AssemblyScript → <name>/build/<name>.unsigned.wasm → signed <name>/<name>.wasm,
# then writes manifest.json. Reproducible: the same sources give byte-identical unsigned modules.
#
#   build.sh [--no-sign] [--force-sign] [ACTOR...]
#
#   --deps        only install the pinned toolchain (npm ci when node_modules is missing or stale), then exit
#   --no-sign     only compile (no lattice CLI needed); signed modules and manifest.json are left alone
#   --force-sign  re-sign even when the signed module already matches the build and actor.json
#   ACTOR...      build only these actors (default: every directory holding an actor.json)
#
# Signing reads <name>/actor.json {name, caps, rev, ver, call_alias}: bump "rev" there before a live update.
# A module is re-signed only when its claims no longer match (hash, keys, actor.json), so rebuilding
# unchanged sources leaves the committed .wasm files untouched.
#
# Environment: LATTICE (default ../.venv/bin/lattice), PYTHON (default ../.venv/bin/python, else python3),
# NPM (default npm).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LATTICE="${LATTICE:-$HERE/../.venv/bin/lattice}"
PYTHON="${PYTHON:-$HERE/../.venv/bin/python}"
[[ -x "$PYTHON" ]] || PYTHON=python3  # tools/actors.py needs only the standard library
NPM="${NPM:-npm}"
HELPER="$HERE/tools/actors.py"
LOCK_STAMP="node_modules/.wasmlattice-lock.sha256"

sign=1
force_sign=0
deps_only=0
actors=()
for arg in "$@"; do
  case "$arg" in
    --deps) deps_only=1 ;;
    --no-sign) sign=0 ;;
    --force-sign) force_sign=1 ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "build.sh: unknown option $arg" >&2; exit 2 ;;
    *) actors+=("$arg") ;;
  esac
done

cd "$HERE"

die() { echo "build.sh: $*" >&2; exit 1; }

ensure_node_modules() {
  local want
  want="$(sha256sum package-lock.json | cut -d' ' -f1)"
  if [[ -x node_modules/.bin/asc && -f "$LOCK_STAMP" && "$(cat "$LOCK_STAMP")" == "$want" ]]; then
    return
  fi
  echo "==> npm ci (node_modules missing or older than package-lock.json)"
  "$NPM" ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$LOCK_STAMP"
}

sign_actor() {
  local name="$1" args=()
  mapfile -d '' args < <("$PYTHON" "$HELPER" sign-args "$name")
  [[ ${#args[@]} -gt 0 ]] || die "cannot read $name/actor.json"
  "$LATTICE" claims sign "$name/build/$name.unsigned.wasm" \
    --issuer keys/account.nk --subject "$name/module.nk" "${args[@]}" -o "$name/$name.wasm"
}

if [[ $deps_only -eq 1 ]]; then
  ensure_node_modules
  exit 0
fi

requested=("${actors[@]}")
if [[ ${#actors[@]} -eq 0 ]]; then
  for spec in */actor.json; do
    [[ -f "$spec" ]] && actors+=("${spec%/actor.json}")
  done
fi
[[ ${#actors[@]} -gt 0 ]] || die "no actors found (no */actor.json)"
for name in "${actors[@]}"; do
  [[ -f "$name/actor.json" && -f "$name/assembly/index.ts" ]] || die "$name is not an actor directory"
done

ensure_node_modules

echo "==> compiling ${actors[*]}"
# asc flags live in tools/compile.mjs (one node process for all actors).
node tools/compile.mjs "${actors[@]}" || die "compilation failed"
for name in "${actors[@]}"; do
  printf '    %-10s %6d bytes  sha256 %s\n' "$name" "$(stat -c %s "$name/build/$name.unsigned.wasm")" \
    "$(sha256sum "$name/build/$name.unsigned.wasm" | cut -c1-16)…"
done

if [[ $sign == 0 ]]; then
  echo "==> not signing (--no-sign)"
  exit 0
fi

[[ -x "$LATTICE" ]] || die "lattice CLI not found at $LATTICE (set LATTICE, or use --no-sign)"
echo "==> signing"
to_sign=("${actors[@]}")
if [[ $force_sign == 0 ]]; then
  stale="$("$PYTHON" "$HELPER" stale --lattice "$LATTICE" "${actors[@]}")" || die "cannot check the signed modules"
  mapfile -t to_sign < <(printf '%s' "$stale" | sed '/^$/d')
  [[ ${#to_sign[@]} -gt 0 ]] || echo "    every signed module is current"
fi
for name in "${to_sign[@]}"; do
  sign_actor "$name"
done
echo "==> writing manifest.json"
"$PYTHON" "$HELPER" manifest --lattice "$LATTICE" "${requested[@]}"
