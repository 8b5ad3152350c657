// Users claiming their own exits on L1, with nothing but an L1 endpoint: the exits and their
// Merkle proofs are rebuilt from the commit calldata (l1Reader), so no operator or sequencer is needed.
import { tesseraBridgeAbi } from '@tessera/contracts';
import type { Account, Address, Chain, Hex, PublicClient, Transport, WalletClient } from 'viem';
import { type ClaimableExit, type LogRange, claimArgs, findExits } from './l1Reader.ts';

type Wallet = WalletClient<Transport, Chain | undefined, Account>;

/** Sends `claim` for one exit (anyone may send it; the bridge always pays the exit's recipient). */
export async function claimExit(
  wallet: Wallet,
  client: PublicClient,
  bridge: Address,
  e: ClaimableExit,
): Promise<Hex> {
  const hash = await wallet.writeContract({
    address: bridge,
    abi: tesseraBridgeAbi,
    functionName: 'claim',
    args: claimArgs(e),
    account: wallet.account,
    chain: wallet.chain,
  });
  const receipt = await client.waitForTransactionReceipt({ hash });
  if (receipt.status !== 'success') throw new Error(`claim of exit ${e.height}/${e.j} reverted (${hash})`);
  return hash;
}

/** Claims every verified, unclaimed exit paid to the wallet's address. Returns what was claimed. */
export async function claimMyExits(
  wallet: Wallet,
  client: PublicClient,
  o: { rollup: Address; bridge: Address; recipient?: Address } & LogRange,
): Promise<{ claimed: ClaimableExit[]; waiting: ClaimableExit[] }> {
  const exits = await findExits(client, { ...o, recipient: o.recipient ?? wallet.account.address });
  const claimed: ClaimableExit[] = [];
  const waiting: ClaimableExit[] = [];
  for (const e of exits) {
    if (e.claimed) continue;
    if (!e.verified) {
      waiting.push(e);
      continue;
    }
    await claimExit(wallet, client, o.bridge, e);
    claimed.push({ ...e, claimed: true });
  }
  return { claimed, waiting };
}
