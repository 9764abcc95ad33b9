#!/usr/bin/env bash
# Installs what the wikitest harness needs: Debian's MediaWiki (1.39) with
# PHP 8.2 CLI and the modules it uses, plus tmux. Idempotent: does nothing
# (and needs no root) when everything is present.
set -euo pipefail

MEDIAWIKI=/usr/share/mediawiki
PHP_MODULES=(sqlite3 intl mbstring xml)

have_mediawiki_and_php() {
	[[ -f $MEDIAWIKI/maintenance/install.php ]] || return 1
	command -v php >/dev/null 2>&1 || return 1
	local modules m
	modules=$(php -m 2>/dev/null | tr '[:upper:]' '[:lower:]') || return 1
	for m in "${PHP_MODULES[@]}"; do
		grep -qx "$m" <<<"$modules" || return 1
	done
}

need_root() {
	if [[ $(id -u) -ne 0 ]]; then
		echo "install-deps.sh: $1 must be installed, which needs root: run it with sudo" >&2
		exit 1
	fi
}

apt_updated=
apt_install() {
	if [[ -z $apt_updated ]]; then
		apt-get update
		apt_updated=1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@"
}

if have_mediawiki_and_php; then
	echo "MediaWiki and PHP already installed"
else
	need_root "MediaWiki with PHP"
	# php8.2-cgi by name (else apt satisfies php's SAPI dependency with
	# apache2); micro-httpd satisfies mediawiki's httpd dependency without
	# running a daemon.
	apt_install mediawiki php-cli php8.2-cgi php-sqlite3 php-intl php-mbstring php-xml micro-httpd
	if ! have_mediawiki_and_php; then
		echo "install-deps.sh: installed the packages, but MediaWiki or a PHP module (${PHP_MODULES[*]}) is still missing" >&2
		exit 1
	fi
	echo "MediaWiki and PHP installed"
fi

if ! command -v tmux >/dev/null 2>&1; then
	need_root "tmux"
	apt_install tmux
fi

# The console's browser tests (wikitest/browser): Debian's chromium, run
# headless; fonts for Latin and Arabic text (DejaVu; KACST One, the
# smallest Arabic font packaged), so that a page in Arabic renders
# glyphs, not boxes; and poppler-utils, whose pdftotext reads back the
# PDFs the console prints.
have_package() {
	[[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) == "install ok installed" ]]
}
browser_missing=()
command -v chromium >/dev/null 2>&1 || browser_missing+=(chromium)
have_package fonts-dejavu-core || browser_missing+=(fonts-dejavu-core)
have_package fonts-kacst-one || browser_missing+=(fonts-kacst-one)
command -v pdftotext >/dev/null 2>&1 || browser_missing+=(poppler-utils)
if [[ ${#browser_missing[@]} -eq 0 ]]; then
	echo "chromium, its fonts and pdftotext already installed"
else
	need_root "${browser_missing[*]}"
	apt_install "${browser_missing[@]}"
	echo "installed ${browser_missing[*]}"
fi
