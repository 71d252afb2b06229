#!/usr/bin/env bash
# Re-fetch axe-core (the accessibility checker of tests/a11y) into tests/a11y/vendor/ with
# `npm pack` from the registry configured for npm. It is used by the tests only, never served
# to users. Run from anywhere: bash tests/a11y/vendor.sh
set -euo pipefail
cd "$(dirname "$0")"
VERSION=4.14.1
DEST="$PWD/vendor/axe-core@$VERSION"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "axe-core@$VERSION" >/dev/null && tar --warning=no-unknown-keyword -xzf ./*.tgz)
rm -rf "$DEST"
mkdir -p "$DEST"
cp "$work/package/axe.min.js" "$work/package/LICENSE" "$DEST/"
echo "vendor: axe-core@$VERSION -> ${DEST#"$PWD"/}" >&2
