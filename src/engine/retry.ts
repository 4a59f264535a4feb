/** Riding out a database that is restarting or briefly unreachable. */
import { sqlState } from '../store/db.ts';

/**
 * Whether `e` is a lost or refused database connection (not a statement error): socket errors, SQLSTATE class
 * 08 (connection exception) and 57P01..57P03 (server shutting down or starting), pg's "Connection terminated".
 */
export function isConnectionError(e: unknown): boolean {
  const state = sqlState(e);
  if (state && (state.startsWith('08') || state === '57P01' || state === '57P02' || state === '57P03')) return true;
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|ENOTFOUND|EAI_AGAIN)$/.test(code)) return true;
  const msg = e instanceof Error ? e.message : '';
  return /Connection terminated|connection is closed|Client has encountered a connection error|terminating connection/i.test(msg);
}

/**
 * Calls `fn` until it succeeds or `budgetMs` has passed, waiting 0.2 s, 0.4 s ... 3 s between tries. With
 * `onlyConnection`, other errors are thrown at once. The last error is thrown.
 */
export async function withRetry<R>(fn: () => Promise<R>, budgetMs = 60_000, onlyConnection = false): Promise<R> {
  const t0 = Date.now();
  for (let wait = 200; ; wait = Math.min(3000, wait * 2)) {
    try {
      return await fn();
    } catch (e) {
      if ((onlyConnection && !isConnectionError(e)) || Date.now() - t0 + wait > budgetMs) throw e;
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}
