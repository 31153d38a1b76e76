import { Global, MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { TypeOrmModule, getDataSourceToken } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { AccessChangesService } from './access-changes.service';
import { AccessGuard } from './access.guard';
import { AccessRepository } from './access.repository';
import { AccessService } from './access.service';
import { AskQuotaService } from './ask-quota.service';
import { ApiKey } from './api-key.entity';
import { ApiKeyRepository } from './api-key.repository';
import { AppSecretRepository } from './app-secret.repository';
import { ApiKeysController } from './api-keys.controller';
import { ApiKeysService } from './api-keys.service';
import { AuditDeletionsInterceptor } from './audit-deletions.interceptor';
import { AuditLogEntry } from './audit-log-entry.entity';
import { AuditController } from './audit.controller';
import { AuditService } from './audit.service';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { loadJwtSecret } from './jwt-secret';
import { KnowledgeBaseMember } from './knowledge-base-member.entity';
import { KnowledgeBaseMemberRepository } from './knowledge-base-member.repository';
import { MembersController } from './members.controller';
import { MembersService } from './members.service';
import { RateLimiterService } from './rate-limiter.service';
import { CleanTextMiddleware } from '../common/http/clean-text.middleware';
import { SetupController } from './setup.controller';
import { TokenService } from './token.service';
import { User } from './user.entity';
import { UserRepository } from './user.repository';
import { UsersController } from './users.controller';
import { UsersService } from './users.service';

/**
 * Accounts, API keys, knowledge-base membership, limits and the audit log. Provides the global
 * AccessGuard (every route needs credentials unless @Public) and exports AccessService and
 * AuditService for other features' list filters and audit entries, AskQuotaService for doors
 * that count asks themselves (MCP), and AccessChangesService for
 * streams that must end when their access does.
 */
@Global()
@Module({
  imports: [
    TypeOrmModule.forFeature([User, ApiKey, KnowledgeBaseMember, AuditLogEntry]),
    JwtModule.registerAsync({
      inject: [APP_CONFIG, getDataSourceToken()],
      useFactory: async (config: AppConfig, db: DataSource) => ({
        secret: await loadJwtSecret(config, new AppSecretRepository(db)),
        signOptions: { algorithm: 'HS256' },
        verifyOptions: { algorithms: ['HS256'] },
      }),
    }),
  ],
  controllers: [
    AuthController,
    SetupController,
    UsersController,
    ApiKeysController,
    MembersController,
    AuditController,
  ],
  providers: [
    UserRepository,
    ApiKeyRepository,
    KnowledgeBaseMemberRepository,
    AccessRepository,
    UsersService,
    TokenService,
    AuthService,
    ApiKeysService,
    AccessService,
    MembersService,
    AuditService,
    RateLimiterService,
    AskQuotaService,
    AccessChangesService,
    { provide: APP_GUARD, useClass: AccessGuard },
    { provide: APP_INTERCEPTOR, useClass: AuditDeletionsInterceptor },
  ],
  exports: [AccessService, AuditService, AccessChangesService, AskQuotaService],
})
export class AuthModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(CleanTextMiddleware).forRoutes('{*splat}');
  }
}
