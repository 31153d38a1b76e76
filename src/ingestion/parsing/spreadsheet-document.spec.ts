import { parseDelimited } from './spreadsheet-document';

describe('parseDelimited', () => {
  it('reads a CSV into one table: quoted cells keep commas and line breaks, pipes are escaped', () => {
    const csv = 'name,comment\r\n"Li, Wei","第一行\n第二行"\r\nA|B,plain\r\n';
    expect(parseDelimited(Buffer.from(csv), 'csv').blocks).toEqual([
      {
        kind: 'table',
        text: '| name | comment |\n| --- | --- |',
        rows: [
          { row: 2, text: '| Li, Wei | 第一行 第二行 |' },
          { row: 3, text: '| A\\|B | plain |' },
        ],
      },
    ]);
  });

  it('reads ";" as the delimiter of a CSV whose header has more semicolons than commas (European Excel)', () => {
    const blocks = parseDelimited(Buffer.from('Name;Preis\nKäse;3,50\n'), 'csv').blocks;
    expect(blocks[0]).toMatchObject({
      text: '| Name | Preis |\n| --- | --- |',
      rows: [{ row: 2, text: '| Käse | 3,50 |' }],
    });
  });

  it('takes quotes in a TSV as characters, and names empty header cells', () => {
    const blocks = parseDelimited(Buffer.from('code\t\n"CN\tChina "quoted"\n'), 'tsv').blocks;
    expect(blocks[0]).toMatchObject({
      text: '| code | column 2 |\n| --- | --- |',
      rows: [{ row: 2, text: '| "CN | China "quoted" |' }],
    });
  });

  it('fails a CSV with an unclosed quote with CORRUPT_FILE', () => {
    expect(() => parseDelimited(Buffer.from('a,b\n"open,1\n'), 'csv')).toThrow(
      expect.objectContaining({ code: 'CORRUPT_FILE' }),
    );
  });
});
