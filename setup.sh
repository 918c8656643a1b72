#!/usr/bin/env bash
# One-time set-up: system libraries (Debian/Ubuntu), the package with its test tools, the
# browser tests' Chromium and axe-core, then a build of every article under source/ into dist/.
set -euo pipefail
cd "$(dirname "$0")"

SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
if command -v apt-get >/dev/null; then
  # Pango for WeasyPrint; libharfbuzz-subset0 makes font subsetting ~3x faster;
  # poppler-utils (pdftoppm, pdfinfo) to look at the output; Noto Sans (Latin, Vietnamese)
  # and Noto Sans Thai are the handout fonts, libthai breaks Thai lines at word boundaries;
  # qpdf checks PDF structure in the tests; libgs-common ships the CMYK output profile of
  # the press variant; Chromium runs the download site's browser tests (Playwright drives
  # Debian's build: its own browser download cannot work offline); CUPS (the scheduler, lp,
  # ipptool and the PDF printer driver) for `handouts print` and its tests; pandoc, which
  # the benchmarks compare against.
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 libthai0 \
    fonts-noto-core fonts-dejavu-core poppler-utils qpdf libgs-common chromium \
    cups cups-client cups-ipp-utils cups-filters pandoc >/dev/null
fi
python3 -m pip install -q --disable-pip-version-check -e '.[test,dask]'
# axe-core audits the site's accessibility in the browser tests.
if command -v npm >/dev/null; then
  npm ci --silent --no-audit --no-fund --prefix tests/browser >/dev/null
fi
if [ "${1:-}" != "--no-build" ]; then
  python3 build_pdf.py --variant all
fi
