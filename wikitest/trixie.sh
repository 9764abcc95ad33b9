#!/bin/bash
# A Debian trixie chroot from Debian's own packages, for what bookworm
# cannot run: Wine 10, which starts the Windows build of mwprovision (Wine 8
# cannot start a Go 1.26 binary), and MediaWiki 1.43 LTS with PHP 8.4, the
# second wiki version of the integration tests (bookworm's is 1.39). Built
# once, then reused.
#
#   wikitest/trixie.sh ensure        build it when missing (≈ 3 minutes), mount /proc and /dev
#   wikitest/trixie.sh root          print its path
#   wikitest/trixie.sh share DIR     make DIR (this checkout) visible inside at the same path
#   wikitest/trixie.sh wine EXE ARG… run a Windows program inside, with the chroot's Wine, in
#                                    the current directory when it is shared (Z:\ is /)
#   wikitest/trixie.sh down          unmount what it mounted (before removing it)
#
# The chroot shares the host's network: a Windows program run inside
# reaches a wiki on the host's 127.0.0.1. Files are exchanged through
# ROOT/tmp, which is /tmp inside. The mirror is the machine's own, from its
# apt sources.
set -euo pipefail

ROOT=${MWPROVISION_TRIXIE:-/var/lib/mwprovision/trixie}
STAMP=$ROOT/.mwprovision-ready

mounted() { mountpoint -q "$ROOT/$1"; }

mounts() {
	mounted proc || mount --bind /proc "$ROOT/proc"
	mounted dev || mount --bind /dev "$ROOT/dev"
}

# inside runs a command in the chroot, in directory $IN_DIR when set; the
# MWPROVISION_TEST_* variables of the caller go along.
inside() {
	local pass=()
	while IFS='=' read -r name _; do
		pass+=("$name=${!name}")
	done < <(env | grep -E '^MWPROVISION_(TEST_[A-Z_]*|BROWSER)=' || true)
	chroot "$ROOT" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
		DEBIAN_FRONTEND=noninteractive WINEDEBUG=-all WINEPREFIX=/tmp/wineprefix "${pass[@]}" \
		sh -c 'cd "$0" && exec "$@"' "${IN_DIR:-/}" "$@"
}

# MEDIAWIKI is what MediaWiki 1.43 needs, as wikitest runs it (php -S, the
# maintenance scripts, SQLite).
MEDIAWIKI="mediawiki php-cli php-sqlite3 php-intl php-mbstring php-xml"

# quietly runs a command inside, its output kept for when it fails (apt's
# notes on a chroot without init are noise).
quietly() {
	local log=$ROOT/tmp/trixie-apt.log
	if ! inside "$@" >"$log" 2>&1; then
		tail -n 30 "$log" >&2
		echo "trixie.sh: failed: $*" >&2
		exit 1
	fi
}

# mediawiki installs MediaWiki 1.43 into a chroot built before it had it.
mediawiki() {
	[ -f "$ROOT/usr/share/mediawiki/maintenance/run.php" ] && return
	echo "trixie.sh: installing MediaWiki 1.43 and PHP" >&2
	quietly apt-get install -y -qq --no-install-recommends $MEDIAWIKI
}

ensure() {
	if [ -f "$STAMP" ]; then
		mounts
		mediawiki
		return
	fi
	if [ "$(id -u)" != 0 ]; then
		echo "trixie.sh: building the chroot needs root (debootstrap, mount, chroot)" >&2
		exit 1
	fi
	command -v debootstrap >/dev/null || { apt-get update -qq && apt-get install -y -qq debootstrap >/dev/null; }
	local mirror
	mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
	if [ -z "$mirror" ]; then
		mirror=$(awk '/^deb / {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
	fi
	if [ -z "$mirror" ]; then
		echo "trixie.sh: no Debian mirror in this machine's apt sources" >&2
		exit 1
	fi
	if [ -d "$ROOT" ]; then
		down
		rm -rf --one-file-system "$ROOT"
	fi
	mkdir -p "$ROOT"
	echo "trixie.sh: debootstrap trixie into $ROOT from $mirror" >&2
	debootstrap --variant=minbase --include=ca-certificates trixie "$ROOT" "$mirror" >/dev/null
	mounts
	echo "trixie.sh: installing wine64, MediaWiki 1.43 and PHP" >&2
	quietly apt-get install -y -qq --no-install-recommends wine64 $MEDIAWIKI
	# The first start makes the Wine prefix (≈ 9 s): once, here.
	inside /usr/lib/wine/wine64 cmd /c ver >/dev/null 2>&1 || true
	touch "$STAMP"
}

# share binds DIR into the chroot at the same path.
share() {
	local dir
	dir=$(cd "$1" && pwd)
	mkdir -p "$ROOT$dir"
	# A bind of a folder removed and made again since shows the old one.
	if mountpoint -q "$ROOT$dir" && [ "$(stat -c %d:%i "$dir")" != "$(stat -c %d:%i "$ROOT$dir")" ]; then
		umount "$ROOT$dir"
	fi
	mountpoint -q "$ROOT$dir" || mount --bind "$dir" "$ROOT$dir"
}

down() {
	local m
	for m in $(awk -v root="$ROOT" '$2 ~ "^"root"/" {print $2}' /proc/mounts | sort -r); do
		umount "$m"
	done
}

case "${1:-}" in
ensure) ensure ;;
root) echo "$ROOT" ;;
share) share "$2" ;;
wine)
	shift
	[ -f "$STAMP" ] || { echo "trixie.sh: no chroot at $ROOT: run wikitest/trixie.sh ensure" >&2; exit 1; }
	mounts
	if [ -d "$ROOT$PWD" ]; then IN_DIR=$PWD; fi
	IN_DIR=${IN_DIR:-/} inside /usr/lib/wine/wine64 "$@"
	;;
down) down ;;
*)
	echo "usage: wikitest/trixie.sh ensure|root|share DIR|wine EXE ARG…|down" >&2
	exit 2
	;;
esac
