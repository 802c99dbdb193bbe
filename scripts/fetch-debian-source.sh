#!/usr/bin/env bash
# Fetches and unpacks a Debian source package into a cache directory:
#   scripts/fetch-debian-source.sh PACKAGE VERSION CACHE_DIR
# leaves CACHE_DIR/PACKAGE-VERSION/ (Debian patches applied) and prints its path.
#
# The mirrors are the system's own: every "deb" entry of the apt configuration
# (/etc/apt/sources.list, sources.list.d/*.list and deb822 *.sources) becomes a
# "deb-src" entry of a private list. apt runs with its own state and cache
# directories under CACHE_DIR, so the system's apt state is not touched and no
# mirror is named anywhere in the project.
set -euo pipefail

pkg=${1:?package}
ver=${2:?version}
mkdir -p "${3:?cache directory}"
cache=$(cd "$3" && pwd)
upstream=${ver%-*}
upstream=${upstream#*:}
dest="$cache/$pkg-$ver"

if [ -f "$dest/.unpacked" ]; then
  echo "$dest"
  exit 0
fi

apt_etc=/etc/apt
work="$cache/apt"
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/parts" "$work/src"

# One "deb-src [signed-by=...] URI SUITE COMPONENTS" line per deb entry.
{
  for f in "$apt_etc/sources.list" "$apt_etc"/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    sed -n 's/^[[:space:]]*deb[[:space:]]\+/deb-src /p' "$f"
  done
  for f in "$apt_etc"/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk '
      function flush() {
        if (types ~ /(^| )deb( |$)/ && enabled != "no" && uris != "") {
          n = split(uris, u, " "); m = split(suites, s, " ")
          opt = signed != "" ? "[signed-by=" signed "] " : ""
          for (i = 1; i <= n; i++) for (j = 1; j <= m; j++)
            print "deb-src " opt u[i] " " s[j] " " comps
        }
        types = uris = suites = comps = signed = enabled = ""
      }
      /^[[:space:]]*#/ { next }
      /^[[:space:]]*$/ { flush(); next }
      {
        key = tolower($1); sub(/:$/, "", key); $1 = ""; sub(/^ +/, "")
        if (key == "types") types = $0
        else if (key == "uris") uris = $0
        else if (key == "suites") suites = $0
        else if (key == "components") comps = $0
        else if (key == "signed-by") signed = $0
        else if (key == "enabled") enabled = tolower($0)
      }
      END { flush() }' "$f"
  done
} > "$work/sources.list"

if [ ! -s "$work/sources.list" ]; then
  echo "fetch-debian-source: no deb entries in the apt configuration under $apt_etc" >&2
  exit 1
fi

apt_opts=(-o "Dir::Etc::SourceList=$work/sources.list" -o "Dir::Etc::SourceParts=$work/parts"
          -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache"
          -o "Debug::NoLocking=1" -o "APT::Sandbox::User=root")
[ "$(id -u)" -eq 0 ] || apt_opts=("${apt_opts[@]:0:10}")

echo "fetch-debian-source: $pkg $ver (deb-src list from the system's apt configuration)" >&2
apt-get -qq "${apt_opts[@]}" update >&2
(cd "$work/src" && apt-get -qq "${apt_opts[@]}" source --download-only "$pkg=$ver" >&2)
dsc="$work/src/${pkg}_${ver#*:}.dsc"
rm -rf "$dest"
dpkg-source -x "$dsc" "$dest" >&2
touch "$dest/.unpacked"
echo "$dest"
