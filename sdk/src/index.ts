export * from './rpcClient.ts';
export * from './wallet.ts';
