import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { freePort } from '@tessera/core/net/freePort';
import {
  http,
  type Abi,
  type Hex,
  concatHex,
  createTestClient,
  createWalletClient,
  encodeAbiParameters,
  encodeEventTopics,
  publicActions,
} from 'viem';
import { foundry } from 'viem/chains';

/**
 * Runtime code standing in for the rollup and bridge contracts in module tests of the L1
 * watcher: it copies the calldata to memory and emits LOGk with topics = the first k calldata
 * words and data = the rest. The test emits exactly the events the contracts' ABI declares and
 * the explorer reads them back from a real node with eth_getLogs.
 *   CALLDATASIZE 0 0 CALLDATACOPY, MLOAD(32·(k−1)) … MLOAD(0), 32k CALLDATASIZE SUB, 32k, LOGk, STOP
 */
export function logEmitterCode(topics: number): Hex {
  if (topics < 0 || topics > 4) throw new RangeError('LOG0..LOG4');
  const byte = (n: number) => n.toString(16).padStart(2, '0');
  let code = '366000600037';
  for (let i = topics - 1; i >= 0; i--) code += `60${byte(32 * i)}51`;
  code += `60${byte(32 * topics)}360360${byte(32 * topics)}${byte(0xa0 + topics)}00`;
  return `0x${code}`;
}

function anvilBinary(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@foundry-rs/anvil-linux-amd64/package.json')), 'bin', 'anvil');
}

export type Anvil = Awaited<ReturnType<typeof startAnvil>>;

export async function startAnvil() {
  const port = await freePort();
  const proc: ChildProcess = spawn(
    anvilBinary(),
    ['--port', String(port), '--host', '127.0.0.1', '--silent'],
    { stdio: 'ignore' },
  );
  const rpcUrl = `http://127.0.0.1:${port}`;
  const client = createTestClient({
    chain: foundry,
    mode: 'anvil',
    transport: http(rpcUrl),
    pollingInterval: 50,
  }).extend(publicActions);
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      await client.getBlockNumber();
      break;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const wallet = createWalletClient({ chain: foundry, transport: http(rpcUrl) });
  const [from] = await wallet.getAddresses();
  return {
    rpcUrl,
    /** Emit one ABI event from `address` (its code is swapped for a LOGk emitter); resolves once mined. */
    async emit(address: Hex, abi: Abi, eventName: string, args: Record<string, unknown>) {
      const event = abi.find((x) => x.type === 'event' && x.name === eventName);
      if (!event || event.type !== 'event') throw new Error(`no event ${eventName}`);
      const topics = encodeEventTopics({ abi: [event], eventName, args } as never) as Hex[];
      const plain = event.inputs.filter((i) => !i.indexed);
      const data = encodeAbiParameters(
        plain,
        plain.map((i) => args[i.name!]),
      );
      await client.setCode({ address, bytecode: logEmitterCode(topics.length) });
      const hash = await wallet.sendTransaction({
        account: from!,
        to: address,
        data: concatHex([...topics, data]),
        chain: foundry,
      });
      const receipt = await client.waitForTransactionReceipt({ hash });
      if (receipt.logs.length !== 1 || receipt.logs[0]!.topics.length !== topics.length)
        throw new Error('emitter did not log');
      return hash;
    },
    async stop() {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
    },
  };
}

/** The real contracts' events, emitted through `Anvil.emit`. */
export function contractEvents(anvil: Anvil, abis: { rollup: Abi; bridge: Abi }, rollup: Hex, bridge: Hex) {
  const zero32 = `0x${'00'.repeat(32)}` as Hex;
  const someone = '0x000000000000000000000000000000000000c0de' as Hex;
  return {
    commit: (height: bigint, blockHash: Hex) =>
      anvil.emit(rollup, abis.rollup, 'BatchCommitted', {
        height,
        blockHash,
        stateRoot: 1n,
        publicInput: 2n,
        exitRoot: zero32,
        depositStart: 0n,
        depositCount: 0,
        exitCount: 0,
      }),
    verify: (height: bigint) =>
      anvil.emit(rollup, abis.rollup, 'BatchVerified', { height, stateRoot: 1n, submitter: someone }),
    revert: (fromHeight: bigint, toHeight: bigint) =>
      anvil.emit(rollup, abis.rollup, 'BatchesReverted', { fromHeight, toHeight }),
    deposit: (queueIndex: bigint, depositor: Hex, toIndex: number, assetId: number, amount: bigint) =>
      anvil.emit(bridge, abis.bridge, 'DepositQueued', {
        queueIndex,
        depositor,
        toIndex,
        assetId,
        token: '0x0000000000000000000000000000000000000000',
        amount,
        element: 0n,
      }),
    claim: (height: bigint, j: number, recipient: Hex, assetId: number, amount: bigint) =>
      anvil.emit(bridge, abis.bridge, 'ExitClaimed', {
        height,
        j,
        recipient,
        assetId,
        amount,
        caller: someone,
      }),
    reclaim: (queueIndex: bigint, depositor: Hex, assetId: number, amount: bigint) =>
      anvil.emit(bridge, abis.bridge, 'DepositReclaimed', { queueIndex, depositor, assetId, amount }),
  };
}
