import { slugFromName, withRandomSuffix } from './slug';

describe('slugFromName', () => {
  it('keeps ASCII letters and digits, lower-cased and hyphenated', () => {
    expect(slugFromName('  R Manuals (2024)! ')).toBe('r-manuals-2024');
    expect(slugFromName('Café Déjà Vu')).toBe('cafe-deja-vu');
  });

  it('falls back to kb-<random> for names without ASCII letters', () => {
    expect(slugFromName('知识库')).toMatch(/^kb-[0-9a-f]{6}$/);
    expect(withRandomSuffix('docs')).toMatch(/^docs-[0-9a-f]{6}$/);
  });
});
