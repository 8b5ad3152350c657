export * from './audit.ts';
export * from './certificate.ts';
export * from './claim.ts';
export * from './l1Reader.ts';
