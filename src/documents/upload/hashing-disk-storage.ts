import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Request } from 'express';
import type { StorageEngine } from 'multer';
import { DocumentFileStore } from '../document-file-store';
import { FILE_HEAD_BYTES } from './file-type';

/** An uploaded file as multer hands it to the controller once it is on disk. */
export interface StoredUpload extends Express.Multer.File {
  storageKey: string;
  sha256: string;
  /** The first bytes, for type detection by content. */
  head: Buffer;
}

/**
 * Multer storage that streams each file straight to DATA_DIR under a generated name, computing its
 * SHA-256 and keeping its first bytes on the way, so nothing is buffered in memory or read twice.
 */
export class HashingDiskStorage implements StorageEngine {
  constructor(private readonly files: DocumentFileStore) {}

  _handleFile(
    _req: Request,
    file: Express.Multer.File,
    callback: (error?: unknown, info?: Partial<StoredUpload>) => void,
  ): void {
    const storageKey = this.files.newStorageKey();
    const target = this.files.pathOf(storageKey);
    const hash = createHash('sha256');
    const headParts: Buffer[] = [];
    let headLength = 0;
    let size = 0;
    const tap = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        size += chunk.length;
        if (headLength < FILE_HEAD_BYTES) {
          headParts.push(chunk.subarray(0, FILE_HEAD_BYTES - headLength));
          headLength += Math.min(chunk.length, FILE_HEAD_BYTES - headLength);
        }
        done(null, chunk);
      },
    });
    this.files
      .ensureFolder()
      .then(() => pipeline(file.stream, tap, fs.createWriteStream(target, { flags: 'wx' })))
      .then(
        () =>
          callback(null, {
            path: target,
            size,
            storageKey,
            sha256: hash.digest('hex'),
            head: Buffer.concat(headParts),
          }),
        (err) => fs.promises.rm(target, { force: true }).finally(() => callback(err)),
      );
  }

  _removeFile(_req: Request, file: Express.Multer.File, callback: (error: Error | null) => void): void {
    fs.promises.rm(file.path, { force: true }).then(
      () => callback(null),
      (err: Error) => callback(err),
    );
  }
}
