import { OCRMYPDF_PLUGIN_SOURCE, TESSERACT_CONFIG } from '../src/ingestion/parsing/ocr/ocrmypdf-plugin';
import * as fs from 'node:fs';
fs.writeFileSync('/tmp/ocrtest/zplug.py', OCRMYPDF_PLUGIN_SOURCE);
fs.writeFileSync('/tmp/ocrtest/zcfg', TESSERACT_CONFIG);
