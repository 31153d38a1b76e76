import { CallHandler, ExecutionContext, Inject, Injectable, NestInterceptor } from '@nestjs/common';
import type { Request, RequestHandler, Response } from 'express';
import multer from 'multer';
import { Observable } from 'rxjs';
import { DomainError } from '../../common/errors/domain-error';
import { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { DocumentFileStore } from '../document-file-store';
import { HashingDiskStorage } from './hashing-disk-storage';

export const UPLOAD_FIELD = 'files';
export const MAX_FILES_PER_UPLOAD = 50;

/**
 * Streams multipart field "files" (1..50 files) to DATA_DIR before the handler runs; guards run
 * first, so an unauthorised caller never gets to write. Multer's errors become plain-words 4xx.
 */
@Injectable()
export class DocumentUploadInterceptor implements NestInterceptor {
  private readonly upload: RequestHandler;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    files: DocumentFileStore,
  ) {
    this.upload = multer({
      storage: new HashingDiskStorage(files),
      limits: {
        fileSize: config.maxUploadMb * 1024 * 1024,
        files: MAX_FILES_PER_UPLOAD,
        fields: 20,
        parts: MAX_FILES_PER_UPLOAD + 20,
      },
      // Keep what the client sent so names with path separators are refused, not silently cut; names are UTF-8.
      preservePath: true,
      defParamCharset: 'utf8',
    }).array(UPLOAD_FIELD, MAX_FILES_PER_UPLOAD);
  }

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const http = context.switchToHttp();
    await new Promise<void>((resolve, reject) =>
      this.upload(http.getRequest<Request>(), http.getResponse<Response>(), (err?: unknown) =>
        err ? reject(this.toUploadError(err)) : resolve(),
      ),
    );
    return next.handle();
  }

  private toUploadError(err: unknown): unknown {
    if (!(err instanceof multer.MulterError)) {
      // File-system trouble (ENOSPC, EACCES…) is ours; anything else busboy throws is a malformed request.
      if (typeof (err as { syscall?: unknown })?.syscall === 'string') return err;
      const message = (err as Error)?.message ?? String(err);
      return new DomainError('INVALID_UPLOAD', `The upload is not valid multipart/form-data: ${message}`, 400);
    }
    switch (err.code) {
      case 'LIMIT_FILE_SIZE':
        return new DomainError(
          'FILE_TOO_LARGE',
          `A file is larger than the limit of ${this.config.maxUploadMb} MB (MAX_UPLOAD_MB); nothing was stored.`,
          413,
        );
      case 'LIMIT_FILE_COUNT':
        return new DomainError(
          'TOO_MANY_FILES',
          `Upload at most ${MAX_FILES_PER_UPLOAD} files at once; nothing was stored.`,
          400,
        );
      case 'LIMIT_UNEXPECTED_FILE':
        return new DomainError(
          'INVALID_UPLOAD',
          `Send the files in the multipart field "${UPLOAD_FIELD}" (got "${err.field}").`,
          400,
        );
      default:
        return new DomainError('INVALID_UPLOAD', `The upload was refused: ${err.message}.`, 400);
    }
  }
}
