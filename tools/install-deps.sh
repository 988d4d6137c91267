#!/bin/sh
# Installs the Debian packages ctorch needs, only those missing.
# Usage: tools/install-deps.sh [build|test|demo]
set -e
PKGS="gcc make pkg-config libopenblas-openmp-dev liblapacke-dev libsleef-dev zlib1g-dev libjpeg62-turbo-dev libpng-dev libdnnl-dev"
case "${1:-build}" in
  test) PKGS="$PKGS python3 python3-dev python3-numpy python3-pytest python3-hypothesis python3-torch python3-torchvision python3-pil valgrind" ;;
  demo) PKGS="$PKGS python3 python3-dev python3-numpy dataset-fashion-mnist" ;;
esac
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "install-deps: installing$missing"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq $missing >/dev/null
