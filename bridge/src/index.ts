export * from './depositWatcher.ts';
