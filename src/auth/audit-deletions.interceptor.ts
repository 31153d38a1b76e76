import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Observable, from, mergeMap } from 'rxjs';
import { KNOWLEDGE_BASE_ACCESS_KEY, KnowledgeBaseAccessRule, KnowledgeBaseSource } from './access.decorators';
import type { AuthenticatedRequest } from './access.guard';
import { AuditService } from './audit.service';

const TARGET_TYPES: Record<KnowledgeBaseSource, string> = {
  knowledgeBase: 'knowledge_base',
  knowledgeBaseSlug: 'knowledge_base',
  document: 'document',
  chunk: 'chunk',
  conversation: 'conversation',
};

/**
 * Writes every successful DELETE on a knowledge-base route (knowledge bases, documents, members…)
 * to the audit log with who, when and what (by name), without the owning services knowing.
 * Action names: `knowledge_base.delete`, `document.delete`, or `<last path word>.delete` for
 * sub-resources, e.g. `members.delete`.
 */
@Injectable()
export class AuditDeletionsInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly audit: AuditService,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const rule = this.reflector.getAllAndOverride<KnowledgeBaseAccessRule | undefined>(KNOWLEDGE_BASE_ACCESS_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (req.method !== 'DELETE' || !rule) return next.handle();

    const routePath: string = (req.route as { path?: string } | undefined)?.path ?? req.path;
    const segments = routePath.split('/').filter(Boolean);
    const last = segments[segments.length - 1] ?? '';
    const accessParam = rule.body ? undefined : `:${rule.param}`;
    let targetType: string;
    let targetId: string;
    if (last === accessParam) {
      targetType = TARGET_TYPES[rule.from];
      targetId = String(req.params[rule.param]);
    } else {
      const word = [...segments].reverse().find((s) => !s.startsWith(':')) ?? 'resource';
      const lastParam = last.startsWith(':') ? last.slice(1) : undefined;
      targetType = word.replace(/-/g, '_');
      targetId = lastParam ? String(req.params[lastParam]) : routePath;
    }
    const details = {
      path: routePath,
      knowledgeBaseId: req.knowledgeBaseAccess?.knowledgeBaseId,
      name: last === accessParam ? (req.knowledgeBaseAccess?.label ?? undefined) : undefined,
    };
    return next.handle().pipe(
      mergeMap((result) =>
        from(
          this.audit
            .record(req.principal, `${targetType}.delete`, { type: targetType, id: String(targetId) }, details, {
              ip: req.ip,
            })
            .then(() => result),
        ),
      ),
    );
  }
}
