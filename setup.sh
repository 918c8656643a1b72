#!/usr/bin/env bash
# One-time set-up: system libraries (Debian/Ubuntu), the package with its test tools,
# then a build of every article under source/ into dist/.
set -euo pipefail
cd "$(dirname "$0")"

SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
if command -v apt-get >/dev/null; then
  # Pango for WeasyPrint; libharfbuzz-subset0 makes font subsetting ~3x faster;
  # poppler-utils (pdftoppm, pdfinfo) to look at the output; Noto Sans is the handout font.
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 \
    fonts-noto-core fonts-dejavu-core poppler-utils >/dev/null
fi
python3 -m pip install -q --disable-pip-version-check -e '.[test]'
if [ "${1:-}" != "--no-build" ]; then
  python3 build_pdf.py --variant all
fi
