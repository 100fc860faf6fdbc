/**
 * Opening a vault, as `custodia vault open` does (cli/src/vault.rs): find the grantee key
 * (the request's requester key, else the institution's member key), fetch the record object,
 * check its BLAKE2-256 hash against the chain, open it with the person's envelope key, re-seal
 * it for (grant, record), store it through the server, then `Vaults.open_vault(grant, record,
 * cid, expires_at)` with `expires_at` = the grant's end, or the finalized block + N blocks.
 */
import { stringToU8a, u8aToHex } from '@polkadot/util';
import { finalizedNumber, granteeKey, recordsById } from '../lib/chain';
import { status } from '../lib/dom';
import { add, cat } from '../lib/ipfs';
import { contentHash, openRecord, sealVaultCopy, MAX_OBJECT_BYTES } from '../lib/object';
import { findEvent } from '../lib/tx';
import { reportError, runTx, state } from './state';

export async function openVault(grant: number, record: number, blocks: number | null, buttons: HTMLButtonElement[]): Promise<void> {
  const api = state.api;
  const account = state.account;
  if (!api || !account) return;
  const what = `Opening a vault for record ${record} under grant ${grant}`;
  if (!account.envelope) {
    reportError(what, new Error('your records key is locked. Unlock it in "Your account" with this account’s recovery phrase or JSON file.'));
    return;
  }
  buttons.forEach((b) => (b.disabled = true));
  let cid: string;
  let expiresAt: number;
  try {
    status(`${what}: reading the grant and the record…`);
    const { key, end } = await granteeKey(api, grant);
    const [stored] = await recordsById(api, [record]);
    if (!stored) throw new Error(`there is no record ${record}`);
    status(`${what}: fetching the encrypted record from IPFS…`);
    const object = await cat(state.config.ipfs, stored.cid);
    if (object.length > MAX_OBJECT_BYTES) throw new Error(`the object ${stored.cid} is larger than ${MAX_OBJECT_BYTES} bytes`);
    if (u8aToHex(contentHash(object)) !== stored.contentHash) {
      throw new Error(`the object ${stored.cid} in IPFS does not match the hash on chain; it was not shared`);
    }
    status(`${what}: opening it with your key and re-sealing it for the institution…`);
    let body: Uint8Array;
    try {
      body = await openRecord(account.envelope.secret, object);
    } catch (error) {
      throw new Error(`record ${record} does not open with your key: ${(error as Error).message}`);
    }
    const copy = await sealVaultCopy(key, BigInt(grant), BigInt(record), body);
    body.fill(0);
    status(`${what}: storing the sealed copy…`);
    cid = await add(state.config.ipfs, copy);
    expiresAt = blocks === null ? end : (await finalizedNumber(api)) + blocks;
  } catch (error) {
    reportError(what, error);
    buttons.forEach((b) => (b.disabled = false));
    return;
  }
  // The CID goes as hex: @polkadot/api reads a bare Uint8Array for `Bytes` as SCALE-encoded
  // (length-prefixed), a hex string as the raw bytes.
  const result = await runTx(what, (a) => a.tx.vaults.openVault(grant, record, u8aToHex(stringToU8a(cid)), expiresAt), buttons);
  if (result) {
    const opened = findEvent(api, result, 'vaults', 'VaultOpened');
    status(`Vault ${opened?.vault ?? ''} opened, finalized in block ${result.blockNumber}: record ${record} is shared until block ${expiresAt} (${cid}).`);
  }
}
