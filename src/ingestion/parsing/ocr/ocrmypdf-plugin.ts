/**
 * An ocrmypdf plugin (Python, loaded with `--plugin`) that reports each page Tesseract has recognized as
 * a line `zhiku-ocr-page-done` on stderr, so progress can say "OCR page 3 of 40". It wraps ocrmypdf's own
 * Tesseract engine and changes nothing else. Written to a temporary folder for each run.
 */
export const PAGE_DONE_MARKER = 'zhiku-ocr-page-done';

export const OCRMYPDF_PLUGIN_SOURCE = `
import sys
from ocrmypdf import hookimpl
from ocrmypdf.builtin_plugins.tesseract_ocr import TesseractOcrEngine


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
`;

/**
 * Tesseract settings for every page: no second pass over each text line inverted (white on black),
 * which costs ~20 % of the time and is rare in scanned documents.
 */
export const TESSERACT_CONFIG = 'tessedit_do_invert 0\n';
