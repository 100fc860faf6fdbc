/**
 * The consent app's shared state: the connection, the signed-in account (secrets in memory
 * only), the chain data for that person, the clock for dates, and the transaction runner that
 * reports each step in the status region and every failure in the alert region.
 */
import type { ApiPromise } from '@polkadot/api';
import type { SubmittableExtrinsic } from '@polkadot/api/types';
import type { KeyringPair } from '@polkadot/keyring/types';
import type { Signer } from '@polkadot/types/types';
import type { Connection } from '../lib/connection';
import type { ConsentRequest, Grant, HealthRecord, Member, Vault } from '../lib/chain';
import type { EnvelopeKey } from '../lib/keys';
import type { Clock } from '../lib/time';
import { blockDate } from '../lib/time';
import { send, TxError, type TxResult } from '../lib/tx';
import { alertError, short, status } from '../lib/dom';
import { EventIndex } from '../lib/audit';

export type AccountSource = 'extension' | 'development' | 'phrase' | 'json';

export interface Account {
  address: string;
  name: string;
  source: AccountSource;
  pair?: KeyringPair;
  signer?: Signer;
  /** Needed only to open records (for vaults). */
  envelope?: EnvelopeKey;
}

export interface PersonData {
  requests: ConsentRequest[];
  grants: Grant[];
  cohorts: Map<string, Grant>;
  records: HealthRecord[];
  vaults: Vault[];
}

export const state = {
  config: { rpc: '', ipfs: '/ipfs' },
  connection: null as Connection | null,
  api: null as ApiPromise | null,
  account: null as Account | null,
  members: new Map<string, Member>(),
  clock: null as Clock | null,
  finalized: 0,
  data: null as PersonData | null,
  index: new EventIndex(['consent', 'vaults']),
  busy: false,
};

/** An institution's display name, else its short address. */
export function memberName(address: string): string {
  if (state.account && address === state.account.address) return 'you';
  return state.members.get(address)?.name ?? short(address);
}

export const now = (): number => state.clock?.block ?? 0;
export const when = (block: number): string => blockDate(state.clock, block);

/**
 * Runs one transaction for the signed-in account: status messages for signing, in block and
 * finalized; the error in words in the alert region. Buttons in `disable` are disabled meanwhile.
 */
export async function runTx(
  what: string,
  build: (api: ApiPromise) => SubmittableExtrinsic<'promise'>,
  disable: HTMLButtonElement[] = [],
): Promise<TxResult | null> {
  const api = state.api;
  const account = state.account;
  if (!api || !account) {
    alertError(`${what}: not connected or not signed in.`);
    return null;
  }
  alertError('');
  disable.forEach((b) => (b.disabled = true));
  state.busy = true;
  try {
    const tx = build(api);
    const result = await send(api, tx, account, (phase, block) => {
      if (phase === 'signing') status(`${what}: ${account.source === 'extension' ? 'approve the signature in the extension…' : 'signing…'}`);
      if (phase === 'sent') status(`${what}: sent, waiting for a block…`);
      if (phase === 'in block') status(`${what}: included in block ${block ?? ''}, waiting for finality…`);
      if (phase === 'finalized') status(`${what}: finalized${block ? ` in block ${block}` : ''}.`);
    });
    status(`${what}: done, finalized in block ${result.blockNumber}.`);
    return result;
  } catch (error) {
    const message = error instanceof TxError || error instanceof Error ? error.message : String(error);
    status('');
    alertError(`${what} failed. ${message}`);
    return null;
  } finally {
    state.busy = false;
    disable.forEach((b) => (b.disabled = false));
  }
}

/** Shows any error in the alert region with what was being done. */
export function reportError(what: string, error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  status('');
  alertError(`${what} failed. ${message}`);
}
