import en from '../../web/src/locales/en';
import zhCN from '../../web/src/locales/zh-CN';
import { statusDetailWords } from '../../web/src/utils/documents';
import { STATUS_DETAILS } from './status-details';

/** The admin UI's words for a message key such as `doc.detail.ocrPage`, with `{name}` values filled in. */
function say(messages: unknown, key: string, values: Record<string, number>): string {
  const text = key
    .split('.')
    .reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], messages);
  expect(typeof text).toBe('string');
  return (text as string).replace(/\{(\w+)\}/g, (_, name: string) => String(values[name]));
}

describe('status details', () => {
  const written: Array<[string, string]> = [
    [STATUS_DETAILS.waitingForReader, 'waitingForReader'],
    [STATUS_DETAILS.waitingForOcr, 'waitingForOcr'],
    [STATUS_DETAILS.ocrPage(3, 40), 'ocrPage'],
    [STATUS_DETAILS.buildingIndex, 'buildingIndex'],
    [
      STATUS_DETAILS.waiting(true, 'attempt 2 of 5, trying again shortly', 'Ollama is not reachable'),
      'waitingForOllama',
    ],
    [STATUS_DETAILS.waiting(false, 'trying again within 60 s', 'the database is busy'), 'waitingToRetry'],
    [STATUS_DETAILS.retryingUnknown(1, 3), 'retryingUnknown'],
  ];

  it.each(written)('the admin UI says "%s" in its own words, in English and in Chinese', (detail, key) => {
    const words = statusDetailWords(detail);
    expect(words?.key).toBe(`doc.detail.${key}`);
    expect(say(en, words!.key, words!.values)).not.toMatch(/\{|undefined/);
    expect(say(zhCN, words!.key, words!.values)).toMatch(/[\u4e00-\u9fff]/);
  });

  it('keeps the page numbers of OCR progress', () => {
    const words = statusDetailWords(STATUS_DETAILS.ocrPage(3, 40))!;
    expect(say(zhCN, words.key, words.values)).toBe('OCR 识别第 3 / 40 页');
    expect(say(en, words.key, words.values)).toBe('OCR page 3 of 40');
  });

  it('leaves a detail it does not know as the server wrote it', () => {
    expect(statusDetailWords('Something new')).toBeNull();
    expect(statusDetailWords(null)).toBeNull();
  });
});
