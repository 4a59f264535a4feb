/**
 * HTTP error responses: every error leaves the server as an RFC 7807 "problem details" object
 * (application/problem+json) with `type`, `title`, `status`, `detail`, `instance`, our stable `code`
 * (src/core/errors.ts) and the request id; never a stack trace or an internal message.
 *
 * - GepError -> its status and code; GEP_ERR_INTERNAL keeps its message out of the body (it is logged).
 * - Fastify validation errors -> 400 GEP_ERR_INVALID_INPUT with Fastify's message (it names the parameter).
 * - Other Fastify client errors (bad JSON, unsupported media type, body too large) -> their 4xx status.
 * - Anything else -> 500 GEP_ERR_INTERNAL with a generic message.
 * - Unknown routes -> 404 GEP_ERR_NOT_FOUND.
 *
 * `type` is a URN per code (urn:gep:error:invalid-input ...), unless a GepError's details carry an
 * `exceptionType` URI (e.g. OGC API - Processes' http://www.opengis.net/def/exceptions/ogcapi-processes-1/1.0/no-such-process).
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_TABLE, GepError, type GepErrorCode } from '../core/errors.ts';

export const PROBLEM_JSON = 'application/problem+json';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: GepErrorCode;
  instance?: string;
  requestId?: string;
  /** The request parameter at fault, when known. */
  parameter?: string;
}

const TITLES: Record<GepErrorCode, string> = {
  GEP_ERR_INVALID_INPUT: 'Invalid input',
  GEP_ERR_NOT_FOUND: 'Not found',
  GEP_ERR_CORRUPT_FILE: 'Corrupt file',
  GEP_ERR_UNSUPPORTED: 'Unsupported',
  GEP_ERR_TOO_LARGE: 'Too large',
  GEP_ERR_REMOTE: 'Remote server error',
  GEP_ERR_ABORTED: 'Cancelled',
  GEP_ERR_INTERNAL: 'Internal server error',
};

/** The problem `type` URN of a code: GEP_ERR_INVALID_INPUT -> urn:gep:error:invalid-input. */
export function problemType(code: GepErrorCode): string {
  return `urn:gep:error:${code.replace(/^GEP_ERR_/, '').toLowerCase().replace(/_/g, '-')}`;
}

const MAX_DETAIL = 2000;

/** The problem object for a GepError (internal errors get a generic detail). */
export function problemOf(e: GepError, instance?: string, requestId?: string): Problem {
  const internal = e.code === 'GEP_ERR_INTERNAL';
  const detail = internal ? `internal error${requestId ? ` (request ${requestId})` : ''}` : e.message.slice(0, MAX_DETAIL);
  const exType = e.details?.exceptionType;
  const p: Problem = {
    type: typeof exType === 'string' ? exType : problemType(e.code),
    title: TITLES[e.code],
    status: e.status,
    detail,
    code: e.code,
  };
  if (instance !== undefined) p.instance = instance;
  if (requestId !== undefined) p.requestId = requestId;
  const param = e.details?.parameter;
  if (typeof param === 'string') p.parameter = param;
  return p;
}

/** A code for a Fastify client error status. */
function codeForStatus(status: number): GepErrorCode {
  if (status === 404) return 'GEP_ERR_NOT_FOUND';
  if (status === 413) return 'GEP_ERR_TOO_LARGE';
  if (status === 415) return 'GEP_ERR_UNSUPPORTED';
  return 'GEP_ERR_INVALID_INPUT';
}

/** Maps any thrown value to a GepError whose message is safe to show. */
export function httpError(err: unknown): GepError {
  if (err instanceof GepError) return err;
  const fe = err as Partial<FastifyError> | null;
  if (fe && typeof fe === 'object' && Array.isArray(fe.validation)) {
    const first = fe.validation[0] as { instancePath?: string; params?: { missingProperty?: string } } | undefined;
    const ctx = fe.validationContext ?? '';
    const name = first?.params?.missingProperty ?? first?.instancePath?.replace(/^\//, '').split('/')[0];
    return new GepError('GEP_ERR_INVALID_INPUT', String(fe.message ?? 'invalid request'), {
      ...(name ? { parameter: name } : ctx ? { parameter: ctx } : {}),
    });
  }
  const status = fe && typeof fe === 'object' ? fe.statusCode : undefined;
  if (typeof status === 'number' && status >= 400 && status < 500 && typeof fe?.code === 'string' && fe.code.startsWith('FST_'))
    return new GepError(codeForStatus(status), String(fe.message ?? 'bad request'));
  return new GepError('GEP_ERR_INTERNAL', 'internal error', undefined, { cause: err });
}

/** Sends a problem response. */
export function sendProblem(reply: FastifyReply, p: Problem): FastifyReply {
  return reply.code(p.status).type(PROBLEM_JSON).send(p);
}

/** Installs the error handler and the not-found handler on the root instance (children inherit them). */
export function registerErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err: unknown, req: FastifyRequest, reply: FastifyReply) => {
    const ge = httpError(err);
    // GEP_ERR_ABORTED (499) means the client went away; other server-side errors are logged with their cause.
    if (ge.status >= 500) req.log.error({ err, code: ge.code }, 'request failed');
    else req.log.info({ code: ge.code, msg: ge.message }, 'request refused');
    if (reply.sent || reply.raw.headersSent) return;
    // Drop headers a handler may have set for the success case (content-range, etag, content-length ...).
    for (const h of ['content-range', 'content-length', 'etag', 'last-modified', 'content-disposition', 'accept-ranges'])
      reply.removeHeader(h);
    // Fastify's own client errors keep their precise status (415, 413 ...); ours come from the code table.
    const fs = (err as Partial<FastifyError> | null)?.statusCode;
    const status = ge !== err && typeof fs === 'number' && fs >= 400 && fs < 500 ? fs : ge.status;
    return sendProblem(reply, { ...problemOf(ge, req.url.split('?')[0], req.id), status });
  });
  app.setNotFoundHandler((req: FastifyRequest, reply: FastifyReply) => {
    const path = req.url.split('?')[0] ?? '';
    const e = new GepError('GEP_ERR_NOT_FOUND', `no resource at ${req.method} ${path.slice(0, 500)}`);
    return sendProblem(reply, problemOf(e, path, req.id));
  });
}

/** OpenAPI 3.0 components every error response refers to (`#/components/responses/Problem`). */
export const PROBLEM_COMPONENTS = {
  schemas: {
    Problem: {
      type: 'object',
      description: 'RFC 7807 problem details with the platform error code.',
      required: ['type', 'title', 'status', 'detail', 'code'],
      properties: {
        type: { type: 'string', format: 'uri-reference' },
        title: { type: 'string' },
        status: { type: 'integer' },
        detail: { type: 'string' },
        code: { type: 'string', enum: Object.keys(ERROR_TABLE) },
        instance: { type: 'string' },
        requestId: { type: 'string' },
        parameter: { type: 'string' },
      },
    },
  },
  responses: {
    Problem: {
      description: 'An error (RFC 7807 problem details).',
      content: { [PROBLEM_JSON]: { schema: { $ref: '#/components/schemas/Problem' } } },
    },
  },
} as const;
