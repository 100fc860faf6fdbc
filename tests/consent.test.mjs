// The consent lifecycle against a fresh `custodia-node --dev`, driven by the same script a user
// runs (consent-lifecycle.mjs): request → grant → open vault → expiry → unpin confirmed →
// removal attested, with the runtime APIs' answers checked at each stage.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Keyring } from '@polkadot/keyring';
import { connect, panicsIn, startDevNode } from './lib/node.mjs';
import { submit } from './lib/tx.mjs';
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

  test('calls and errors carry their documentation in the metadata', () => {
    const openVault = api.tx.vaults.openVault.meta;
    assert.match(openVault.docs.join(' '), /\S/);
    assert.match(api.errors.consent.NotSubjectOrDelegate.meta.docs.join(' '), /subject/);
    assert.match(api.events.vaults.VaultExpired.meta.docs.join(' '), /\S/);
  });
});
