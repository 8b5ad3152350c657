import { describe, expect, it } from 'vitest';
import {
  GENESIS_PARENT_HASH,
  type L2State,
  ProtocolError,
  TxType,
  applyTx,
  buildPrivateTransfer,
  buildShield,
  buildUnshield,
  decodeTx,
  decryptMemo,
  devnetPrivacySecrets,
  encodeTx,
  executeBlock,
  fromHex,
  generateObserverKey,
  generateStealthKeys,
  identifySigner,
  keyImageTag,
  memoAad,
  observerKeyFromSecret,
  oneTimeSecret,
  replayPublicRecord,
  scanOutput,
  signObserverKey,
  stealthKeysFromSecrets,
  tryDecodeRingSignature,
  txFromJson,
  txToJson,
} from '../src/index.ts';
import { fundedState, identity, smallParams } from './fixtures.ts';

const ETH = 10n ** 18n;
const secrets = devnetPrivacySecrets();
const observer = observerKeyFromSecret(secrets.observerSecret, 1n);

function expectCode(fn: () => unknown, code: string) {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    expect((err as ProtocolError).code).toBe(code);
    return;
  }
  throw new Error(`expected ${code}`);
}

function shield(state: L2State, seed: number, to = generateStealthKeys(), amount = ETH) {
  const id = identity(seed);
  const account = state.account(seed)!;
  const tx = buildShield({
    privateKey: id.l2Key,
    chainId: state.chainId,
    account: { index: seed, assetId: 1, nonce: account.nonce, publicKey: id.publicKey },
    amount,
    recipient: to.address,
    observer: observer.publicKey,
    memo: new TextEncoder().encode(`shield by ${seed}`),
  });
  return { tx, keys: to, receipt: applyTx(state, tx) };
}

function ringFor(state: L2State, spent: number, size: number) {
  const eligible = state.notes.filter((n) => n.assetId === 1 && n.amount === ETH).map((n) => n.index);
  const others = eligible.filter((i) => i !== spent).slice(0, size - 1);
  return [...others, spent]
    .sort((a, b) => a - b)
    .map((i) => ({ index: i, oneTimeKey: state.notes[i]!.oneTimeKey }));
}

function spendParams(
  state: L2State,
  noteIndex: number,
  owner: ReturnType<typeof generateStealthKeys>,
  senderSeed: number,
) {
  const note = state.notes[noteIndex]!;
  const secretKey = oneTimeSecret(owner, {
    txPublicKey: note.txPublicKey,
    oneTimeKey: note.oneTimeKey,
    outputIndex: 0,
  });
  return {
    chainId: state.chainId,
    assetId: 1,
    amount: ETH,
    ring: ringFor(state, noteIndex, 8),
    spentIndex: noteIndex,
    secretKey,
    sender: identity(senderSeed).publicKey,
    senderAddress: owner.address,
    observer: observer.publicKey,
  };
}

describe('privacy ledger', () => {
  it('shield, private transfer and unshield move value, and the regulator can open each step', async () => {
    const state = await fundedState(10, 5n * ETH);
    const alice = stealthKeysFromSecrets(11n, 12n);
    const bob = stealthKeysFromSecrets(21n, 22n);
    // Ten accounts shield one note each: the first to Alice, the rest to random addresses.
    const first = shield(state, 1, alice);
    for (let s = 2; s <= 10; s++) shield(state, s);
    expect(state.account(1)!.balance).toBe(4n * ETH);
    expect(state.account(1)!.nonce).toBe(1n);
    expect(first.receipt).toMatchObject({ type: TxType.SHIELD, noteIndex: 0 });
    expect(state.notes).toHaveLength(10);
    const note0 = state.notes[0]!;
    expect(scanOutput(alice.viewSecret, alice.address.spend, note0.txPublicKey, note0.oneTimeKey, 0)).toBe(
      true,
    );
    expect(scanOutput(bob.viewSecret, bob.address.spend, note0.txPublicKey, note0.oneTimeKey, 0)).toBe(false);

    // Alice pays Bob privately.
    const rootBefore = state.stateRoot();
    const pt = buildPrivateTransfer({ ...spendParams(state, 0, alice, 1), recipient: bob.address });
    expect(decodeTx(encodeTx(pt))).toEqual(pt);
    expect(txFromJson(txToJson(pt))).toEqual(pt);
    const r = applyTx(state, pt);
    expect(r).toMatchObject({ type: TxType.PRIVATE_TRANSFER, noteIndex: 10 });
    expect(state.stateRoot()).not.toBe(rootBefore);
    expect(state.keyImages.size).toBe(1);

    // The double spend of the same note is refused, whatever ring it hides in.
    const again = buildPrivateTransfer({ ...spendParams(state, 0, alice, 1), recipient: bob.address });
    expectCode(() => applyTx(state, again), 'KEY_IMAGE_SPENT');

    // The regulator opens the private transfer: signer is note 0, memo names Alice → Bob.
    const sig = tryDecodeRingSignature(fromHex(pt.ringSignature))!;
    const ringKeys = pt.ring.map((i) => state.notes[i]!.oneTimeKey);
    expect(pt.ring[identifySigner(ringKeys, sig, observer.secret)]).toBe(0);
    const memo = decryptMemo(observer, fromHex(pt.memo), { aad: memoAad(pt) })!;
    expect(memo.sender).toEqual(identity(1).publicKey);
    expect(memo.recipient).toEqual(bob.address);
    expect(memo.amount).toBe(ETH);
    // Without the observer secret nothing opens.
    const stranger = generateObserverKey(1n);
    expect(decryptMemo(stranger, fromHex(pt.memo), { aad: memoAad(pt) })).toBeNull();

    // Bob unshields to account 5.
    const un = buildUnshield({ ...spendParams(state, 10, bob, 2), to: 5 });
    const before5 = state.account(5)!.balance;
    applyTx(state, un);
    expect(state.account(5)!.balance).toBe(before5 + ETH);
    expectCode(
      () => applyTx(state, buildUnshield({ ...spendParams(state, 10, bob, 2), to: 5 })),
      'KEY_IMAGE_SPENT',
    );
  });

  it('rejects bad rings, denominations, stale observer epochs and tampered signatures without changing state', async () => {
    const state = await fundedState(10, 5n * ETH);
    const alice = stealthKeysFromSecrets(11n, 12n);
    shield(state, 1, alice);
    for (let s = 2; s <= 10; s++) shield(state, s);
    expectCode(() => shield(state, 2, alice, 3n * ETH), 'BAD_DENOMINATION');
    const root = state.stateRoot();
    const base = spendParams(state, 0, alice, 1);
    const good = buildPrivateTransfer({ ...base, recipient: alice.address });
    // ring too small while more notes exist
    expectCode(
      () =>
        applyTx(
          state,
          buildPrivateTransfer({ ...base, ring: ringFor(state, 0, 2), recipient: alice.address }),
        ),
      'BAD_RING',
    );
    // ring not sorted / unknown note / wrong amount
    expectCode(() => applyTx(state, { ...good, ring: [...good.ring].reverse() }), 'BAD_RING');
    expectCode(() => applyTx(state, { ...good, ring: [...good.ring.slice(0, -1), 99] }), 'BAD_RING');
    expectCode(() => applyTx(state, { ...good, amount: 10n * ETH }), 'BAD_RING');
    // output changed after signing: the signature no longer verifies
    const other = generateStealthKeys();
    expectCode(
      () => applyTx(state, { ...good, output: { ...good.output, oneTimeKey: other.address.spend } }),
      'BAD_RING_SIGNATURE',
    );
    // memo swapped
    const memo2 = buildPrivateTransfer({ ...base, recipient: alice.address }).memo;
    expectCode(() => applyTx(state, { ...good, memo: memo2 }), 'BAD_RING_SIGNATURE');
    expect(state.stateRoot()).toBe(root);
    expect(state.keyImages.size).toBe(0);

    // rotation: only the regulator admin, only the next epoch; then epoch-1 transactions are stale
    const next = generateObserverKey(2n);
    expectCode(
      () =>
        applyTx(
          state,
          signObserverKey(identity(1).l2Key, state.chainId, { epoch: 2n, key: next.publicKey.key }),
        ),
      'NOT_REGULATOR_ADMIN',
    );
    expectCode(
      () =>
        applyTx(
          state,
          signObserverKey(secrets.regulatorAdminKey, state.chainId, { epoch: 3n, key: next.publicKey.key }),
        ),
      'STALE_OBSERVER_EPOCH',
    );
    applyTx(
      state,
      signObserverKey(secrets.regulatorAdminKey, state.chainId, { epoch: 2n, key: next.publicKey.key }),
    );
    expect(state.currentObserverKey()).toEqual({ epoch: 2n, key: next.publicKey.key });
    expectCode(() => applyTx(state, good), 'STALE_OBSERVER_EPOCH');
    const fresh = buildPrivateTransfer({ ...base, observer: next.publicKey, recipient: alice.address });
    applyTx(state, fresh);
    const sig = tryDecodeRingSignature(fromHex(fresh.ringSignature))!;
    expect(state.keyImages.has(keyImageTag(sig.keyImage))).toBe(true);
  });

  it('a block with a double spend inside it is rejected as a whole and rolls back', async () => {
    const state = await fundedState(10, 5n * ETH);
    const alice = stealthKeysFromSecrets(11n, 12n);
    shield(state, 1, alice);
    for (let s = 2; s <= 10; s++) shield(state, s);
    const a = buildPrivateTransfer({ ...spendParams(state, 0, alice, 1), recipient: alice.address });
    const b = buildPrivateTransfer({ ...spendParams(state, 0, alice, 1), recipient: alice.address });
    const root = state.stateRoot();
    const notes = state.notes.length;
    expect(() =>
      executeBlock(state, [a, b], { height: 1n, parentHash: GENESIS_PARENT_HASH, timestamp: 1n, slots: 4 }),
    ).toThrow(/KEY_IMAGE_SPENT/);
    expect(state.stateRoot()).toBe(root);
    expect(state.notes).toHaveLength(notes);
    expect(state.keyImages.size).toBe(0);
    const ok = executeBlock(state, [a], {
      height: 1n,
      parentHash: GENESIS_PARENT_HASH,
      timestamp: 1n,
      slots: 4,
    });
    expect(ok.commitment.elements.filter((e) => e !== 0n).length).toBe(4); // record + (tag, cm, binding)
  });

  it('replaying the block from its L1 public data alone gives the same state root and data; a repeated tag is caught', async () => {
    const live = await fundedState(10, 5n * ETH);
    const mirror = await fundedState(10, 5n * ETH);
    const alice = stealthKeysFromSecrets(11n, 12n);
    shield(live, 1, alice);
    for (let s = 2; s <= 9; s++) shield(live, s);
    // the same shields, replayed into the mirror from their public data
    const pre = executeBlock(live, [], {
      height: 1n,
      parentHash: GENESIS_PARENT_HASH,
      timestamp: 1n,
      slots: 4,
    });
    const acct10 = live.account(10)!;
    const shieldTx = buildShield({
      privateKey: identity(10).l2Key,
      chainId: live.chainId,
      account: { index: 10, assetId: 1, nonce: acct10.nonce, publicKey: identity(10).publicKey },
      amount: ETH,
      recipient: alice.address,
      observer: observer.publicKey,
    });
    const pt = buildPrivateTransfer({ ...spendParams(live, 0, alice, 1), recipient: alice.address });
    const next = generateObserverKey(2n);
    const rotate = signObserverKey(secrets.regulatorAdminKey, live.chainId, {
      epoch: 2n,
      key: next.publicKey.key,
    });
    const notesBefore = live.notes.map((n) => n.commitment);
    const block = executeBlock(live, [shieldTx, pt, rotate], {
      height: 2n,
      parentHash: pre.hash,
      timestamp: 2n,
      slots: 4,
    });
    // mirror: earlier shields as public records, then the block's records
    for (const [k, cm] of notesBefore.entries()) {
      replayPublicRecord(
        mirror,
        { type: 5, from: k + 1, to: 0, amount: ETH },
        { ax: cm, ay: 0n, ethAddress: 0n },
      );
    }
    const { batchData, decodeFloat40 } = await import('../src/index.ts');
    const data = batchData(block.block.txs, block.receipts);
    const txs = [];
    const receipts = [];
    for (const [i, r] of data.records.entries()) {
      const v = BigInt(`0x${Buffer.from(r).toString('hex')}`);
      const rec = {
        type: Number(v >> 104n),
        from: Number((v >> 72n) & 0xffffffffn),
        to: Number((v >> 40n) & 0xffffffffn),
        amount: decodeFloat40(v & 0xffffffffffn),
      };
      const out = replayPublicRecord(mirror, rec, data.registrations[i]!);
      txs.push(out.tx);
      receipts.push(out.receipt);
    }
    expect(mirror.stateRoot()).toBe(live.stateRoot());
    expect(batchData(txs, receipts)).toEqual(data);
    expect(mirror.currentObserverKey()).toEqual({ epoch: 2n, key: next.publicKey.key });
    // the same private-transfer record again: its tag repeats
    const tag = data.registrations[1]!;
    const root = mirror.stateRoot();
    mirror.checkpoint();
    expectCode(
      () => replayPublicRecord(mirror, { type: 6, from: 1, to: 0, amount: ETH }, tag),
      'KEY_IMAGE_SPENT',
    );
    mirror.rollback();
    expect(mirror.stateRoot()).toBe(root);
  });

  it('chains without privacy parameters refuse privacy transactions', async () => {
    const state = await fundedState(1, 5n * ETH, smallParams({ privacy: undefined }));
    expectCode(() => shield(state, 1), 'NOT_SUPPORTED');
  });
});
