export * from './rpcClient.ts';
export * from './wallet.ts';
export * from './auditor/index.ts';
export * from './privacy/index.ts';
export * from './regulator/index.ts';
