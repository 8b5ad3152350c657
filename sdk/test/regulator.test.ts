import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type PrivateTransferTx,
  TxType,
  buildPrivateTransfer,
  devnetPrivacySecrets,
  encryptMemo,
  fromHex,
  generateObserverKey,
  generateStealthKeys,
  memoAad,
  signObserverKey,
  signRingTx,
  toHex,
} from '@tessera/core';
import {
  KeystoreError,
  decryptObserverKeyring,
  encryptObserverKeyring,
  writeKeystoreFile,
} from '@tessera/core/storage/keystore';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  NotAPrivacyTransactionError,
  NoteNotFoundError,
  ObserverKeyMismatchError,
  ObserverKeyMissingError,
  ObserverKeyring,
  REPORT_CSV_COLUMNS,
  Regulator,
  type RegulatorError,
  TransactionNotFoundError,
  openTransactionWith,
  reportToCsv,
  reportToJson,
} from '../src/regulator/index.ts';
import { parseCsv } from './support/csv.ts';
import { FakeChain } from './support/fakeChain.ts';
import { ETH, ethAccount, user } from './support/users.ts';

const secrets = devnetPrivacySecrets();
const epoch2 = generateObserverKey(2n);
const fullKeyring = () =>
  new ObserverKeyring([
    { epoch: 1n, secret: secrets.observerSecret },
    { epoch: 2n, secret: epoch2.secret },
  ]);
const TRICKY_MEMO = 'invoice 42, "urgent"\r\nsecond line';

let chain: FakeChain;
let alice: Awaited<ReturnType<typeof user>>;
let bob: Awaited<ReturnType<typeof user>>;
let carol: Awaited<ReturnType<typeof user>>;
let dave: Awaited<ReturnType<typeof user>>;
const h: Record<string, `0x${string}`> = {};
const note: Record<string, number> = {};

beforeAll(async () => {
  chain = new FakeChain();
  alice = await user(chain, 'alice');
  bob = await user(chain, 'bob');
  carol = await user(chain, 'carol');
  dave = await user(chain, 'dave');
  const shield = await carol.privacy.shield(carol.account, ETH, alice.privacy.address(), { memo: 'salary' });
  h.shield = shield.hash;
  note.shield = shield.noteIndex!;
  // Decoys: other people's notes of the same value.
  for (let i = 0; i < 9; i++) await dave.privacy.shield(dave.account, ETH, encodeRandomAddress());
  const pt1 = await alice.privacy.privateTransfer(1, ETH, bob.privacy.address(), TRICKY_MEMO);
  h.pt1 = pt1.hash;
  note.pt1 = pt1.noteIndex!;
  const pt2 = await bob.privacy.privateTransfer(1, ETH, dave.privacy.address(), 'second hop');
  h.pt2 = pt2.hash;
  note.pt2 = pt2.noteIndex!;
  // Dave shields one for himself, then unshields it to his account.
  await dave.privacy.shield(dave.account, ETH);
  const un = await dave.privacy.unshield(1, ETH, dave.account);
  h.unshield = un.hash;
  note.unshieldSpent = un.spentNote;
  // Rotation, then a shield under epoch 2.
  chain.produce([
    signObserverKey(secrets.regulatorAdminKey, chain.state.chainId, { epoch: 2n, key: epoch2.publicKey.key }),
  ]);
  h.shield2 = (await carol.privacy.shield(carol.account, ETH / 10n)).hash;
});

function encodeRandomAddress() {
  return generateStealthKeys().address;
}

describe('regulator: opening transactions', () => {
  it('opens a private transfer: real spent note, sender account, verified recipient, amount and memo', async () => {
    const o = await openTransactionWith(chain.client(), fullKeyring(), h.pt1!);
    expect(o.type).toBe('private_transfer');
    expect(o.observerEpoch).toBe(1n);
    expect(o.assetId).toBe(1);
    expect(o.amount).toBe(ETH);
    expect(o.spentNote!.index).toBe(note.shield);
    expect(o.spentNote!.origin).toBe(h.shield);
    expect(o.ring).toHaveLength(10); // min(16, 10 eligible notes at the time)
    expect(o.ringSignatureValid).toBe(true);
    expect(o.sender.source).toBe('memo');
    expect(o.sender.publicKey).toEqual(alice.wallet.publicKey);
    expect(o.sender.accounts.map((a) => [a.index, a.ethAddress])).toEqual([
      [alice.account, ethAccount('alice').address.toLowerCase()],
    ]);
    expect(o.recipient).toMatchObject({ kind: 'note', address: bob.privacy.address(), verified: true });
    expect(o.createdNote).toBe(note.pt1);
    expect(o.memo).toMatchObject({ readable: true, text: TRICKY_MEMO, statedAmount: ETH, statedAssetId: 1 });
    expect(o.warnings).toEqual([]);
  });

  it('opens a shield (public sender account) and an unshield (public recipient account)', async () => {
    const reg = new Regulator(chain.client(), fullKeyring());
    const s = await reg.openTransaction(h.shield!);
    expect(s).toMatchObject({
      type: 'shield',
      spentNote: null,
      ring: null,
      createdNote: note.shield,
      recipient: { kind: 'note', address: alice.privacy.address(), verified: true },
      sender: { source: 'shield-account' },
    });
    expect(s.sender.accounts.map((a) => a.index)).toEqual([carol.account]);
    expect(s.memo.text).toBe('salary');
    const u = await reg.openTransaction(h.unshield!);
    expect(u).toMatchObject({
      type: 'unshield',
      recipient: { kind: 'account', index: dave.account, verified: true },
    });
    expect(u.spentNote!.index).toBe(note.unshieldSpent);
    expect(u.sender.accounts.map((a) => a.index)).toEqual([dave.account]);
    expect(u.memo.text).toBeNull();
  });

  it('traces a note through two private transfers to the shielding account', async () => {
    const t = await new Regulator(chain.client(), fullKeyring()).traceNote(note.pt2!);
    expect(t.steps.map((s) => [s.noteIndex, s.transaction.txHash])).toEqual([
      [note.pt2, h.pt2],
      [note.pt1, h.pt1],
      [note.shield, h.shield],
    ]);
    expect(t.steps.map((s) => s.transaction.sender.accounts[0]!.index)).toEqual([
      bob.account,
      alice.account,
      carol.account,
    ]);
    expect(t.origin).toMatchObject({
      txHash: h.shield,
      accountIndex: carol.account,
      ethAddress: ethAccount('carol').address.toLowerCase(),
    });
  });

  it('maps the sender key to accounts also on a sequencer without tessera_getAccountsByPublicKey', async () => {
    chain.disabled.add('tessera_getAccountsByPublicKey');
    try {
      const o = await new Regulator(chain.client(), fullKeyring()).openTransaction(h.pt2!);
      expect(o.sender.accounts.map((a) => a.index)).toEqual([bob.account]);
    } finally {
      chain.disabled.delete('tessera_getAccountsByPublicKey');
    }
  });

  it('reports an unreadable memo without guessing, and still names the spent note', async () => {
    // A sender who encrypts the memo to another key: the chain accepts it (the memo is opaque).
    const spender = await user(chain, 'mallory');
    await spender.privacy.shield(spender.account, ETH / 10n);
    const owned = (await spender.privacy.scan())[0]!;
    const ring = chain.state.notes
      .filter((n) => n.assetId === 1 && n.amount === ETH / 10n)
      .map((n) => ({ index: n.index, oneTimeKey: n.oneTimeKey }));
    const observer = epoch2.publicKey; // epoch 2 is in force
    const out = generateStealthKeys().address;
    const built = buildPrivateTransfer({
      chainId: chain.state.chainId,
      assetId: 1,
      amount: ETH / 10n,
      ring,
      spentIndex: owned.note.index,
      secretKey: owned.secret,
      sender: spender.wallet.publicKey,
      senderAddress: spender.privacy.stealthAddress(),
      observer,
      recipient: out,
    });
    const garbage = encryptMemo(
      generateObserverKey(2n).publicKey,
      {
        sender: spender.wallet.publicKey,
        recipient: out,
        assetId: 1,
        amount: ETH / 10n,
        memo: new Uint8Array(32),
      },
      { aad: memoAad(built) },
    );
    const { ringSignature: _drop, ...unsigned } = built;
    const tx: PrivateTransferTx = signRingTx({ ...unsigned, memo: toHex(garbage) }, chain.state.chainId, {
      ringKeys: ring.map((m) => m.oneTimeKey),
      index: ring.findIndex((m) => m.index === owned.note.index),
      secretKey: owned.secret,
      observer,
    });
    const [hash] = chain.produce([tx]).hashes;
    const o = await new Regulator(chain.client(), fullKeyring()).openTransaction(hash!);
    expect(o.spentNote!.index).toBe(owned.note.index);
    expect(o.memo).toMatchObject({ readable: false, text: null, statedAmount: null });
    expect(o.sender.publicKey).toBeNull();
    expect(o.recipient).toMatchObject({ kind: 'note', address: null, verified: false });
    expect(o.warnings.join(' ')).toMatch(/unreadable memo/);
    expect(fromHex(tx.memo)).toHaveLength(424);
  });
});

describe('regulator: keys', () => {
  it('a wrong observer secret throws ObserverKeyMismatchError before anything is decrypted or fetched', async () => {
    const wrong = new ObserverKeyring([{ epoch: 1n, secret: generateObserverKey(1n).secret }]);
    const reg = new Regulator(chain.client(), wrong);
    const before = chain.calls.length;
    const err = await reg.openTransaction(h.pt1!).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ObserverKeyMismatchError);
    expect((err as ObserverKeyMismatchError).epoch).toBe(1n);
    expect((err as Error).message).not.toMatch(/invoice|alice/i);
    const methods = chain.calls.slice(before).map((c) => c.method);
    expect(methods).toEqual(['tessera_getTransaction', 'tessera_getPrivacyParams']);
    await expect(reg.traceNote(note.pt2!)).rejects.toThrow(ObserverKeyMismatchError);
    await expect(reg.report({ fromHeight: 1, toHeight: chain.head })).rejects.toThrow(
      ObserverKeyMismatchError,
    );
  });

  it('an epoch missing from the keyring throws ObserverKeyMissingError; the report opens nothing', async () => {
    const only1 = new ObserverKeyring([{ epoch: 1n, secret: secrets.observerSecret }]);
    const reg = new Regulator(chain.client(), only1);
    expect((await reg.openTransaction(h.pt1!)).memo.text).toBe(TRICKY_MEMO);
    const err = await reg.openTransaction(h.shield2!).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ObserverKeyMissingError);
    expect((err as ObserverKeyMissingError).epoch).toBe(2n);
    expect((err as RegulatorError).code).toBe('OBSERVER_KEY_MISSING');
    const fresh = new Regulator(chain.client(), only1);
    const before = chain.calls.length;
    await expect(fresh.report({ fromHeight: 1, toHeight: chain.head })).rejects.toThrow(
      ObserverKeyMissingError,
    );
    const methods = new Set(chain.calls.slice(before).map((c) => c.method));
    expect(methods).toEqual(new Set(['tessera_getBlockByNumber', 'tessera_getPrivacyParams']));
  });

  it('keyrings round-trip through the encrypted keystore and refuse a wrong password', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-keyring-'));
    try {
      const file = join(dir, 'observer.json');
      const ks = await encryptObserverKeyring(
        [
          { epoch: 2n, secret: epoch2.secret },
          { epoch: 1n, secret: secrets.observerSecret },
        ],
        'regulator password',
        { n: 1 << 10 },
      );
      writeKeystoreFile(file, ks);
      expect(readFileSync(file, 'utf8')).not.toContain(secrets.observerSecret.toString(16));
      expect(ks.epochs.map((e) => e.epoch)).toEqual(['1', '2']);
      const ring = await ObserverKeyring.fromKeystoreFiles([file], 'regulator password');
      expect(ring.epochs()).toEqual([1n, 2n]);
      expect((await new Regulator(chain.client(), ring).openTransaction(h.shield2!)).type).toBe('shield');
      await expect(ObserverKeyring.fromKeystoreFiles([file], 'wrong password')).rejects.toThrow(
        /wrong password/,
      );
      await expect(decryptObserverKeyring(ks, 'wrong password')).rejects.toBeInstanceOf(KeystoreError);
      // Claiming another public key for an epoch breaks the authenticated header.
      const other = generateObserverKey(1n).publicKey.key;
      const edited = {
        ...ks,
        epochs: [{ epoch: '1', key: [other[0].toString(), other[1].toString()] }, ks.epochs[1]!],
      };
      await expect(decryptObserverKeyring(edited, 'regulator password')).rejects.toThrow(
        /wrong password or corrupted/,
      );
      writeFileSync(join(dir, 'bad.json'), '{"kind":"tessera-observer-keyring"}');
      await expect(ObserverKeyring.fromKeystoreFiles([join(dir, 'bad.json')], 'x')).rejects.toThrow(
        /malformed/,
      );
      await expect(encryptObserverKeyring([{ epoch: 1n, secret: 0n }], 'regulator password')).rejects.toThrow(
        /\[1, l\)/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('regulator: report', () => {
  it('exports every privacy transaction of the range as JSON and RFC 4180 CSV', async () => {
    const reg = new Regulator(chain.client(), fullKeyring());
    const rep = await reg.report({ fromHeight: 1, toHeight: chain.head });
    const expected = chain.blocks.flatMap((b) =>
      b.txs
        .map((tx, i) => ({ tx, hash: b.txHashes[i]! }))
        .filter(({ tx }) => [TxType.SHIELD, TxType.PRIVATE_TRANSFER, TxType.UNSHIELD].includes(tx.type as 5)),
    );
    expect(rep.transactions.map((t) => t.txHash)).toEqual(expected.map((e) => e.hash));
    expect(rep.transactions.length).toBeGreaterThanOrEqual(16);

    const json = JSON.parse(reportToJson(rep));
    expect(json.fromHeight).toBe('1');
    const pt1 = json.transactions.find((t: { txHash: string }) => t.txHash === h.pt1);
    expect(pt1).toMatchObject({
      type: 'private_transfer',
      amount: ETH.toString(),
      observerEpoch: '1',
      spentNote: { index: note.shield },
      recipient: { address: bob.privacy.address(), verified: true },
      memo: { text: TRICKY_MEMO },
    });
    expect(pt1.sender.publicKey).toMatch(/^0x[0-9a-f]{64}$/);

    const csv = reportToCsv(rep);
    expect(csv.endsWith('\r\n')).toBe(true);
    expect(csv.split('\r\n')[0]).toBe(REPORT_CSV_COLUMNS.join(','));
    const rows = parseCsv(csv);
    expect(rows[0]).toEqual([...REPORT_CSV_COLUMNS]);
    expect(rows).toHaveLength(rep.transactions.length + 1);
    const col = (name: string) => REPORT_CSV_COLUMNS.indexOf(name as never);
    const row = rows.find((r) => r[col('tx_hash')] === h.pt1)!;
    expect(row[col('type')]).toBe('private_transfer');
    expect(row[col('memo_text')]).toBe(TRICKY_MEMO);
    expect(row[col('sender_accounts')]).toBe(String(alice.account));
    expect(row[col('sender_eth_addresses')]).toBe(ethAccount('alice').address.toLowerCase());
    expect(row[col('recipient_address')]).toBe(bob.privacy.address());
    expect(row[col('recipient_verified')]).toBe('true');
    expect(row[col('spent_note')]).toBe(String(note.shield));
    expect(row[col('amount')]).toBe(ETH.toString());
    const un = rows.find((r) => r[col('tx_hash')] === h.unshield)!;
    expect(un[col('recipient_kind')]).toBe('account');
    expect(un[col('recipient_account')]).toBe(String(dave.account));
    // The tricky memo is quoted (comma, quotes, CRLF); plain fields are not.
    expect(csv).toContain('"invoice 42, ""urgent""\r\nsecond line"');
    expect(csv).toContain(`,${h.pt1},`);
  });

  it('refuses a bad range, unknown transactions and notes, and public transactions', async () => {
    const reg = new Regulator(chain.client(), fullKeyring());
    await expect(reg.openTransaction(`0x${'ab'.repeat(32)}`)).rejects.toBeInstanceOf(
      TransactionNotFoundError,
    );
    const registration = [...chain.txs.entries()].find(([, c]) => c.tx.type === TxType.REGISTER)![0];
    await expect(reg.openTransaction(registration)).rejects.toBeInstanceOf(NotAPrivacyTransactionError);
    await expect(reg.traceNote(chain.state.notes.length)).rejects.toBeInstanceOf(NoteNotFoundError);
    await expect(reg.report({ fromHeight: 5, toHeight: 4 })).rejects.toThrow(/bad block range/);
    await expect(reg.report({ fromHeight: 1, toHeight: chain.head + 5n })).rejects.toThrow(/does not exist/);
  });
});
