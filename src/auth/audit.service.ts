import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { AuditLogEntry } from './audit-log-entry.entity';
import { Principal } from './principal';

export interface AuditTarget {
  type: string;
  id: string;
}

export interface AuditExtra {
  outcome?: 'success' | 'failure';
  ip?: string | null;
  /** Who tried, when there is no principal (failed logins). */
  actorEmail?: string;
}

export interface AuditQuery {
  action?: string;
  page: number;
  pageSize: number;
}

/** Writes the audit log: who did what to which thing, and when. */
@Injectable()
export class AuditService {
  private readonly logger = new Logger(AuditService.name);

  constructor(@InjectRepository(AuditLogEntry) private readonly entries: Repository<AuditLogEntry>) {}

  /**
   * Records one event. Never throws: a failed audit write is logged as an error, and the action it
   * describes (already done) stands.
   */
  async record(
    principal: Principal | null | undefined,
    action: string,
    target?: AuditTarget | null,
    details: Record<string, unknown> = {},
    extra: AuditExtra = {},
  ): Promise<void> {
    try {
      await this.entries.save(
        this.entries.create({
          action,
          outcome: extra.outcome ?? 'success',
          actorUserId: principal?.userId ?? null,
          actorEmail: (principal?.email ?? extra.actorEmail ?? null)?.slice(0, 320) ?? null,
          actorApiKeyId: principal?.apiKeyId ?? null,
          targetType: target?.type ?? null,
          targetId: target?.id?.slice(0, 200) ?? null,
          ip: extra.ip?.slice(0, 64) ?? null,
          details,
        }),
      );
    } catch (err) {
      this.logger.error({ err, action }, `could not write the audit log entry ${action}`);
    }
  }

  async list(query: AuditQuery): Promise<{ items: AuditLogEntry[]; total: number }> {
    const [items, total] = await this.entries.findAndCount({
      where: query.action ? { action: query.action } : {},
      order: { id: 'DESC' },
      skip: (query.page - 1) * query.pageSize,
      take: query.pageSize,
    });
    return { items, total };
  }
}
