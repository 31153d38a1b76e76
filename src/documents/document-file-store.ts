import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';

const UPLOADS_FOLDER = 'uploads';
const STORAGE_KEY = /^uploads\/[0-9a-f-]{36}$/;

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

  async remove(...storageKeys: string[]): Promise<void> {
    await Promise.all(storageKeys.map((key) => fs.promises.rm(this.pathOf(key), { force: true })));
  }
}
