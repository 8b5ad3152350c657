export * from './rpcClient.ts';
export * from './wallet.ts';
export * from './auditor/index.ts';
