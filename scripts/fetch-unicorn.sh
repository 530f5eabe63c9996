#!/usr/bin/env bash
# Fetch Unicorn 2.1 (Debian's libunicorn2t64) into lib/unicorn/ without touching the
# machine's apt configuration or installed packages: a private sources list, package
# lists and cache under lib/unicorn/apt/, and the .deb unpacked with dpkg-deb, not
# installed. apt verifies the archive's signature with Debian's own keyring.
#
# Exit status 0 when lib/unicorn/libunicorn.so.2 holds a 2.1 or newer library; 1 (with
# one line saying why) when it could not be fetched.
set -uo pipefail
cd "$(dirname "$0")/.."
out=lib/unicorn
lib="$out/libunicorn.so.2"
want_major=2 want_minor=1

have_version() { # prints the packed uc_version() of $1, or nothing
  node -e '
    const k = require("koffi");
    try { const l = k.load(process.argv[1]); console.log(l.func("unsigned int uc_version(void*, void*)")(null, null) >>> 0); }
    catch { process.exit(1); }' "$1" 2>/dev/null
}
new_enough() {
  local v; v=$(have_version "$1") || return 1
  [ -n "$v" ] && (( (v >> 24) > want_major || ((v >> 24) == want_major && ((v >> 16) & 255) >= want_minor) ))
}

if [ -f "$lib" ] && new_enough "$lib"; then exit 0; fi

why() { echo "kprobe-emu: could not fetch Unicorn 2.1 ($*)"; exit 1; }
command -v apt-get >/dev/null || why "no apt-get on this machine"
command -v dpkg-deb >/dev/null || why "no dpkg-deb on this machine"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -r "$keyring" ] || why "no $keyring to verify Debian's archive"
arch=$(dpkg --print-architecture 2>/dev/null) || why "dpkg --print-architecture failed"

apt="$out/apt"
mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/etc/apt.conf.d" "$apt/etc/preferences.d" "$apt/deb"
# Unstable has the newest 2.1 (2.1.4 as of 2026), testing the one before it; apt takes the
# higher version of the two. Both only need libc6 >= 2.34, which Debian 12 has.
cat > "$apt/etc/sources.list" <<SRC
deb [signed-by=$keyring] http://deb.debian.org/debian sid main
deb [signed-by=$keyring] http://deb.debian.org/debian testing main
SRC
opts=(
  -o "Dir::Etc::sourcelist=$PWD/$apt/etc/sources.list" -o "Dir::Etc::sourceparts=-"
  -o "Dir::Etc::main=$PWD/$apt/etc/apt.conf" -o "Dir::Etc::parts=$PWD/$apt/etc/apt.conf.d"
  -o "Dir::Etc::preferences=$PWD/$apt/etc/preferences" -o "Dir::Etc::preferencesparts=$PWD/$apt/etc/preferences.d"
  -o "Dir::State::Lists=$PWD/$apt/lists" -o "Dir::State::status=/dev/null"
  -o "Dir::Cache=$PWD/$apt/cache" -o "Debug::NoLocking=1"
  -o "APT::Architecture=$arch" -o "APT::Architectures::=$arch"
  -o "APT::Sandbox::User=$(id -un)" -o "Acquire::Languages=none"
)
apt-get "${opts[@]}" -qq update >"$apt/update.log" 2>&1 || why "apt-get update of Debian's archive failed: $(tail -n 1 "$apt/update.log")"
(cd "$apt/deb" && rm -f ./*.deb && apt-get "${opts[@]}" -qq download libunicorn2t64) >"$apt/download.log" 2>&1 ||
  why "apt-get download libunicorn2t64 failed: $(tail -n 1 "$apt/download.log")"
deb=$(ls "$apt"/deb/libunicorn2t64_*.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] || why "no libunicorn2t64 package was downloaded"
rm -rf "$apt/root" && mkdir -p "$apt/root"
dpkg-deb -x "$deb" "$apt/root" || why "dpkg-deb could not unpack $deb"
so=$(find "$apt/root" -name 'libunicorn.so.2*' -type f | head -n 1)
[ -n "$so" ] || why "$deb holds no libunicorn.so.2"
cp "$so" "$lib.new" && mv "$lib.new" "$lib"
basename "$deb" > "$out/PACKAGE"
new_enough "$lib" || { rm -f "$lib"; why "$(basename "$deb") is older than $want_major.$want_minor"; }
echo "kprobe-emu: Unicorn from $(cat "$out/PACKAGE") in $lib"
