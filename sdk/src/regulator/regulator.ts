import { type Hex, type Note, type ObserverKeyPair, type Point, txFromJson } from '@tessera/core';
import { samePoint } from '@tessera/core/privacy/validate';
import { fetchNotes, fetchPrivacyParams } from '../privacy/chain.ts';
import { type AccountView, RPC_METHOD_NOT_FOUND, RpcError, type TesseraClient } from '../rpcClient.ts';
import { NoteNotFoundError, ObserverKeyMismatchError, RegulatorError } from './errors.ts';
import type { ObserverKeyring } from './keyring.ts';
import { type OpenedTransaction, openFetchedTransaction, openTransaction } from './open.ts';
import { type RegulatorReport, report } from './report.ts';
import { type NoteTrace, traceNote } from './trace.ts';

/** A public L2 account as the regulator reports it. */
export type AccountRef = { index: number; ethAddress: string; assetId: number; publicKey: Point };

const NOTE_PAGE = 256;

/**
 * The regulator tool over a sequencer's RPC with an observer keyring (docs/PRIVACY.md "Regulator
 * tool"). Every opening first checks that the keyring's secret for the transaction's epoch is the
 * one whose public key the chain registered; a missing or different secret throws before anything
 * is decrypted. Notes, accounts and the chain's observer keys are cached per instance.
 */
export class Regulator {
  private chainIdValue?: bigint;
  private chainKeys?: Map<bigint, Point>;
  private readonly verified = new Set<bigint>();
  private readonly notePages = new Map<number, Promise<Note[]>>();
  private readonly accountsByKey = new Map<string, AccountRef[]>();
  private readonly accountsByIndex = new Map<number, AccountRef | null>();
  /** Every account, when the sequencer lacks tessera_getAccountsByPublicKey (built once). */
  private allAccounts?: AccountRef[];

  constructor(
    readonly client: TesseraClient,
    readonly keyring: ObserverKeyring,
  ) {}

  openTransaction(txHash: string): Promise<OpenedTransaction> {
    return openTransaction(this, txHash);
  }

  traceNote(noteIndex: number): Promise<NoteTrace> {
    return traceNote(this, noteIndex);
  }

  report(range: { fromHeight: bigint | number; toHeight: bigint | number }): Promise<RegulatorReport> {
    return report(this, range);
  }

  /** Opens a transaction already fetched (e.g. from a block), without fetching it again. */
  openFetched(fetched: { hash: Hex; tx: unknown; blockHeight: bigint | null; index: number | null }) {
    return openFetchedTransaction(this, { ...fetched, tx: txFromJson(fetched.tx) });
  }

  async chainId(): Promise<bigint> {
    this.chainIdValue ??= await this.client.chainId();
    return this.chainIdValue;
  }

  /**
   * The keyring's key pair for `epoch`, after checking it against the chain's observer key of
   * that epoch: ObserverKeyMissingError without a secret, ObserverKeyMismatchError with another.
   */
  async observer(epoch: bigint): Promise<ObserverKeyPair> {
    const pair = this.keyring.require(epoch);
    if (this.verified.has(epoch)) return pair;
    let chainKey = (await this.chainObserverKeys()).get(epoch);
    if (!chainKey) chainKey = (await this.chainObserverKeys(true)).get(epoch);
    if (!chainKey)
      throw new RegulatorError('BAD_RPC_RESPONSE', `the chain lists no observer key for epoch ${epoch}`);
    if (!samePoint(chainKey, pair.publicKey.key)) throw new ObserverKeyMismatchError(epoch);
    this.verified.add(epoch);
    return pair;
  }

  private async chainObserverKeys(refresh = false): Promise<Map<bigint, Point>> {
    if (!this.chainKeys || refresh) {
      const params = await fetchPrivacyParams(this.client);
      this.chainKeys = new Map(params.observerKeys.map((k) => [k.epoch, k.key]));
    }
    return this.chainKeys;
  }

  /** Note `index` (NoteNotFoundError if it does not exist). */
  async note(index: number): Promise<Note> {
    if (!Number.isSafeInteger(index) || index < 0) throw new NoteNotFoundError(index);
    const start = index - (index % NOTE_PAGE);
    let notes = await this.notePage(start, false);
    // A page read before this note existed is read again.
    if (!notes[index - start] && notes.length < NOTE_PAGE) notes = await this.notePage(start, true);
    const note = notes[index - start];
    if (!note) throw new NoteNotFoundError(index);
    return note;
  }

  private notePage(start: number, refresh: boolean): Promise<Note[]> {
    let page = refresh ? undefined : this.notePages.get(start);
    if (!page) {
      page = fetchNotes(this.client, start, NOTE_PAGE).then((r) => r.notes);
      this.notePages.set(start, page);
      // A failed read is not cached.
      page.catch(() => this.notePages.delete(start));
    }
    return page;
  }

  async account(index: number): Promise<AccountRef | null> {
    if (!this.accountsByIndex.has(index)) {
      const a = await this.client.getAccount(index);
      this.accountsByIndex.set(index, a ? accountRef(a) : null);
    }
    return this.accountsByIndex.get(index) ?? null;
  }

  /**
   * The accounts registered with an L2 public key (one per asset) via
   * `tessera_getAccountsByPublicKey`; a sequencer without that method is read account by account
   * (indices from 1 until the first missing one), once per Regulator.
   */
  async accountsOf(publicKey: Point): Promise<AccountRef[]> {
    const key = `${publicKey[0]}:${publicKey[1]}`;
    const cached = this.accountsByKey.get(key);
    if (cached) return cached;
    let found: AccountRef[];
    try {
      found = (await this.client.getAccountsByPublicKey(publicKey)).map(accountRef);
    } catch (err) {
      if (!(err instanceof RpcError && err.rpcCode === RPC_METHOD_NOT_FOUND)) throw err;
      found = (await this.everyAccount()).filter((a) => samePoint(a.publicKey, publicKey));
    }
    found = found.filter((a) => samePoint(a.publicKey, publicKey)).sort((a, b) => a.index - b.index);
    this.accountsByKey.set(key, found);
    return found;
  }

  private async everyAccount(): Promise<AccountRef[]> {
    if (!this.allAccounts) {
      const all: AccountRef[] = [];
      for (let i = 1; ; i++) {
        const a = await this.account(i);
        if (!a) break;
        all.push(a);
      }
      this.allAccounts = all;
    }
    return this.allAccounts;
  }
}

function accountRef(a: AccountView): AccountRef {
  return {
    index: a.index,
    ethAddress: a.ethAddress.toLowerCase(),
    assetId: a.assetId,
    publicKey: [BigInt(a.publicKey[0]), BigInt(a.publicKey[1])],
  };
}

/** Opens one privacy transaction with a keyring over any sequencer client (e2e tests, scripts). */
export function openTransactionWith(
  client: TesseraClient,
  keyring: ObserverKeyring,
  txHash: string,
): Promise<OpenedTransaction> {
  return new Regulator(client, keyring).openTransaction(txHash);
}
