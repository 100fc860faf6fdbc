/**
 * Transactions: sign and send with a page-held key pair or an extension signer, report
 * "sent → in block → finalized", and turn every failure into words: a pallet error's docs from
 * metadata (`Pallet.Error: docs`), fees the account cannot pay, a signature the person refused.
 */
import type { ApiPromise } from '@polkadot/api';
import type { SubmittableExtrinsic } from '@polkadot/api/types';
import type { KeyringPair } from '@polkadot/keyring/types';
import type { Signer } from '@polkadot/types/types';
import type { DispatchError, EventRecord } from '@polkadot/types/interfaces';

/** Who signs: a key pair held in the page, or an address whose extension signs. */
export interface SigningAccount {
  address: string;
  pair?: KeyringPair;
  signer?: Signer;
}

export type TxPhase = 'signing' | 'sent' | 'in block' | 'finalized';

export interface TxResult {
  blockHash: string;
  blockNumber: number;
  events: EventRecord[];
}

export class TxError extends Error {}

/** A dispatch error in words: `Pallet.Error: docs` for module errors. */
export function describeDispatchError(api: ApiPromise, error: DispatchError): string {
  if (error.isModule) {
    try {
      const meta = api.registry.findMetaError(error.asModule);
      const docs = meta.docs.join(' ').trim();
      return `${upper(meta.section)}.${meta.name}: ${docs || 'no description'}`;
    } catch {
      return `module error ${error.asModule.toString()}`;
    }
  }
  if (error.isBadOrigin) return 'BadOrigin: this account may not do this.';
  if (error.isToken) return `Token.${error.asToken.type}: ${tokenHint(error.asToken.type)}`;
  if (error.isArithmetic) return `Arithmetic.${error.asArithmetic.type}: an amount over- or underflowed.`;
  return `${error.type}: the chain refused the transaction.`;
}

const upper = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

function tokenHint(type: string): string {
  if (type === 'FundsUnavailable') return 'the account does not have enough funds. Ask for some, then try again.';
  if (type === 'BelowMinimum') return 'the account would fall below the existential deposit.';
  return 'a balance problem.';
}

/** An error thrown while sending (RPC rejects, extension refusals) in words. */
export function describeSendError(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  if (/Inability to pay some fees|balance too low|1010/.test(text) && /pay|balance/i.test(text)) {
    return 'Insufficient funds: this account cannot pay the transaction fee (Inability to pay some fees). Ask the consortium or a friend to send you some tokens, then try again.';
  }
  if (/Cancelled|Rejected by user|User rejected|rejected/i.test(text)) return 'You cancelled the signature in the extension; nothing was sent.';
  if (/Transaction is outdated|Priority is too low|already imported/i.test(text)) {
    return `The node refused the transaction (${text}). Wait for the previous one to be included, then try again.`;
  }
  if (/disconnected|WebSocket is not connected|No response received/i.test(text)) {
    return `The node connection dropped (${text}). Retry once it is connected again.`;
  }
  return text;
}

/**
 * Signs and sends `tx`; `onPhase` hears each step. Resolves at finalization with the events of
 * the extrinsic; rejects with words when the chain refuses it (in block or earlier).
 */
export function send(
  api: ApiPromise,
  tx: SubmittableExtrinsic<'promise'>,
  account: SigningAccount,
  onPhase: (phase: TxPhase, blockNumber?: number) => void = () => undefined,
): Promise<TxResult> {
  return new Promise((resolve, reject) => {
    let unsub: (() => void) | null = null;
    let blockNumber = 0;
    let events: EventRecord[] = [];
    const done = (fn: () => void) => {
      unsub?.();
      fn();
    };
    onPhase('signing');
    const signer = account.pair ?? account.address;
    const options = account.pair ? {} : { signer: account.signer };
    tx.signAndSend(signer, options, (result) => {
      const { status, dispatchError } = result;
      if (status.isReady || status.isBroadcast) onPhase('sent');
      if (status.isInBlock || status.isFinalized) {
        if (dispatchError) {
          done(() => reject(new TxError(describeDispatchError(api, dispatchError))));
          return;
        }
        events = result.events;
      }
      if (status.isInBlock) {
        api.rpc.chain
          .getHeader(status.asInBlock)
          .then((h) => {
            blockNumber = h.number.toNumber();
            onPhase('in block', blockNumber);
          })
          .catch(() => onPhase('in block'));
      }
      if (status.isFinalized) {
        const blockHash = status.asFinalized.toHex();
        const finish = (n: number) => done(() => resolve({ blockHash, blockNumber: n, events }));
        onPhase('finalized', blockNumber || undefined);
        if (blockNumber) finish(blockNumber);
        else
          api.rpc.chain
            .getHeader(status.asFinalized)
            .then((h) => finish(h.number.toNumber()))
            .catch(() => finish(0));
      }
      if (status.isDropped || status.isInvalid || status.isUsurped) {
        done(() => reject(new TxError(`The network dropped the transaction (${status.type}). Try again.`)));
      }
    })
      .then((u) => {
        unsub = u;
      })
      .catch((error: unknown) => reject(new TxError(describeSendError(error))));
  });
}

/** The data of the first event `section.method` among a transaction's events. */
export function findEvent(api: ApiPromise, result: TxResult, section: string, method: string): Record<string, unknown> | null {
  for (const { event } of result.events) {
    if (api.events[section]?.[method]?.is(event)) {
      const out: Record<string, unknown> = {};
      const names = event.data.names ?? [];
      event.data.forEach((value, i) => (out[names[i] ?? String(i)] = value.toPrimitive()));
      return out;
    }
  }
  return null;
}
