import { IngestionError } from '../ingestion-errors';
import { imageToPdf, OcrContext, recognizePagesWithoutText, whyNotRecognized } from './ocr/ocr-step';
import { ParsedDocument } from './parsed-document';
import { cleanPdfPages } from './pdf-text-cleanup';
import { extractPdfPages } from './pdf-text-extractor';

/**
 * An image is read by OCR, one page per image (a multi-page TIFF gives several): it becomes a PDF
 * (img2pdf), its text is recognized into a searchable copy, and that copy's pages are read like a PDF's.
 */
export async function parseImage(data: Buffer, ocr: OcrContext | undefined): Promise<ParsedDocument> {
  const reason = await whyNotRecognized(ocr);
  if (reason) throw new IngestionError('NO_TEXT_LAYER', `An image has no text layer to read. ${reason}.`);
  const pdf = await imageToPdf(data);
  const blank = (await extractPdfPages(pdf)).map((p) => ({ num: p.num, text: '' }));
  const { pages, searchablePdf } = await recognizePagesWithoutText(pdf, blank, ocr, true);
  return { blocks: cleanPdfPages(pages), pageCount: pages.length, searchablePdf };
}
