#!/usr/bin/env bash
# Run storysift on the bundled seeds and take a screenshot of report.html in headless Chromium:
# bench/out/report.png (override the output folder with OUT=..., the page size with SIZE=w,h).
# Extra arguments go to `storysift run` (e.g. more inputs: bench/report_screenshot.sh seeds fixtures).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${OUT:-bench/out/report-run}"
SIZE="${SIZE:-1400,2000}"
CHROMIUM="$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)"
if [ -z "$CHROMIUM" ]; then
    echo "report_screenshot: no chromium found (Debian: apt-get install -y chromium)" >&2
    exit 2
fi
storysift run "$@" --out "$OUT" --quiet
profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
"$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --hide-scrollbars --user-data-dir="$profile" --window-size="$SIZE" \
    --screenshot="$PWD/bench/out/report.png" "file://$PWD/$OUT/report.html" 2>/dev/null
echo "bench/out/report.png (from $OUT/report.html)"
