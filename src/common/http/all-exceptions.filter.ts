import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { DomainError, errorViewFor } from '../errors/domain-error';

export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  requestId?: string;
  [extra: string]: unknown;
}

const STATUS_CODES: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  406: 'NOT_ACCEPTABLE',
  408: 'REQUEST_TIMEOUT',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'UNPROCESSABLE_ENTITY',
  429: 'TOO_MANY_REQUESTS',
  503: 'SERVICE_UNAVAILABLE',
};

/** OpenAI's error `type` for a status, as its SDKs expect on the /v1 routes. */
function openAiErrorType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  if (status < 500) return 'invalid_request_error';
  return 'api_error';
}

/**
 * The one place where errors become HTTP: domain errors keep their code and status, Nest's HTTP
 * exceptions (validation, multer, body parser) get a plain-words message, anything else is a 500 that
 * is logged with the request id. Routes under /v1 answer in OpenAI's `{"error": {...}}` shape, routes under
 * /ollama in Ollama's `{"error": "…"}`. Callers who
 * are not administrators get an error's redacted view (`forNonAdmins`) when it has one.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const res = http.getResponse<Response>();
    const req = http.getRequest<Request & { id?: string }>();
    const body = this.toBody(exception, req);

    if (res.headersSent) {
      // A streaming response already started (SSE); the stream itself reports the error.
      if (!res.writableEnded) res.end();
      return;
    }
    if (req.path?.startsWith('/v1/')) {
      res.status(body.statusCode).json({
        error: {
          message: body.message,
          type: openAiErrorType(body.statusCode),
          param: null,
          code: body.error.toLowerCase(),
        },
      });
      return;
    }
    if (req.path === '/ollama' || req.path?.startsWith('/ollama/')) {
      res.status(body.statusCode).json({ error: body.message });
      return;
    }
    res.status(body.statusCode).json(body);
  }

  toBody(exception: unknown, req: Request & { id?: string }): ErrorBody {
    if (exception instanceof DomainError) {
      const { message, details } = errorViewFor(exception, callerIsAdmin(req));
      return { statusCode: exception.httpStatus, error: exception.code, message, ...(details ?? {}) };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const response = exception.getResponse();
      let message = exception.message;
      let code = STATUS_CODES[status] ?? `HTTP_${status}`;
      if (isHealthReport(response)) {
        // Terminus' report (status, info, error, details) is the body /health promises.
        return {
          statusCode: status,
          error: STATUS_CODES[status] ?? `HTTP_${status}`,
          message: 'Some dependencies are down',
          ...response,
        };
      }
      if (typeof response === 'object' && response !== null) {
        const r = response as { message?: unknown; error?: unknown; code?: unknown };
        if (Array.isArray(r.message)) {
          message = r.message.join('; ');
          if (status === 400) code = 'VALIDATION_FAILED';
        } else if (typeof r.message === 'string') {
          message = r.message;
        }
        if (typeof r.code === 'string') code = r.code;
      }
      return { statusCode: status, error: code, message: plainMessage(status, message) };
    }
    // body-parser and other express-level errors carry a status and a type.
    const expressError = exception as { status?: number; statusCode?: number; type?: string; message?: string };
    const status = expressError?.status ?? expressError?.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      let message = expressError.message ?? 'Bad request';
      if (expressError.type === 'entity.too.large') message = 'The request body is too large';
      if (expressError.type === 'entity.parse.failed') message = `The request body is not valid JSON: ${message}`;
      return { statusCode: status, error: STATUS_CODES[status] ?? `HTTP_${status}`, message };
    }

    const requestId = String(req.id ?? '');
    this.logger.error(
      { err: exception, requestId, method: req.method, url: req.originalUrl },
      `Unhandled error on ${req.method} ${req.path}`,
    );
    return {
      statusCode: HttpStatus.INTERNAL_SERVER_ERROR,
      error: 'INTERNAL_ERROR',
      message: `Something went wrong on our side. The error was logged with request id ${requestId}.`,
      requestId,
    };
  }
}

/** Set by the accounts guard; unauthenticated callers are not administrators. */
export function callerIsAdmin(req: Request): boolean {
  return (req as Request & { principal?: { role?: string } }).principal?.role === 'admin';
}

function isHealthReport(response: unknown): response is Record<string, unknown> {
  return typeof response === 'object' && response !== null && 'details' in response && 'status' in response;
}

function plainMessage(status: number, message: string): string {
  if (status === 404 && /^Cannot (GET|POST|PUT|PATCH|DELETE)/.test(message)) {
    return `No such route: ${message.replace(/^Cannot /, '')}`;
  }
  return message;
}
