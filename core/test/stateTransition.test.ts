import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AccountFlags,
  type L2State,
  ProtocolError,
  type Tx,
  TxType,
  applyTx,
  signTransfer,
  signWithdraw,
} from '../src/index.ts';
import { fundedState, identity, registerTx, smallParams } from './fixtures.ts';

const CHAIN = smallParams().chainId;
const ETH = 10n ** 18n;

function transfer(state: L2State, from: number, to: number, amount: bigint, nonce?: bigint) {
  return signTransfer(identity(from).l2Key, CHAIN, {
    from,
    to,
    amount,
    nonce: nonce ?? state.account(from)!.nonce,
  });
}

function expectRejected(state: L2State, tx: Tx, code: string) {
  const root = state.stateRoot();
  const snapshot = JSON.stringify([...state.accounts.values()], (_k, v) =>
    typeof v === 'bigint' ? v.toString() : v,
  );
  let error: unknown;
  try {
    applyTx(state, tx);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ProtocolError);
  expect((error as ProtocolError).code).toBe(code);
  expect(state.stateRoot()).toBe(root);
  expect(
    JSON.stringify([...state.accounts.values()], (_k, v) => (typeof v === 'bigint' ? v.toString() : v)),
  ).toBe(snapshot);
}

describe('applyTx', () => {
  let base: L2State;
  beforeAll(async () => {
    base = await fundedState(4, 10n * ETH);
  });

  it('registers accounts in index order and credits deposits', () => {
    expect([...base.accounts.keys()]).toEqual([1, 2, 3, 4]);
    expect(base.account(3)!.balance).toBe(10n * ETH);
    expect(base.nextIndex).toBe(5);
    expect(base.nextDepositIndex).toBe(4n);
  });

  it('moves funds and bumps the sender nonce on a transfer', async () => {
    const state = await fundedState(2, 10n * ETH);
    applyTx(state, transfer(state, 1, 2, 3n * ETH));
    expect(state.account(1)!.balance).toBe(7n * ETH);
    expect(state.account(2)!.balance).toBe(13n * ETH);
    expect(state.account(1)!.nonce).toBe(1n);
    expect(state.account(2)!.nonce).toBe(0n);
  });

  it('rejects every broken rule with its own code and leaves the state unchanged', async () => {
    const state = await fundedState(3, 10n * ETH);
    const ok = transfer(state, 1, 2, ETH);
    applyTx(state, ok);
    expectRejected(state, ok, 'BAD_NONCE'); // replay
    expectRejected(state, transfer(state, 1, 2, ETH, 5n), 'BAD_NONCE');
    expectRejected(state, transfer(state, 1, 2, 100n * ETH), 'INSUFFICIENT_BALANCE');
    expectRejected(state, transfer(state, 1, 9, ETH), 'UNKNOWN_ACCOUNT');
    expectRejected(state, transfer(state, 1, 1, ETH), 'SAME_ACCOUNT');
    expectRejected(state, transfer(state, 1, 2, 0n), 'AMOUNT_OUT_OF_RANGE');
    expectRejected(state, transfer(state, 1, 2, (1n << 35n) + 1n), 'AMOUNT_NOT_REPRESENTABLE');
    const forged = signTransfer(identity(2).l2Key, CHAIN, { from: 1, to: 2, amount: ETH, nonce: 1n });
    expectRejected(state, forged, 'BAD_SIGNATURE');
    const otherChain = signTransfer(identity(1).l2Key, CHAIN + 1n, {
      from: 1,
      to: 2,
      amount: ETH,
      nonce: 1n,
    });
    expectRejected(state, otherChain, 'BAD_SIGNATURE');
    const tampered = { ...transfer(state, 1, 2, ETH), amount: 2n * ETH };
    expectRejected(state, tampered, 'BAD_SIGNATURE');
    expectRejected(
      state,
      signWithdraw(identity(1).l2Key, CHAIN, { from: 1, amount: 11n * ETH, nonce: 1n }),
      'INSUFFICIENT_BALANCE',
    );
    // A different asset.
    applyTx(state, await registerTx(7, 2, CHAIN));
    expectRejected(state, transfer(state, 1, 4, ETH), 'ASSET_MISMATCH');
    // Banned sender and recipient.
    state.putAccount({ ...state.account(3)!, flags: AccountFlags.BANNED });
    expectRejected(state, transfer(state, 3, 1, ETH), 'ACCOUNT_BANNED');
    expectRejected(state, transfer(state, 1, 3, ETH), 'ACCOUNT_BANNED');
  });

  it('rejects registrations with a binding from another address, chain or key', async () => {
    const state = await fundedState(1, ETH);
    const good = await registerTx(5, 1, CHAIN);
    expectRejected(
      state,
      { ...good, ethAddress: identity(6).eth.address.toLowerCase() as `0x${string}` },
      'BAD_BINDING',
    );
    expectRejected(state, await registerTx(5, 1, CHAIN + 1n), 'BAD_BINDING');
    expectRejected(state, { ...good, publicKey: identity(6).publicKey }, 'BAD_BINDING');
    expectRejected(state, { ...good, assetId: 99 }, 'UNKNOWN_ASSET');
    expectRejected(state, { ...good, publicKey: [0n, 1n] }, 'BAD_PUBLIC_KEY');
    expect(applyTx(state, good)).toEqual({ type: TxType.REGISTER, accountIndex: 2 });
  });

  it('refunds deposits it cannot credit and enforces queue order', async () => {
    const state = await fundedState(1, ETH);
    const depositor = identity(1).eth.address.toLowerCase() as `0x${string}`;
    expectRejected(
      state,
      { type: TxType.DEPOSIT, queueIndex: 5n, depositor, to: 1, assetId: 1, amount: 1n },
      'DEPOSIT_OUT_OF_ORDER',
    );
    const receipt = applyTx(state, {
      type: TxType.DEPOSIT,
      queueIndex: 1n,
      depositor,
      to: 1,
      assetId: 2,
      amount: 42n,
    });
    expect(receipt).toMatchObject({
      type: 3,
      credited: false,
      exit: { recipient: depositor, assetId: 2, amount: 42n },
    });
    expect(state.account(1)!.balance).toBe(ETH);
    expect(state.nextDepositIndex).toBe(2n);
  });

  it('withdrawals debit the account and create an exit to its Ethereum address', async () => {
    const state = await fundedState(1, 5n * ETH);
    const receipt = applyTx(
      state,
      signWithdraw(identity(1).l2Key, CHAIN, { from: 1, amount: 2n * ETH, nonce: 0n }),
    );
    expect(receipt).toEqual({
      type: 4,
      exit: { recipient: state.account(1)!.ethAddress, assetId: 1, amount: 2n * ETH },
    });
    expect(state.account(1)!.balance).toBe(3n * ETH);
  });
});

describe('state transition properties', () => {
  const accounts = [1, 2, 3, 4];
  const op = fc.record({
    from: fc.constantFrom(...accounts),
    to: fc.constantFrom(...accounts, 9),
    amount: fc.oneof(
      fc.bigInt({ min: 1n, max: 30n }).map((v) => v * 10n ** 17n),
      fc.bigInt({ min: 0n, max: 3n }),
    ),
    nonceSkew: fc.oneof(fc.constant(0n), fc.constant(0n), fc.constant(0n), fc.constantFrom(-1n, 1n)),
    withdraw: fc.boolean(),
  });

  it('conserves supply, never goes negative, strictly increases nonces and rejects every replay', async () => {
    const start = await fundedState(4, 2n * ETH);
    const initialSupply = [...start.accounts.values()].reduce((s, a) => s + a.balance, 0n);
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 12 }), async (ops) => {
        const state = await fundedState(4, 2n * ETH);
        const applied: Tx[] = [];
        let withdrawn = 0n;
        for (const o of ops) {
          const nonceBefore = state.account(o.from)!.nonce;
          const nonce = nonceBefore + o.nonceSkew < 0n ? 0n : nonceBefore + o.nonceSkew;
          const tx = o.withdraw
            ? signWithdraw(identity(o.from).l2Key, CHAIN, { from: o.from, amount: o.amount, nonce })
            : signTransfer(identity(o.from).l2Key, CHAIN, {
                from: o.from,
                to: o.to,
                amount: o.amount,
                nonce,
              });
          try {
            applyTx(state, tx);
            applied.push(tx);
            if (o.withdraw) withdrawn += o.amount;
            expect(state.account(o.from)!.nonce).toBe(nonceBefore + 1n);
          } catch (e) {
            expect(e).toBeInstanceOf(ProtocolError);
            expect(state.account(o.from)!.nonce).toBe(nonceBefore);
          }
          for (const a of state.accounts.values()) expect(a.balance >= 0n).toBe(true);
          const supply = [...state.accounts.values()].reduce((s, a) => s + a.balance, 0n);
          expect(supply + withdrawn).toBe(initialSupply);
        }
        for (const tx of applied) {
          const root = state.stateRoot();
          expect(() => applyTx(state, tx)).toThrow(/BAD_NONCE/);
          expect(state.stateRoot()).toBe(root);
        }
      }),
      { numRuns: 15 },
    );
  });

  it('reaches the same state root whatever the order of independent transactions', async () => {
    await fc.assert(
      fc.asyncProperty(fc.bigInt({ min: 1n, max: 9n }), fc.bigInt({ min: 1n, max: 9n }), async (a, b) => {
        const s1 = await fundedState(4, 2n * ETH);
        const s2 = await fundedState(4, 2n * ETH);
        const t12 = transfer(s1, 1, 2, a * 10n ** 17n);
        const t34 = transfer(s1, 3, 4, b * 10n ** 17n);
        applyTx(s1, t12);
        applyTx(s1, t34);
        applyTx(s2, t34);
        applyTx(s2, t12);
        expect(s1.stateRoot()).toBe(s2.stateRoot());
      }),
      { numRuns: 5 },
    );
  });
});
