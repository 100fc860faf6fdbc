// The consent lifecycle against a fresh `custodia-node --dev`, driven by the same script a user
// runs (consent-lifecycle.mjs): request → grant → open vault → expiry → unpin confirmed →
// removal attested, with the runtime APIs' answers checked at each stage; and a record an
// institution registers for a person, pending until accepted, with its deposit held and released.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Keyring } from '@polkadot/keyring';
import { connect, panicsIn, startDevNode } from './lib/node.mjs';
import { randomBytes } from 'node:crypto';
import { eventOf, submit } from './lib/tx.mjs';
import { consentLifecycle, VAULT_BLOCKS } from './consent-lifecycle.mjs';

describe('consent lifecycle on custodia-node --dev', () => {
  let node;
  let api;

  before(async () => {
    node = await startDevNode();
    api = await connect(node.url);
  });

  after(async () => {
    await api?.disconnect();
    const exit = await node?.stop();
    assert.deepEqual(panicsIn(node.log()), []);
    assert.equal(exit.code, 0);
  });

  test('request → grant → open vault → expiry → unpin confirmed → removal attested', async () => {
    const { trail } = await consentLifecycle(api);
    assert.deepEqual(trail.map((t) => t.step), [
      'institution admitted by governance',
      'data steward admitted by governance',
      'record registered by its owner',
      'consent requested by the institution',
      'consent granted by the person',
      'vault opened by the person',
      'vault expired on its own',
      'unpin confirmed by the data steward',
      'removal attested by the institution',
    ]);
    const blocks = trail.map((t) => t.block);
    assert.deepEqual(blocks, [...blocks].sort((a, b) => a - b), 'steps happen in block order');
    const opened = trail.find((t) => t.step === 'vault opened by the person');
    const expired = trail.find((t) => t.step === 'vault expired on its own');
    assert.equal(expired.block, opened.expiresAt);
    assert.ok(expired.block - opened.block <= VAULT_BLOCKS + 1);
  });

  test('a person who is no institution cannot ask for consent, and is told why', async () => {
    const keyring = new Keyring({ type: 'sr25519' });
    const eve = keyring.addFromUri('//Eve');
    const ferdie = keyring.addFromUri('//Ferdie');
    const { number } = await api.rpc.chain.getHeader();
    const start = number.toNumber();
    await assert.rejects(
      submit(api, api.tx.consent.request(ferdie.address, ['VitalSigns'], 'TREAT', { start, end: start + 10 }, new Uint8Array(32).fill(1)), eve),
      /consent\.NotActiveInstitution: Only an active consortium institution may ask for consent/,
    );
  });

  test('a record an institution registers waits for the person; deposits are held and released', async () => {
    const keyring = new Keyring({ type: 'sr25519' });
    const alice = keyring.addFromUri('//Alice');
    const run = randomBytes(4).toString('hex');
    const [clinic, steward, person] = ['clinic', 'steward', 'person'].map((n) => keyring.addFromUri(`//Alice/deposit-${n}-${run}`));
    for (const who of [clinic, steward, person]) await submit(api, api.tx.balances.transferKeepAlive(who.address, 1_000n * 10n ** 12n), alice);
    const admit = (who, kinds, ipfs) => api.tx.sudo.sudo(api.tx.consortium.admitMember(who.address, kinds, `deposit ${run}`, randomBytes(32), ipfs));
    await submit(api, admit(clinic, ['Institution'], null), alice);
    await submit(api, admit(steward, ['DataSteward'], '/ip4/127.0.0.1/tcp/4001'), alice);
    const held = async (who) => (await api.query.balances.holds(who.address))
      .filter((h) => h.id.isVaults && h.id.asVaults.isRecordDeposit)
      .reduce((sum, h) => sum + h.amount.toBigInt(), 0n);
    const proposeFor = async (cid) => {
      const r = await submit(api, api.tx.vaults.registerRecord(person.address, cid, randomBytes(32), 2048, ['ClinicalNotes'], steward.address), clinic);
      return eventOf(api, r.events, 'vaults', 'RecordPending').record.toNumber();
    };

    const accepted = await proposeFor(`bafyletter${run}`);
    const deposit = await held(clinic);
    assert.ok(deposit > 0n, 'the clinic holds a record deposit');
    assert.equal(await held(person), 0n);
    assert.deepEqual((await api.query.vaults.recordsOf(person.address)).map((x) => x.toNumber()), [], 'a pending record is not the person\'s');
    assert.ok((await api.query.vaults.records(accepted)).isNone);
    assert.ok(!(await api.call.vaultsApi.mustPin(steward.address)).some((i) => i.target.isRecord && i.target.asRecord.toNumber() === accepted));
    await assert.rejects(submit(api, api.tx.vaults.acceptRecord(accepted), clinic), /vaults\.NotSubjectOrDelegate/);

    let r = await submit(api, api.tx.vaults.acceptRecord(accepted), person);
    eventOf(api, r.events, 'vaults', 'RecordRegistered');
    assert.deepEqual((await api.query.vaults.recordsOf(person.address)).map((x) => x.toNumber()), [accepted]);
    assert.ok((await api.call.vaultsApi.mustPin(steward.address)).some((i) => i.target.isRecord && i.target.asRecord.toNumber() === accepted));

    // A CID as long as the first, so the same deposit.
    const rejected = await proposeFor(`bafyrefuse${run}`);
    assert.equal(await held(clinic), 2n * deposit);
    r = await submit(api, api.tx.vaults.rejectRecord(rejected), person);
    eventOf(api, r.events, 'vaults', 'RecordRejected');
    assert.equal(await held(clinic), deposit, 'rejecting releases its deposit');
    r = await submit(api, api.tx.vaults.retireRecord(accepted), person);
    eventOf(api, r.events, 'vaults', 'RecordRetired');
    assert.equal(await held(clinic), 0n, 'retiring releases the last deposit');

    // Someone without funds is refused, with the pallet's reason.
    const broke = keyring.addFromUri(`//Alice/deposit-broke-${run}`);
    await submit(api, api.tx.balances.transferKeepAlive(broke.address, 10n ** 12n / 1_000n * 5n), alice);
    await assert.rejects(
      submit(api, api.tx.vaults.registerRecord(broke.address, `bafybroke${run}`, randomBytes(32), 2048, ['VitalSigns'], steward.address), broke),
      /vaults\.InsufficientDeposit/,
    );
  });

  test('calls and errors carry their documentation in the metadata', () => {
    const openVault = api.tx.vaults.openVault.meta;
    assert.match(openVault.docs.join(' '), /\S/);
    assert.match(api.errors.consent.NotSubjectOrDelegate.meta.docs.join(' '), /subject/);
    assert.match(api.events.vaults.VaultExpired.meta.docs.join(' '), /\S/);
  });
});
