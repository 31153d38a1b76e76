#!/usr/bin/env bash
# Installs the OCR tools zhiku's workers use for scanned PDFs and images, from Debian's packages:
# Tesseract 5 with Simplified Chinese, Traditional Chinese, English, the Han script models (which read Chinese
# pages with the English among them faster and better than chi_sim+eng) and orientation detection, img2pdf
# (images → PDF), poppler-utils (pdftoppm draws the pages, pdfimages finds their resolution) with
# poppler-data (the character maps without which pdftoppm draws no Chinese, Japanese or Korean text set in
# fonts a PDF does not embed: such a page came out blank but for its Latin letters), qpdf (lays
# the recognized text over the pages; takes the scanned pages of a mixed PDF out and puts them back), and
# unpaper, whose HTML manual the format tests read. The Dockerfile installs the same list but unpaper.
# Idempotent: quick when everything is there.
set -euo pipefail

OCR_PACKAGES=(
  tesseract-ocr
  tesseract-ocr-chi-sim
  tesseract-ocr-chi-tra
  tesseract-ocr-eng
  tesseract-ocr-script-hans
  tesseract-ocr-script-hant
  tesseract-ocr-osd
  img2pdf
  poppler-utils
  poppler-data
  qpdf
  unpaper
)

missing=()
for p in "${OCR_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -eq 0 ]; then
  echo "OCR tools: already installed (tesseract $(tesseract --version 2>&1 | head -n1 | cut -d' ' -f2), qpdf $(qpdf --version | head -n1 | cut -d' ' -f3))"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "OCR tools: missing ${missing[*]}; run as root: sudo npm run ocr:install" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=600 update -qq
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "OCR tools: installed ${missing[*]} (tesseract $(tesseract --version 2>&1 | head -n1 | cut -d' ' -f2))"
