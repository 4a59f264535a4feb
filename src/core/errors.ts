/**
 * Errors with a stable code, an HTTP status and a message safe to show a user.
 *
 * Every error the platform raises on purpose is a GepError. The table below is the single place that maps a
 * code to its HTTP status and CLI exit code (convention: Fastify `lib/errors.js`). Messages name the input
 * and what was expected; they never contain a stack trace.
 */

export const ERROR_TABLE = {
  /** A user-supplied value is missing, of the wrong type, or out of range. */
  GEP_ERR_INVALID_INPUT: { status: 400, exit: 2 },
  /** A file or URL could not be found or read. */
  GEP_ERR_NOT_FOUND: { status: 404, exit: 2 },
  /** A file was found but its content is not what its format requires (corrupt, truncated, hostile). */
  GEP_ERR_CORRUPT_FILE: { status: 422, exit: 2 },
  /** A valid file uses a feature we do not read (e.g. an unusual compression). */
  GEP_ERR_UNSUPPORTED: { status: 422, exit: 2 },
  /** A file declares sizes beyond the limits we accept (guards against unbounded allocation). */
  GEP_ERR_TOO_LARGE: { status: 413, exit: 2 },
  /** A remote server failed or answered unexpectedly. */
  GEP_ERR_REMOTE: { status: 502, exit: 1 },
  /** The operation was cancelled through its AbortSignal. */
  GEP_ERR_ABORTED: { status: 499, exit: 130 },
  /** A bug: an invariant of our own code broke. */
  GEP_ERR_INTERNAL: { status: 500, exit: 1 },
} as const satisfies Record<string, { status: number; exit: number }>;

export type GepErrorCode = keyof typeof ERROR_TABLE;

export class GepError extends Error {
  readonly code: GepErrorCode;
  readonly status: number;
  readonly exitCode: number;
  /** Optional structured context (input name, file path, offsets) for logs and API bodies. */
  readonly details: Record<string, unknown> | undefined;

  constructor(code: GepErrorCode, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'GepError';
    this.code = code;
    this.status = ERROR_TABLE[code].status;
    this.exitCode = ERROR_TABLE[code].exit;
    this.details = details;
  }
}

export const invalidInput = (message: string, details?: Record<string, unknown>): GepError =>
  new GepError('GEP_ERR_INVALID_INPUT', message, details);

export const corruptFile = (file: string, message: string, details?: Record<string, unknown>): GepError =>
  new GepError('GEP_ERR_CORRUPT_FILE', `${file}: ${message}`, { file, ...details });

export const unsupported = (file: string, message: string, details?: Record<string, unknown>): GepError =>
  new GepError('GEP_ERR_UNSUPPORTED', `${file}: ${message}`, { file, ...details });

/** GEP_ERR_NOT_FOUND for a file that fs could not open: 'no such file' for ENOENT, else the system error code. */
export function openFailed(file: string, e: unknown): GepError {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return new GepError('GEP_ERR_NOT_FOUND', `${file}: ${code === 'ENOENT' ? 'no such file' : `cannot open (${code ?? String(e)})`}`, { file });
}

export function isGepError(e: unknown): e is GepError {
  return e instanceof GepError;
}

/** Throws GEP_ERR_ABORTED when the signal has fired; call between units of work. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new GepError('GEP_ERR_ABORTED', 'operation cancelled');
}

/** Turns any thrown value into a GepError without leaking internals: unknown errors become GEP_ERR_INTERNAL. */
export function toGepError(e: unknown): GepError {
  if (e instanceof GepError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  return new GepError('GEP_ERR_INTERNAL', `internal error: ${msg}`, undefined, { cause: e });
}
