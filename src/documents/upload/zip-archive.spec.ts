import { deflateRawSync } from 'node:zlib';
import { ZIP_LIMITS, ZipArchive, ZipArchiveError } from './zip-archive';

/** A one-part ZIP written byte by byte, so a test can make it lie about the part's inflated size. */
function zipOf(name: string, content: Buffer, declaredSize = content.length): Buffer {
  const data = deflateRawSync(content);
  const fileName = Buffer.from(name);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(8, 8); // deflate
  local.writeUInt32LE(0, 14); // crc32 (checked by no one here)
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(declaredSize, 22);
  local.writeUInt16LE(fileName.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(8, 10);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(declaredSize, 24);
  central.writeUInt16LE(fileName.length, 28);
  central.writeUInt32LE(0, 42); // local header offset
  const centralOffset = local.length + fileName.length + data.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + fileName.length, 12);
  end.writeUInt32LE(centralOffset, 16);
  return Buffer.concat([local, fileName, data, central, fileName, end]);
}

describe('ZipArchive', () => {
  it('reads a part', async () => {
    const zip = await ZipArchive.open(zipOf('word/document.xml', Buffer.from('<w:document/>')));
    try {
      expect(zip.names()).toEqual(['word/document.xml']);
      expect(await zip.readText('word/document.xml')).toBe('<w:document/>');
      expect(await zip.read('missing.xml')).toBeUndefined();
    } finally {
      zip.close();
    }
  });

  it('refuses a part that declares a thousandfold inflation (a zip bomb) before inflating anything', async () => {
    const bomb = zipOf('xl/workbook.xml', Buffer.alloc(5 * 1024 * 1024));
    await expect(ZipArchive.open(bomb)).rejects.toMatchObject({
      reason: 'too-large',
      message: expect.stringMatching(/inflates \d+ times/),
    });
  });

  it('refuses archives declaring more than the inflated-size limit in all', async () => {
    const huge = zipOf('a.xml', Buffer.from('x'), ZIP_LIMITS.maxInflatedBytes + 1);
    await expect(ZipArchive.open(huge)).rejects.toBeInstanceOf(ZipArchiveError);
  });

  it('stops a part that inflates beyond the size it declared (a lying archive)', async () => {
    const liar = zipOf('ppt/presentation.xml', Buffer.alloc(2 * 1024 * 1024, 'a'), 100);
    const zip = await ZipArchive.open(liar);
    try {
      await expect(zip.read('ppt/presentation.xml')).rejects.toMatchObject({ reason: 'damaged' });
    } finally {
      zip.close();
    }
  });

  it('says "damaged" for bytes that are not a ZIP archive', async () => {
    await expect(ZipArchive.open(Buffer.from('PK\u0003\u0004 not really'))).rejects.toMatchObject({
      reason: 'damaged',
    });
  });
});
