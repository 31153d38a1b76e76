import * as os from 'node:os';
import {
  mayBeTurned,
  pageResolutions,
  parseOrientation,
  readsBetter,
  runTool,
  summarizeTsv,
  ToolError,
} from './tesseract-page';

const TSV_HEADER = 'level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext';
const tsvRow = (level: number, width: number, height: number, conf: number, text = ''): string =>
  [level, 1, 1, 1, 1, 1, 0, 0, width, height, conf, text].join('\t');

describe('Tesseract page helpers', () => {
  it("draws each page at its largest picture's higher resolution, within 150–225 dpi, from pdfimages -list", () => {
    const listing = [
      'page   num  type   width height color comp bpc  enc interp  object ID x-ppi y-ppi size ratio',
      '--------------------------------------------------------------------------------------------',
      '   1     0 image    2480  3508  rgb     3   8  image  no        40  0   292   319  603K 2.4%',
      '   2     1 image      64    64  gray    1   8  image  no         2  0    72    72  1K 2.0%',
      '   2     2 image    1275  1650  gray    1   8  jpeg   no         3  0   150   150  200K 2.0%',
      '   3     3 smask    1275  1650  gray    1   8  image  no         4  0    75    75  2K 0.1%',
      '   3     4 image     850  1100  gray    1   8  image  no         5  0   100   100  9K 0.1%',
      '   4     5 image    9000  9000  gray    1   8  image  no         6  0  1200  1200  9K 0.1%',
      '   5     6 image    1700  2200  gray    1   8  image  no         7  0   200   200  9K 0.1%',
    ].join('\n');
    expect([...pageResolutions(listing)]).toEqual([
      [1, 225],
      [2, 150],
      [3, 150],
      [4, 225],
      [5, 200],
    ]);
  });

  it('summarizes words, their mean confidence and which way the lines run', () => {
    const upright = [TSV_HEADER, tsvRow(4, 2000, 40, -1), tsvRow(5, 200, 40, 90, 'Data'), tsvRow(5, 200, 40, 80, 'is')];
    expect(summarizeTsv(upright.join('\n'))).toEqual({ words: 2, meanConfidence: 85, runsVertically: false });
    // A sideways page: Tesseract reads the lines, but they run up the image.
    const sideways = [TSV_HEADER, tsvRow(4, 40, 2000, -1), tsvRow(4, 40, 1800, -1), tsvRow(5, 40, 200, 95, 'word')];
    expect(summarizeTsv(sideways.join('\n')).runsVertically).toBe(true);
    // Short one-character lines of Chinese do not outweigh the long ones across the page.
    const chinese = [TSV_HEADER, tsvRow(4, 2000, 50, -1), ...Array.from({ length: 9 }, () => tsvRow(4, 45, 50, -1))];
    expect(summarizeTsv(chinese.join('\n')).runsVertically).toBe(false);
    expect(summarizeTsv(TSV_HEADER)).toEqual({ words: 0, meanConfidence: 0, runsVertically: false });
  });

  it('asks for the orientation only when a page reads badly or sideways, and prefers the reading across the page', () => {
    expect(mayBeTurned({ words: 400, meanConfidence: 93, runsVertically: false })).toBe(false);
    expect(mayBeTurned({ words: 400, meanConfidence: 40, runsVertically: false })).toBe(true);
    expect(mayBeTurned({ words: 400, meanConfidence: 95, runsVertically: true })).toBe(true);
    const across = { words: 490, meanConfidence: 95.4, runsVertically: false };
    const up = { words: 491, meanConfidence: 95.6, runsVertically: true };
    expect(readsBetter(across, up)).toBe(true);
    expect(readsBetter(up, across)).toBe(false);
    expect(readsBetter({ words: 0, meanConfidence: 0, runsVertically: false }, up)).toBe(false);
  });

  it("reads Tesseract's orientation detection, turning only when it is sure", () => {
    const osd = (rotate: number, confidence: number): string =>
      `Page number: 0\nOrientation in degrees: ${(360 - rotate) % 360}\nRotate: ${rotate}\nOrientation confidence: ${confidence}\nScript: Latin\nScript confidence: 30.61\n`;
    expect(parseOrientation(osd(270, 26.9))).toBe(270);
    expect(parseOrientation(osd(180, 28.97))).toBe(180);
    expect(parseOrientation(osd(90, 3.2))).toBe(0);
    expect(parseOrientation(osd(0, 17))).toBe(0);
    expect(parseOrientation('')).toBe(0);
  });

  describe('runTool', () => {
    const cwd = os.tmpdir();
    it('kills a tool that runs past its timeout, and says so', async () => {
      const started = Date.now();
      const err = await runTool('sleep', ['30'], { cwd, timeoutSec: 0.3 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ToolError);
      expect(err).toMatchObject({ tool: 'sleep', timedOut: true, message: 'sleep took longer than 0.3 s' });
      expect(Date.now() - started).toBeLessThan(5000);
    });

    it('tells a tool that is not installed from one that fails', async () => {
      await expect(runTool('zhiku-no-such-tool', [], { cwd, timeoutSec: 10 })).rejects.toMatchObject({
        missing: true,
        message: 'zhiku-no-such-tool is not installed',
      });
      await expect(
        runTool('sh', ['-c', 'echo broken page >&2; exit 3'], { cwd, timeoutSec: 10 }),
      ).rejects.toMatchObject({
        missing: false,
        message: 'sh exited with code 3: broken page',
      });
    });

    it('stops the tool when the work is aborted, and returns its output otherwise', async () => {
      const stop = new AbortController();
      const running = runTool('sleep', ['30'], { cwd, timeoutSec: 60, signal: stop.signal });
      setTimeout(() => stop.abort(new Error('document deleted')), 100);
      await expect(running).rejects.toThrow('document deleted');
      await expect(runTool('echo', ['Rotate: 180'], { cwd, timeoutSec: 10 })).resolves.toBe('Rotate: 180\n');
    });
  });
});
