/**
 * Progress display for the CLI: a redrawn bar on an interactive terminal, plain throttled lines otherwise
 * (logs, CI, pipes), so that long jobs are visible in both.
 */
import type { ProgressFn } from '../core/progress.ts';

export interface ProgressSink {
  progress: ProgressFn;
  done(message?: string): void;
}

export function progressSink(label: string, stream: NodeJS.WriteStream = process.stderr): ProgressSink {
  const tty = Boolean(stream.isTTY);
  let lastPct = -1;
  let lastLine = 0;
  const width = 30;
  const progress: ProgressFn = (fraction, message) => {
    const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
    const pct = Math.floor(f * 100);
    if (tty) {
      if (pct === lastPct && !message) return;
      const filled = Math.round(f * width);
      const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
      const text = `${label} [${bar}] ${String(pct).padStart(3)}% ${message ?? ''}`;
      stream.write(`\r${text.slice(0, (stream.columns ?? 100) - 1).padEnd(Math.min(stream.columns ?? 100, 100) - 1)}`);
    } else {
      // Plain lines: at most one per 10 % step or per 5 s, so logs stay short.
      const now = Date.now();
      if (Math.floor(pct / 10) === Math.floor(lastPct / 10) && now - lastLine < 5000) return;
      lastLine = now;
      stream.write(`${label}: ${pct}%${message ? ` ${message}` : ''}\n`);
    }
    lastPct = pct;
  };
  return {
    progress,
    done(message) {
      if (tty) stream.write(`\r${' '.repeat(Math.min(stream.columns ?? 100, 100) - 1)}\r`);
      if (message) stream.write(`${label}: ${message}\n`);
    },
  };
}
