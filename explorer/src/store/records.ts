import type { Hex, NoteJson } from '@tessera/core';

/*
 * What the explorer stores, as JSON. Integers that can exceed 2^53 are decimal strings, as in
 * the sequencer RPC, so the API can hand records out unchanged.
 */

export type IndexMeta = {
  chainId: string;
  height: string;
  hash: Hex;
  nextIndex: number;
  nextDepositIndex: string;
  nextTxSeq: string;
  /** Privacy ledger after the block (absent before the first privacy transaction). */
  privacy?: PrivacyMeta;
};

export type PrivacyMeta = {
  notesRoot: string;
  keyImagesRoot: string;
  notes: number;
  spent: number;
  /** Observer keys in the state (the genesis key from the chain parameters included). */
  observerKeys: number;
};

/** A note as created by a SHIELD or PRIVATE_TRANSFER (public data; the owner stays unknown). */
export type NoteRecord = NoteJson & { height: string };

/** A spent key-image tag and the transaction that spent it. */
export type KeyImageRecord = { tag: string; keyImage?: [string, string]; txHash?: Hex; height: string };

/** An observer key: the genesis one (chain parameters, height 0) or one added by a rotation. */
export type ObserverKeyRecord = { epoch: string; key: [string, string]; txHash?: Hex; height: string };

export type L1Meta = { lastBlock: string; committedHead: string | null; verifiedHead: string | null };

export type CertificateSummary = { round: number; signers: string[] };

export type BlockRecord = {
  height: string;
  hash: Hex;
  parentHash: Hex;
  stateRoot: string;
  timestamp: string;
  txCount: number;
  depositCount: number;
  txHashes: Hex[];
  header: Record<string, string | number>;
  certificate: CertificateSummary | null;
  /** "ok"/"mismatch" when the explorer recomputed the state root, "skipped" otherwise. */
  stateRootCheck: 'ok' | 'mismatch' | 'skipped';
};

export type TxSummary = {
  hash: Hex;
  type: number;
  typeName: string;
  height: string;
  index: number;
  timestamp: string;
  from?: number;
  to?: number;
  /** DEPOSIT: the L1 depositor. */
  depositor?: Hex;
  amount?: string;
  assetId?: number;
  /** SHIELD, PRIVATE_TRANSFER: the note created. */
  noteIndex?: number;
  noteCommitment?: string;
  /** PRIVATE_TRANSFER, UNSHIELD: ring size (notes, never accounts) and spent key-image tag. */
  ringSize?: number;
  keyImageTag?: string;
  /** OBSERVER_KEY: the epoch registered. */
  epoch?: string;
};

export type TxOutcome =
  | { kind: 'applied'; accountIndex?: number }
  | { kind: 'refunded'; reason: string; exitIndex: number }
  | { kind: 'exit'; exitIndex: number }
  /** Not understood by this explorer version (future types) or rejected by its replay. */
  | { kind: 'uninterpreted'; reason: string };

export type TxRecord = TxSummary & {
  seq: string;
  blockHash: Hex;
  /**
   * The transaction JSON as served by the sequencer; ring transactions keep their public fields
   * and the key-image tag, without the ring signature and observer memo.
   */
  tx: Record<string, unknown>;
  outcome: TxOutcome;
};

export type AccountRecord = {
  index: number;
  publicKey: [string, string];
  ethAddress: Hex;
  assetId: number;
  nonce: string;
  accountType: number;
  kycLevel: number;
  flags: number;
  balance: string;
  createdHeight: string;
  createdTx: Hex;
  txCount: number;
};

export type HistoryEntry = {
  seq: string;
  txHash: Hex;
  height: string;
  index: number;
  timestamp: string;
  type: number;
  typeName: string;
  /** Who this account was in the transaction. */
  role: 'owner' | 'sender' | 'recipient';
  counterparty?: string;
  /** Signed balance change. */
  delta: string;
  balanceAfter: string;
  assetId: number;
};

export type AssetRecord = {
  assetId: number;
  symbol: string;
  decimals: number;
  maxSupply: string;
  supply: string;
  holders: number;
  accounts: number;
  deposited: string;
  withdrawn: string;
  transfers: number;
  /** Value held in notes (shielded minus unshielded). */
  inNotes?: string;
  /** Private transfers of this asset. */
  privateTransfers?: number;
};

export type L1Ref = { tx: Hex; block: string };

export type BatchRecord = {
  height: string;
  blockHash?: Hex;
  txCount?: number;
  timestamp?: string;
  commit?: L1Ref;
  verify?: L1Ref;
};

export type DepositRecord = {
  queueIndex: string;
  depositor?: Hex;
  to?: number;
  assetId?: number;
  amount?: string;
  l1?: L1Ref;
  l2?: { txHash: Hex; height: string; credited: boolean; reason?: string };
  /** Paid back on L1 because no batch consumed it (escape hatch). */
  reclaimed?: L1Ref;
};

export type ExitRecord = {
  height: string;
  j: number;
  kind: 'withdrawal' | 'refund';
  recipient: Hex;
  assetId: number;
  amount: string;
  txHash: Hex;
  fromAccount?: number;
  claim?: L1Ref;
};
