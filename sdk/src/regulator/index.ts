export * from './errors.ts';
export * from './format.ts';
export * from './keyring.ts';
export * from './open.ts';
export * from './regulator.ts';
export * from './report.ts';
export * from './trace.ts';
export * from './rotate.ts';
