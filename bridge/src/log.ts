import { type Logger, pino } from 'pino';

export type { Logger };

/** JSON logs on stdout; `LOG_LEVEL` picks the level (tests pass `silent`). */
export function createLogger(name: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ name, level, base: { service: name } });
}

/** Serialises bigints in log fields (pino would throw on them). */
export function str(v: bigint | number | undefined | null): string | undefined {
  return v === undefined || v === null ? undefined : v.toString();
}
