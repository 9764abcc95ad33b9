#!/usr/bin/env bash
# Refreshes provision/console/assets/codex from npm: the CSS of Codex,
# Wikimedia's design system (@wikimedia/codex), at the version in
# CODEX_VERSION (the Makefile pins it; make codex runs this), with its
# licence, and the licence of the icons its CSS carries inline
# (@wikimedia/codex-icons, at the exact version Codex depends on).
#
# Each tarball is checked against the integrity the registry publishes for
# it before anything is taken from it, and its package.json must name the
# version asked for and the licence .ci/licenses lists it under.
set -euo pipefail
shopt -s inherit_errexit

: "${CODEX_VERSION:?set CODEX_VERSION, e.g. CODEX_VERSION=2.7.0 (make codex does)}"
cd "$(dirname "$0")/.."
dest=provision/console/assets/codex

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# fetch PACKAGE VERSION LICENCE...: packs PACKAGE@VERSION into $tmp, checks
# its sha512 against the registry's dist.integrity and its package.json's
# version and licence (one of LICENCE...), and unpacks it into
# $tmp/PACKAGE; prints the integrity.
fetch() {
  local pkg=$1 version=$2 dir=$tmp/${1//\//+}
  shift 2
  if ! [[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
    echo "codex: $pkg: $version is not an exact version" >&2
    return 1
  fi
  local want
  want=$(npm view "$pkg@$version" dist.integrity)
  if ! [[ $want =~ ^sha512-[A-Za-z0-9+/]+=*$ ]]; then
    echo "codex: npm view $pkg@$version dist.integrity said '$want', want one sha512 integrity" >&2
    return 1
  fi
  mkdir -p "$dir"
  local tgz
  tgz=$(cd "$dir" && npm pack --silent "$pkg@$version" | tail -n 1)
  local got
  got=sha512-$(openssl dgst -sha512 -binary "$dir/$tgz" | base64 -w 0)
  if [[ $got != "$want" ]]; then
    echo "codex: $pkg@$version: the tarball's integrity is $got, the registry says $want" >&2
    return 1
  fi
  tar -xzf "$dir/$tgz" -C "$dir"
  local v l lic
  v=$(node -p 'require(process.argv[1]).version' "$dir/package/package.json")
  l=$(node -p 'require(process.argv[1]).license' "$dir/package/package.json")
  if [[ $v != "$version" ]]; then
    echo "codex: $pkg@$version: its package.json says version $v" >&2
    return 1
  fi
  local ok=
  for lic in "$@"; do [[ $l == "$lic" ]] && ok=1; done
  if [[ -z $ok ]]; then
    echo "codex: $pkg@$version is licensed $l, not $* as .ci/licenses lists it: read its licence, then update .ci/licenses and this script" >&2
    return 1
  fi
  echo "$got"
}

codex=$(fetch @wikimedia/codex "$CODEX_VERSION" GPL-2.0+ GPL-2.0-or-later)
src=$tmp/@wikimedia+codex/package
icons_version=$(node -p 'require(process.argv[1]).dependencies["@wikimedia/codex-icons"]' "$src/package.json")
icons=$(fetch @wikimedia/codex-icons "$icons_version" MIT)
icons_src=$tmp/@wikimedia+codex-icons/package

mkdir -p "$dest/codex-icons"
cp "$src/dist/codex.style.css" "$src/dist/codex.style-rtl.css" "$src/LICENSE" "$dest/"
echo "$CODEX_VERSION $codex" > "$dest/VERSION"
cp "$icons_src/LICENSE" "$dest/codex-icons/"
echo "$icons_version $icons" > "$dest/codex-icons/VERSION"
echo "codex: $dest now holds @wikimedia/codex $CODEX_VERSION ($codex)"
echo "codex: and the licence of @wikimedia/codex-icons $icons_version ($icons)"
