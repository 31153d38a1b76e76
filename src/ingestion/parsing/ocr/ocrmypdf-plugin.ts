/**
 * An ocrmypdf plugin (Python, loaded with `--plugin`, written to a temporary folder for each run) that
 * (1) reports each page Tesseract has recognized as a line `zhiku-ocr-page-done` on stderr, so progress
 * can say "OCR page 3 of 40", and (2) draws the preview that `--rotate-pages` shows Tesseract's orientation
 * detection at a third of the page's resolution: which way text runs shows as well at 100 dpi as at 300,
 * and the preview and its detection cost a third of each page's OCR time otherwise. The recognition
 * itself runs on the full-resolution page, with ocrmypdf's own Tesseract engine.
 */
export const PAGE_DONE_MARKER = 'zhiku-ocr-page-done';

export const OCRMYPDF_PLUGIN_SOURCE = `
import sys
from ocrmypdf import hookimpl
from ocrmypdf._exec import ghostscript
from ocrmypdf.builtin_plugins.tesseract_ocr import TesseractOcrEngine
from ocrmypdf.helpers import Resolution

# The orientation preview is drawn at the page's resolution divided by this, but never below MIN_PREVIEW_DPI.
PREVIEW_DIVISOR = 3
MIN_PREVIEW_DPI = 100


def _page_done():
    print("${PAGE_DONE_MARKER}", file=sys.stderr, flush=True)


class ReportingTesseractOcrEngine(TesseractOcrEngine):
    @staticmethod
    def generate_hocr(input_file, output_hocr, output_text, options):
        TesseractOcrEngine.generate_hocr(input_file, output_hocr, output_text, options)
        _page_done()

    @staticmethod
    def generate_pdf(input_file, output_pdf, output_text, options):
        TesseractOcrEngine.generate_pdf(input_file, output_pdf, output_text, options)
        _page_done()


@hookimpl
def get_ocr_engine():
    return ReportingTesseractOcrEngine()


@hookimpl
def rasterize_pdf_page(input_file, output_file, raster_device, raster_dpi, pageno, page_dpi, rotation, filter_vector):
    # Only the orientation preview (a grey JPEG); every other rendering is left to ocrmypdf's Ghostscript.
    if raster_device != 'jpeggray':
        return None
    scale = max(1.0, min(PREVIEW_DIVISOR, min(raster_dpi.x, raster_dpi.y) / MIN_PREVIEW_DPI))
    low = Resolution(raster_dpi.x / scale, raster_dpi.y / scale)
    ghostscript.rasterize_pdf(
        input_file,
        output_file,
        raster_device=raster_device,
        raster_dpi=low,
        pageno=pageno,
        page_dpi=low,
        rotation=rotation,
        filter_vector=filter_vector,
    )
    return output_file
`;

/**
 * Tesseract settings for every page: no second pass over each text line inverted (white on black),
 * which costs ~20 % of the time and is rare in scanned documents.
 */
export const TESSERACT_CONFIG = 'tessedit_do_invert 0\n';
