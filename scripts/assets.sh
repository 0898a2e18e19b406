#!/usr/bin/env bash
# Copies the front-end libraries from node_modules into static/vendor. This is the one list
# of the files served: scripts/setup.sh and the Dockerfile both run it. A file that a copied
# CSS or JS names (a source map, a font) is listed too: in production the manifest storage
# of collectstatic aborts on a reference it cannot find, and every page would answer 500.
# Usage: scripts/assets.sh [NODE_MODULES] [VENDOR]   (default: node_modules static/vendor)
set -euo pipefail
cd "$(dirname "$0")/.."
NODE_MODULES=${1:-node_modules}
VENDOR=${2:-static/vendor}

# folder under $VENDOR   file or folder under $NODE_MODULES
ASSETS="
bootstrap                bootstrap/dist/css/bootstrap.min.css
bootstrap                bootstrap/dist/css/bootstrap.min.css.map
bootstrap                bootstrap/dist/js/bootstrap.bundle.min.js
bootstrap                bootstrap/dist/js/bootstrap.bundle.min.js.map
bootstrap-icons          bootstrap-icons/font/bootstrap-icons.min.css
bootstrap-icons          bootstrap-icons/font/fonts
htmx                     htmx.org/dist/htmx.min.js
chartjs                  chart.js/dist/chart.umd.min.js
chartjs                  chart.js/dist/chart.umd.min.js.map
sortablejs               sortablejs/Sortable.min.js
swagger-ui               swagger-ui-dist/swagger-ui.css
swagger-ui               swagger-ui-dist/swagger-ui.css.map
swagger-ui               swagger-ui-dist/swagger-ui-bundle.js
"

rm -rf "$VENDOR"
while read -r folder source; do
  [ -n "$folder" ] || continue
  mkdir -p "$VENDOR/$folder"
  cp -r "$NODE_MODULES/$source" "$VENDOR/$folder/"
done <<< "$ASSETS"
