#!/usr/bin/env bash
# Installs the Debian tools the test suite uses as independent references and fixture builders:
#   osslsigncode >= 2.9 (bookworm-backports), python3-pefile, mingw-w64 (gcc + windres), clang + lld + llvm (ld64.lld, llvm-lipo), binutils (readelf), openssl,
#   systemd (systemd-analyze verify/security for the service unit), ansible-core + ansible-lint (the Ansible role), shellcheck (the macOS install scripts),
#   chromium (+ fonts-dejavu-core): the report tests (test/report/**) render the HTML report in it (puppeteer-core).
#   clickhouse-server 18.16: the export tests (test/export/**) start it unprivileged from a temp-dir config on 127.0.0.1.
#   wine64 (8.0): test/service/windows-service-host.test.ts runs the Windows service host under wine's SCM (sc.exe).
# Idempotent; run as root (CI) or with sudo. Nothing here is needed to *run* sealwatch.
set -euo pipefail
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive

need_pkgs=()
for p in gcc-mingw-w64-x86-64 gcc-mingw-w64-i686 binutils-mingw-w64-x86-64 binutils-mingw-w64-i686 python3-pefile openssl clang lld llvm binutils gcc dpkg systemd ansible-core ansible-lint shellcheck chromium fonts-dejavu-core clickhouse-server wine64; do
  dpkg -s "$p" >/dev/null 2>&1 || need_pkgs+=("$p")
done
ossl_ok() { command -v osslsigncode >/dev/null && dpkg --compare-versions "$(osslsigncode --version 2>/dev/null | awk 'NR==1{gsub(",","",$2); print $2}')" ge 2.9; }

if [ ${#need_pkgs[@]} -gt 0 ] || ! ossl_ok; then
  if ! ossl_ok && ! grep -rqs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/; then
    echo "deb http://deb.debian.org/debian bookworm-backports main" | $SUDO tee /etc/apt/sources.list.d/sealwatch-backports.list >/dev/null
  fi
  $SUDO apt-get update -qq
  [ ${#need_pkgs[@]} -eq 0 ] || $SUDO apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}"
  ossl_ok || $SUDO apt-get install -y -qq --no-install-recommends -t bookworm-backports osslsigncode
fi
osslsigncode --version | head -1
/usr/bin/python3 -c 'import pefile; print("pefile", pefile.__version__)'
x86_64-w64-mingw32-gcc --version | head -1
chromium --version 2>/dev/null | head -1
