import { INestApplication, ValidationPipe } from '@nestjs/common';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import helmet from 'helmet';
import { Logger } from 'nestjs-pino';
import { AllExceptionsFilter } from './common/http/all-exceptions.filter';
import { refuseUnsafeRequestShapes } from './common/http/request-shape';
import { AppConfig } from './config/app-config';

/** JSON bodies above this are refused with 413 before any handler runs. */
export const JSON_BODY_LIMIT = '1mb';

/**
 * body-parser's errors (broken JSON, too large) and refused request shapes go straight to the exception filter, which words them for a
 * person. Passed on, they would reach ServeStaticModule's error handler first, which turns any error on its
 * excluded routes (/api, /v1) into a 404.
 */
function answerBodyParserErrors(filter: AllExceptionsFilter) {
  return (err: unknown, req: Request, res: Response, next: NextFunction): void =>
    filter.catch(err, new ExecutionContextHost([req, res, next]));
}

/** The admin UI loads its own scripts and styles only; inline styles come from Element Plus. */
const CSP_DIRECTIVES = {
  defaultSrc: ["'self'"],
  baseUri: ["'self'"],
  fontSrc: ["'self'", 'data:'],
  formAction: ["'self'"],
  frameAncestors: ["'self'"],
  scriptSrc: ["'self'"],
  scriptSrcAttr: ["'none'"],
  styleSrc: ["'self'", "'unsafe-inline'"],
  imgSrc: ["'self'", 'data:', 'blob:'],
  mediaSrc: ["'self'", 'blob:'],
  frameSrc: ["'self'", 'blob:'],
  objectSrc: ["'self'", 'blob:'],
  connectSrc: ["'self'"],
};

/**
 * helmet's headers, with HSTS and `upgrade-insecure-requests` only for requests that arrived over HTTPS
 * (`req.secure`: directly, or through a proxy TRUST_PROXY believes). Sent over plain HTTP, they make a
 * browser that opened http://<server>:3000 by name or LAN address fetch every script over HTTPS, and the
 * UI stays blank; loopback is exempt in browsers, so only remote users would see it.
 */
export function securityHeaders(mode: AppConfig['httpsHeaders']): RequestHandler {
  const overHttp = helmet({
    contentSecurityPolicy: { useDefaults: false, directives: CSP_DIRECTIVES },
    strictTransportSecurity: false,
  });
  const overHttps = helmet({
    contentSecurityPolicy: { useDefaults: false, directives: { ...CSP_DIRECTIVES, upgradeInsecureRequests: [] } },
    strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: false },
  });
  return (req, res, next) => {
    const https = mode === 'always' || (mode === 'auto' && req.secure);
    (https ? overHttps : overHttp)(req, res, next);
  };
}

/**
 * Pipes, filters, security headers and OpenAPI: shared by main.ts and the e2e tests. The app must be
 * created with `bodyParser: false` so the limits below are the only body parsers.
 */
export function configureApp(app: INestApplication, config: AppConfig): void {
  const express = app as NestExpressApplication;
  app.useLogger(app.get(Logger));
  express.useBodyParser('json', { limit: JSON_BODY_LIMIT });
  express.useBodyParser('urlencoded', { limit: JSON_BODY_LIMIT, extended: false });
  express.use(refuseUnsafeRequestShapes());
  const exceptionFilter = new AllExceptionsFilter();
  express.use(answerBodyParserErrors(exceptionFilter));
  express.disable('x-powered-by');
  express.set('trust proxy', config.trustProxy);
  app.use(securityHeaders(config.httpsHeaders));
  if (config.corsOrigins.length) {
    app.enableCors({ origin: config.corsOrigins, credentials: false, exposedHeaders: ['X-Request-Id'] });
  }
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));
  app.useGlobalFilters(exceptionFilter);
  app.enableShutdownHooks();

  const openApi = new DocumentBuilder()
    .setTitle('zhiku')
    .setDescription('知库: knowledge-base question answering over your documents with a local Ollama')
    .setVersion('0.1.0')
    .addBearerAuth({
      type: 'http',
      scheme: 'bearer',
      description: 'An access token from /api/auth/login or an API key (zk_…)',
    })
    .addSecurityRequirements('bearer')
    .build();
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, openApi), { jsonDocumentUrl: 'docs-json' });
}
