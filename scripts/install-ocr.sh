#!/usr/bin/env bash
# Installs the OCR tools zhiku's workers use for scanned PDFs and images, from Debian's packages:
# ocrmypdf (with Ghostscript and pikepdf), Tesseract 5 with Simplified Chinese, Traditional Chinese and
# English, img2pdf (images → PDF), poppler-utils (pdftoppm, pdftotext), qpdf (takes the scanned pages of a
# mixed PDF out and puts them back) and unpaper. The Dockerfile installs the same list. Idempotent: quick
# when everything is there.
set -euo pipefail

OCR_PACKAGES=(
  ocrmypdf
  tesseract-ocr
  tesseract-ocr-chi-sim
  tesseract-ocr-chi-tra
  tesseract-ocr-eng
  tesseract-ocr-osd
  img2pdf
  poppler-utils
  qpdf
  unpaper
)

missing=()
for p in "${OCR_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -eq 0 ]; then
  echo "OCR tools: already installed ($(ocrmypdf --version), tesseract $(tesseract --version 2>&1 | head -n1 | cut -d' ' -f2))"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "OCR tools: missing ${missing[*]}; run as root: sudo npm run ocr:install" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=600 update -qq
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "OCR tools: installed ${missing[*]} ($(ocrmypdf --version))"
