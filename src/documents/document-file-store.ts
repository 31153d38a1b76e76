import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';

const UPLOADS_FOLDER = 'uploads';
const STORAGE_KEY = /^uploads\/[0-9a-f-]{36}$/;
/** The searchable PDF made by OCR from an original (a scan, an image) lives beside it under this suffix. */
const SEARCHABLE_COPY_SUFFIX = '.searchable.pdf';

/**
 * Originals under DATA_DIR, always under generated names (`uploads/<uuid>`): the user's file name is
 * metadata only and never reaches the file system.
 */
@Injectable()
export class DocumentFileStore {
  constructor(@Inject(APP_CONFIG) private readonly config: Pick<AppConfig, 'dataDir'>) {}

  newStorageKey(): string {
    return `${UPLOADS_FOLDER}/${randomUUID()}`;
  }

  pathOf(storageKey: string): string {
    if (!STORAGE_KEY.test(storageKey)) throw new Error(`not a storage key: ${storageKey}`);
    return path.join(this.config.dataDir, storageKey);
  }

  async ensureFolder(): Promise<void> {
    await fs.promises.mkdir(path.join(this.config.dataDir, UPLOADS_FOLDER), { recursive: true });
  }

  read(storageKey: string): Promise<Buffer> {
    return fs.promises.readFile(this.pathOf(storageKey));
  }

  openReadStream(storageKey: string): fs.ReadStream {
    return fs.createReadStream(this.pathOf(storageKey));
  }

  async exists(storageKey: string): Promise<boolean> {
    return fs.promises.access(this.pathOf(storageKey)).then(
      () => true,
      () => false,
    );
  }

  /** Removes originals and their searchable copies. */
  async remove(...storageKeys: string[]): Promise<void> {
    await Promise.all(
      storageKeys.flatMap((key) => [
        fs.promises.rm(this.pathOf(key), { force: true }),
        fs.promises.rm(this.searchableCopyPath(key), { force: true }),
      ]),
    );
  }

  /** Where the OCR'd searchable PDF of an original is kept (it may not exist). */
  searchableCopyPath(storageKey: string): string {
    return this.pathOf(storageKey) + SEARCHABLE_COPY_SUFFIX;
  }

  /** The searchable copy of an original, opened for reading, or undefined when there is none. */
  async openSearchableCopy(storageKey: string): Promise<{ stream: fs.ReadStream; sizeBytes: number } | undefined> {
    const copy = this.searchableCopyPath(storageKey);
    const stat = await fs.promises.stat(copy).catch(() => undefined);
    return stat ? { stream: fs.createReadStream(copy), sizeBytes: stat.size } : undefined;
  }

  /** Keeps the searchable copy of an original, replacing an earlier one in one step (write, then rename). */
  async writeSearchableCopy(storageKey: string, data: Buffer): Promise<void> {
    const target = this.searchableCopyPath(storageKey);
    const partial = `${target}.${randomUUID()}.partial`;
    await fs.promises.writeFile(partial, data);
    await fs.promises.rename(partial, target);
  }
}
