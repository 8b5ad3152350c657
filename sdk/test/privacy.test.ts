import {
  BASE8,
  type PrivateTransferTx,
  TxType,
  devnetPrivacySecrets,
  generateObserverKey,
  mulPoint,
  packPoint,
  signObserverKey,
} from '@tessera/core';
import { keccak256 } from 'viem';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  InvalidStealthAddressError,
  NoSpendableNoteError,
  type PrivacyWalletError,
  STEALTH_ADDRESS_PREFIX,
  decodeStealthAddress,
  encodeStealthAddress,
  stealthKeysFromL2Key,
} from '../src/privacy/index.ts';
import { Wallet } from '../src/wallet.ts';
import { FakeChain } from './support/fakeChain.ts';
import { ETH, ethAccount, user } from './support/users.ts';

const USDT_NOTE = 10n ** 7n;
let chain: FakeChain;
let alice: Awaited<ReturnType<typeof user>>;
let bob: Awaited<ReturnType<typeof user>>;
let carol: Awaited<ReturnType<typeof user>>;
let dave: Awaited<ReturnType<typeof user>>;
let erin: Awaited<ReturnType<typeof user>>;
const notesOf = { alice: [] as number[], bob: [] as number[], carol: [] as number[] };

beforeAll(async () => {
  chain = new FakeChain();
  alice = await user(chain, 'alice');
  bob = await user(chain, 'bob');
  carol = await user(chain, 'carol');
  dave = await user(chain, 'dave');
  erin = await user(chain, 'erin', 2, 10n * USDT_NOTE);
  const shieldTo = async (from: typeof alice, amount: bigint, owner: keyof typeof notesOf, to?: string) => {
    const r = await from.privacy.shield(from.account, amount, to);
    notesOf[owner].push(r.noteIndex!);
  };
  for (let i = 0; i < 3; i++) await shieldTo(alice, ETH, 'alice');
  await shieldTo(alice, ETH / 10n, 'alice');
  for (let i = 0; i < 10; i++) await shieldTo(carol, ETH, 'carol');
  for (let i = 0; i < 4; i++) await shieldTo(dave, ETH, 'bob', bob.privacy.address());
  await shieldTo(erin, USDT_NOTE, 'alice', alice.privacy.address());
});

describe('stealth keys and addresses', () => {
  it('derive the same keys from the same L2 key, and different keys otherwise', async () => {
    const again = await Wallet.fromEthereumAccount(ethAccount('alice'), chain.client());
    expect(again.privacy().address()).toBe(alice.privacy.address());
    expect(bob.privacy.address()).not.toBe(alice.privacy.address());
    const k = stealthKeysFromL2Key(new Uint8Array(32).fill(7));
    expect(k.viewSecret).not.toBe(k.spendSecret);
    expect(mulPoint(BASE8, k.viewSecret)).toEqual(k.address.view);
    expect(stealthKeysFromL2Key(new Uint8Array(32).fill(7))).toEqual(k);
    expect(() => stealthKeysFromL2Key(new Uint8Array(31))).toThrow(/32 bytes/);
  });

  it('encode to tsa1… and decode strictly', () => {
    const a = alice.privacy.stealthAddress();
    const text = encodeStealthAddress(a);
    expect(text.startsWith(STEALTH_ADDRESS_PREFIX)).toBe(true);
    expect(text).toHaveLength(140);
    expect(text.slice(4, 68)).toBe(Buffer.from(packPoint(a.view)).toString('hex'));
    expect(decodeStealthAddress(text)).toEqual(a);
    expect(decodeStealthAddress(text.toUpperCase().replace('TSA1', 'tsa1'))).toEqual(a);
    const typo = `${text.slice(0, 20)}${text[20] === '0' ? '1' : '0'}${text.slice(21)}`;
    expect(() => decodeStealthAddress(typo)).toThrow(/checksum/);
    expect(() => decodeStealthAddress(text.slice(0, -2))).toThrow(InvalidStealthAddressError);
    expect(() => decodeStealthAddress(`tsb1${text.slice(4)}`)).toThrow(/starts with/);
    // The identity (0, 1) is not a valid key: a correctly checksummed address holding it is refused.
    const identity = { view: [0n, 1n] as [bigint, bigint], spend: a.spend };
    expect(() => encodeStealthAddress(identity)).toThrow(InvalidStealthAddressError);
    const body = new Uint8Array([...packPoint(identity.view), ...packPoint(a.spend)]);
    const sum = keccak256(
      new Uint8Array([...new TextEncoder().encode('tessera/stealth-address/v1'), ...body]),
    );
    const forged = `tsa1${Buffer.from(body).toString('hex')}${sum.slice(2, 10)}`;
    expect(() => decodeStealthAddress(forged)).toThrow(/not valid subgroup points/);
  });
});

describe('wallet privacy', () => {
  it('scanning finds exactly the wallet’s own notes, with spendable secrets, incrementally', async () => {
    const owned = await alice.privacy.scan();
    expect(owned.map((o) => o.note.index)).toEqual(notesOf.alice);
    for (const o of owned) expect(mulPoint(BASE8, o.secret)).toEqual(o.note.oneTimeKey);
    expect((await bob.privacy.scan()).map((o) => o.note.index)).toEqual(notesOf.bob);
    expect((await carol.privacy.scan()).map((o) => o.note.index)).toEqual(notesOf.carol);
    expect(await dave.privacy.scan()).toEqual([]); // dave paid bob: nothing of his own
    expect(chain.state.notes).toHaveLength(19);

    // A second scan reads only notes created since the first.
    const before = chain.calls.length;
    await alice.privacy.scan();
    const noteCalls = chain.calls.slice(before).filter((c) => c.method === 'tessera_getNotes');
    expect(noteCalls.map((c) => c.params[0])).toEqual([19]);

    expect(await alice.privacy.balance()).toEqual([
      {
        assetId: 1,
        total: 3n * ETH + ETH / 10n,
        notes: 4,
        byDenomination: { [ETH.toString()]: 3, [(ETH / 10n).toString()]: 1 },
      },
      { assetId: 2, total: USDT_NOTE, notes: 1, byDenomination: { [USDT_NOTE.toString()]: 1 } },
    ]);
    // Shielding debited the public accounts.
    expect(chain.state.account(alice.account)!.balance).toBe(30n * ETH - 3n * ETH - ETH / 10n);
  });

  it('a private transfer hides the note in a policy ring of eligible notes; both sides see the result', async () => {
    const eligible = chain.state.notes.filter((n) => n.assetId === 1 && n.amount === ETH).map((n) => n.index);
    expect(eligible).toHaveLength(17);
    const r = await alice.privacy.privateTransfer(1, ETH, bob.privacy.address(), 'rent, March');
    expect(r.spentNote).toBe(notesOf.alice[0]);
    const tx = chain.txs.get(r.hash)!.tx as PrivateTransferTx;
    expect(tx.type).toBe(TxType.PRIVATE_TRANSFER);
    expect(tx.ring).toEqual(r.ring);
    expect(tx.ring).toHaveLength(16); // min(16, 17 eligible)
    expect(new Set(tx.ring).size).toBe(16);
    expect([...tx.ring].sort((a, b) => a - b)).toEqual(tx.ring);
    expect(tx.ring).toContain(r.spentNote);
    for (const i of tx.ring) expect(eligible).toContain(i);
    expect(r.noteIndex).toBe(19);
    notesOf.bob.push(19);

    // Alice's note is spent (key image on chain), also for a fresh wallet that never sent anything.
    const fresh = (await Wallet.fromEthereumAccount(ethAccount('alice'), chain.client())).privacy();
    const owned = await fresh.scan();
    const spent = owned.find((o) => o.note.index === r.spentNote)!;
    expect(spent).toMatchObject({ spent: true, spentBy: r.hash });
    expect(owned.filter((o) => o.spent)).toHaveLength(1);
    expect((await fresh.balance())[0]!.total).toBe(2n * ETH + ETH / 10n);
    // Bob finds the new note.
    expect((await bob.privacy.scan()).map((o) => o.note.index)).toEqual(notesOf.bob);
    expect((await bob.privacy.balance())[0]!.total).toBe(5n * ETH);
  });

  it('unshield credits a public account and spends the note', async () => {
    const before = chain.state.account(bob.account)!.balance;
    const r = await bob.privacy.unshield(1, ETH, bob.account);
    expect(chain.state.account(bob.account)!.balance).toBe(before + ETH);
    expect(r.ring.length).toBe(16);
    expect((await bob.privacy.balance())[0]!.total).toBe(4n * ETH);
    expect(bob.privacy.ctx.scanner.owned.get(r.spentNote)!.spent).toBe(true);
  });

  it('refuses bad requests with a clear error and sends nothing', async () => {
    const root = chain.state.stateRoot();
    const sends = chain.count('tessera_sendTransaction');
    const code = async (p: Promise<unknown>) => {
      try {
        await p;
      } catch (err) {
        return (err as PrivacyWalletError).code;
      }
      return 'no error';
    };
    expect(await code(alice.privacy.privateTransfer(1, 3n * ETH, bob.privacy.address()))).toBe(
      'BAD_DENOMINATION',
    );
    await expect(alice.privacy.privateTransfer(1, 10n * ETH, bob.privacy.address())).rejects.toThrow(
      NoSpendableNoteError,
    );
    expect(await code(alice.privacy.shield(bob.account, ETH))).toBe('NOT_OUR_ACCOUNT');
    expect(await code(alice.privacy.shield(alice.account, 2n * ETH))).toBe('BAD_DENOMINATION');
    expect(await code(alice.privacy.unshield(1, ETH, erin.account))).toBe('UNKNOWN_ACCOUNT');
    expect(await code(alice.privacy.unshield(1, ETH, 999))).toBe('UNKNOWN_ACCOUNT');
    expect(await code(alice.privacy.privateTransfer(1, ETH, 'tsa1deadbeef'))).toBe('BAD_STEALTH_ADDRESS');
    expect(chain.state.stateRoot()).toBe(root);
    expect(chain.count('tessera_sendTransaction')).toBe(sends);
  });

  it('after an observer-key rotation between build and send, rebuilds once for the new key', async () => {
    const secrets = devnetPrivacySecrets();
    const next = generateObserverKey(2n);
    chain.beforeNextSend = () =>
      chain.produce([
        signObserverKey(secrets.regulatorAdminKey, chain.state.chainId, {
          epoch: 2n,
          key: next.publicKey.key,
        }),
      ]);
    const sends = chain.count('tessera_sendTransaction');
    const r = await alice.privacy.privateTransfer(1, ETH, carol.privacy.address());
    expect(chain.count('tessera_sendTransaction')).toBe(sends + 2);
    expect(r.observerEpoch).toBe(2n);
    expect((chain.txs.get(r.hash)!.tx as PrivateTransferTx).observerEpoch).toBe(2n);
    expect((await carol.privacy.scan()).some((o) => o.note.index === r.noteIndex)).toBe(true);
  });
});
