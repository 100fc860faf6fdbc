#!/usr/bin/env node
// The consent lifecycle as people and institutions meet it through @polkadot/api: an institution
// and a data steward join, a person registers a record, the institution asks for consent, the
// person grants it and opens a shared data vault, the vault expires, the steward confirms it
// unpinned the data and the institution attests it removed its copy. Every step is checked
// against its event, and the runtime APIs are asked what they answer at each stage.
//
//   npm run consent-lifecycle -- --url ws://127.0.0.1:9944     (a running `custodia-node --dev`)
//
// tests/consent.test.mjs runs the same function against a fresh dev node.

import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Keyring } from '@polkadot/keyring';
import { connect } from './lib/node.mjs';
import { eventOf, nextEvent, submit } from './lib/tx.mjs';

/** Blocks a vault stays open in this walk-through: short, so that expiry comes quickly. */
export const VAULT_BLOCKS = 3;

/**
 * Walks the whole lifecycle on the chain behind `api` (which must have sudo, as `--dev` has)
 * and returns the audit trail: one entry per step, `{ step, block, ... }`. Throws, naming the
 * step, at the first thing that does not happen as it should.
 */
export async function consentLifecycle(api, { say = () => {} } = {}) {
  const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
  const governance = keyring.addFromUri('//Alice'); // the dev chain's sudo key
  // Fresh accounts each run, so that the walk-through works on a chain it already ran on.
  const run = randomBytes(4).toString('hex');
  const institution = keyring.addFromUri(`//Alice/clinic-${run}`);
  const steward = keyring.addFromUri(`//Alice/steward-${run}`);
  const person = keyring.addFromUri(`//Alice/person-${run}`);
  const trail = [];
  const record = (step, block, details = {}) => {
    trail.push({ step, block, ...details });
    say(`#${block} ${step}`);
  };

  // Fees: the dev chain endows only the well-known accounts.
  const fund = (who) => api.tx.balances.transferKeepAlive(who.address, 1_000n * 10n ** 12n);
  for (const who of [institution, steward, person]) await submit(api, fund(who), governance);

  const admit = (who, kinds, name, ipfsAddress) => api.tx.sudo.sudo(api.tx.consortium.admitMember(
    who.address, kinds, name, randomBytes(32), ipfsAddress));
  let r = await submit(api, admit(institution, ['Institution'], 'St. Example Clinic', null), governance);
  eventOf(api, r.events, 'consortium', 'MemberAdmitted');
  record('institution admitted by governance', r.block, { who: institution.address });
  r = await submit(api, admit(steward, ['DataSteward'], 'Steward One', '/ip4/127.0.0.1/tcp/4001'), governance);
  eventOf(api, r.events, 'consortium', 'MemberAdmitted');
  record('data steward admitted by governance', r.block, { who: steward.address });

  const recordCid = `bafyrecord${run}`;
  r = await submit(api, api.tx.vaults.registerRecord(person.address, recordCid, randomBytes(32), 2048,
    ['VitalSigns', 'WearableReadings'], steward.address), person);
  const recordId = eventOf(api, r.events, 'vaults', 'RecordRegistered').record.toNumber();
  record('record registered by its owner', r.block, { record: recordId });

  const start = r.block;
  r = await submit(api, api.tx.consent.request(person.address, ['VitalSigns', 'WearableReadings'], 'TREAT',
    { start, end: start + 100 }, randomBytes(32)), institution);
  const requestId = eventOf(api, r.events, 'consent', 'ConsentRequested').request.toNumber();
  record('consent requested by the institution', r.block, { request: requestId });
  const pending = await api.call.consentApi.requestsOf(person.address);
  if (!pending.some((p) => p.id.toNumber() === requestId)) throw new Error('ConsentApi.requests_of does not list the request');

  r = await submit(api, api.tx.consent.grant(requestId, null, null), person);
  const granted = eventOf(api, r.events, 'consent', 'ConsentGranted');
  const grantId = granted.grant.toNumber();
  record('consent granted by the person', r.block, { grant: grantId });
  const authorized = (category) => api.call.consentApi.isAuthorized(institution.address, person.address, category, 'TREAT');
  if (!(await authorized('VitalSigns')).isTrue) throw new Error('ConsentApi.is_authorized denies a granted category');
  if ((await authorized('Medications')).isTrue) throw new Error('ConsentApi.is_authorized allows a category never granted');

  const vaultCid = `bafyvault${run}`;
  r = await submit(api, api.tx.vaults.openVault(grantId, recordId, vaultCid, 0), person).catch((e) => e);
  if (!(r instanceof Error) || !/vaults\.\w+/.test(r.message)) throw new Error(`opening a vault that expires in the past was not refused with a pallet error: ${r}`);
  const head = (await api.rpc.chain.getHeader()).number.toNumber();
  r = await submit(api, api.tx.vaults.openVault(grantId, recordId, vaultCid, head + 1 + VAULT_BLOCKS), person);
  const opened = eventOf(api, r.events, 'vaults', 'VaultOpened');
  const vaultId = opened.vault.toNumber();
  const expiresAt = opened.expiresAt.toNumber();
  record('vault opened by the person', r.block, { vault: vaultId, expiresAt });
  const pinTarget = (items) => items.some((i) => i.target.isVault && i.target.asVault.toNumber() === vaultId);
  if (!pinTarget(await api.call.vaultsApi.mustPin(steward.address))) throw new Error('VaultsApi.must_pin does not list the open vault');
  if (!(await api.call.vaultsApi.isVaultOpen(vaultId)).isTrue) throw new Error('VaultsApi.is_vault_open says the new vault is closed');

  const expired = await nextEvent(api, 'vaults', 'VaultExpired', (d) => d.vault.toNumber() === vaultId);
  record('vault expired on its own', expired.block, { vault: vaultId });
  if (expired.block !== expiresAt) throw new Error(`vault expired at block ${expired.block}, not at its expiry block ${expiresAt}`);
  if ((await api.call.vaultsApi.isVaultOpen(vaultId)).isTrue) throw new Error('VaultsApi.is_vault_open says the expired vault is open');
  if (!pinTarget(await api.call.vaultsApi.mustUnpin(steward.address))) throw new Error('VaultsApi.must_unpin does not list the expired vault');

  r = await submit(api, api.tx.vaults.confirmUnpinned({ Vault: vaultId }), steward);
  eventOf(api, r.events, 'vaults', 'UnpinConfirmed');
  record('unpin confirmed by the data steward', r.block, { vault: vaultId });
  if (pinTarget(await api.call.vaultsApi.mustUnpin(steward.address))) throw new Error('VaultsApi.must_unpin still lists the confirmed vault');

  r = await submit(api, api.tx.vaults.attestRemoval(vaultId, vaultCid), institution);
  eventOf(api, r.events, 'vaults', 'RemovalAttested');
  record('removal attested by the institution', r.block, { vault: vaultId });

  const vault = (await api.query.vaults.vaults(vaultId)).unwrap();
  if (!vault.state.isExpired) throw new Error(`vault state is ${vault.state.type}, not Expired`);
  if (vault.unpinned.isNone || vault.removalAttestedAt.isNone) throw new Error('vault storage lacks the unpin or the removal attestation');
  return { trail, institution: institution.address, steward: steward.address, person: person.address, vault: vaultId, grant: grantId, request: requestId, record: recordId };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { url: { type: 'string', default: 'ws://127.0.0.1:9944' } } });
  const api = await connect(values.url);
  try {
    await consentLifecycle(api, { say: (line) => console.log(line) });
    console.log('consent lifecycle complete');
  } finally {
    await api.disconnect();
  }
}
