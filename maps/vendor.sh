#!/usr/bin/env bash
# Re-fetch the vendored browser assets into maps/static/vendor/<package>@<version>/ with
# `npm pack` (the registry configured for npm; no CDN). Versions are pinned here and listed in
# maps/static/vendor/README.md; maps/assets.py maps Folium's asset names to these files.
# Run from anywhere: bash maps/vendor.sh
set -euo pipefail
cd "$(dirname "$0")"
DEST="$PWD/static/vendor"

# package@version  then the files to keep (paths inside the npm tarball's package/ folder)
PACKAGES=(
  "leaflet@1.9.4|dist/leaflet.js dist/leaflet.css dist/images LICENSE"
  "leaflet.vectorgrid@1.3.0|dist/Leaflet.VectorGrid.bundled.min.js package.json"
  "jquery@3.7.1|dist/jquery.min.js LICENSE.txt"
  "bootstrap@5.2.2|dist/js/bootstrap.bundle.min.js dist/css/bootstrap.min.css LICENSE"
  "@fortawesome/fontawesome-free@6.2.0|css/all.min.css webfonts LICENSE.txt"
  "leaflet.awesome-markers@2.0.5|dist/leaflet.awesome-markers.js dist/leaflet.awesome-markers.css dist/images LICENSE"
  "chart.js@4.5.1|dist/chart.umd.min.js LICENSE.md"
  "@geoman-io/leaflet-geoman-free@2.20.2|dist/leaflet-geoman.min.js dist/leaflet-geoman.css LICENSE"
)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for entry in "${PACKAGES[@]}"; do
  spec=${entry%%|*}
  files=${entry#*|}
  name=${spec%@*}
  version=${spec##*@}
  dir="$DEST/${name##*/}@$version"
  echo "vendor: $spec -> ${dir#"$PWD"/}" >&2
  (cd "$work" && rm -rf package ./*.tgz && npm pack --silent "$spec" >/dev/null && tar --warning=no-unknown-keyword -xzf ./*.tgz)
  rm -rf "$dir"
  mkdir -p "$dir"
  for f in $files; do
    if [ -e "$work/package/$f" ]; then
      mkdir -p "$dir/$(dirname "$f")"
      cp -r "$work/package/$f" "$dir/$(dirname "$f")/"
    else
      echo "vendor: $spec has no $f" >&2
      exit 1
    fi
  done
done
echo "vendor: done" >&2
