#!/usr/bin/env bash
# Refresh the console's vendored front-end libraries from the npm registry.
# Developers need Node.js (npm) for this; users never do: the copied files are committed
# and ship in the wheel. Change a version below, run this script, commit the result.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=engine/console/static/vendor
PACKAGES=(
  "bpmn-js@18.31.1"
  "dmn-js@17.10.2"
  "echarts@6.1.0"
  "@json-editor/json-editor@2.17.2"
)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "${PACKAGES[@]}" >/dev/null)
unpack() {  # unpack <tarball glob> <folder>
  mkdir -p "$work/$2"
  tar xzf "$work"/$1 -C "$work/$2" --strip-components=1
}
unpack "bpmn-js-*.tgz" bpmn-js
unpack "dmn-js-*.tgz" dmn-js
unpack "echarts-*.tgz" echarts
unpack "json-editor-json-editor-*.tgz" json-editor
rm -rf "$dest" && mkdir -p "$dest"/{bpmn-js,dmn-js,echarts,json-editor}
# bpmn-js and dmn-js: the production bundles and their CSS and fonts (the bpmn.io watermark stays).
cp "$work"/bpmn-js/dist/bpmn-{navigated-viewer,modeler}.production.min.js "$work"/bpmn-js/LICENSE "$dest"/bpmn-js/
cp -r "$work"/bpmn-js/dist/assets "$dest"/bpmn-js/
cp "$work"/dmn-js/dist/dmn-{viewer,modeler}.production.min.js "$work"/dmn-js/LICENSE "$dest"/dmn-js/
cp -r "$work"/dmn-js/dist/assets "$dest"/dmn-js/
cp "$work"/echarts/dist/echarts.min.js "$work"/echarts/LICENSE "$dest"/echarts/
cp "$work"/json-editor/dist/jsoneditor.js "$work"/json-editor/LICENSE "$dest"/json-editor/
# Fonts only in the formats browsers use; the ones embedding fonts as base64 CSS are not needed.
find "$dest" \( -name '*.eot' -o -name '*.svg' -path '*font*' -o -name '*-embedded.css' \) -delete
{
  echo "| package | version | license | files |"
  echo "| --- | --- | --- | --- |"
  for dir in bpmn-js dmn-js echarts json-editor; do
    python3 - "$work/$dir/package.json" "$dir" <<'PY'
import json, sys
meta = json.load(open(sys.argv[1]))
lic = meta.get("license", "")
if lic.startswith("SEE LICENSE"):
    lic = "bpmn.io license (MIT-style, the watermark must stay visible)"
print(f"| {meta['name']} | {meta['version']} | {lic} | `{sys.argv[2]}/` |")
PY
  done
} > "$dest/VERSIONS.md"
echo "vendored into $dest:"
cat "$dest/VERSIONS.md"
