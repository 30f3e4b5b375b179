#!/usr/bin/env bash
# Vendor the pages' browser libraries from the npm registry into src/shahr/web/static/vendor/<pkg>/, each
# with its licence, so that the installed package serves them and no page loads anything from the internet.
# Run it again to change a version; the copied files are committed.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=("leaflet@1.9.4" "chart.js@4.6.1")
# Files to copy out of each package (paths inside the tarball's package/ folder).
declare -A FILES=(
    [leaflet]="dist/leaflet.js dist/leaflet.css dist/images/layers.png dist/images/layers-2x.png dist/images/marker-icon.png dist/images/marker-icon-2x.png dist/images/marker-shadow.png LICENSE"
    [chart.js]="dist/chart.umd.min.js LICENSE.md"
)

VENDOR=src/shahr/web/static/vendor
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for spec in "${PACKAGES[@]}"; do
    name=${spec%@*}
    (cd "$work" && npm pack --silent "$spec" >/dev/null)
    mkdir -p "$work/$name"
    tar -xzf "$work/$name"-*.tgz -C "$work/$name"
    rm -rf "${VENDOR:?}/$name"
    for file in ${FILES[$name]}; do
        target="$VENDOR/$name/${file#dist/}"
        mkdir -p "$(dirname "$target")"
        cp "$work/$name/package/$file" "$target"
    done
    echo "$spec" >"$VENDOR/$name/VERSION"
    echo "vendored $spec into $VENDOR/$name"
done
