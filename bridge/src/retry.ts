import { RetriesExhaustedError } from './errors.ts';

export type RetryOptions = {
  attempts: number;
  baseMs: number;
  maxMs: number;
  /** Return false for errors that retrying cannot fix (they are rethrown at once). */
  retriable?: (err: unknown) => boolean;
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
};

export const DEFAULT_RETRY: RetryOptions = { attempts: 5, baseMs: 200, maxMs: 10_000 };

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Exponential backoff with full jitter, capped, after the `attempt`-th consecutive failure (1-based). */
export function backoffDelay(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt - 1, 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Runs `fn` up to `attempts` times with backoff; the last failure is wrapped in RetriesExhaustedError. */
export async function withRetry<T>(
  what: string,
  fn: () => Promise<T>,
  opts: RetryOptions = DEFAULT_RETRY,
): Promise<T> {
  let last: unknown;
  for (let attempt = 1; attempt <= opts.attempts; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (opts.retriable && !opts.retriable(err)) throw err;
      last = err;
      if (attempt === opts.attempts) break;
      const delay = backoffDelay(attempt, opts.baseMs, opts.maxMs);
      opts.onRetry?.(err, attempt, delay);
      await sleep(delay);
    }
  }
  throw new RetriesExhaustedError(what, opts.attempts, last);
}
