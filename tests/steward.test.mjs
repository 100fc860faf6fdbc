// The data steward role of the node-side worker, against a real IPFS daemon (js-ipfs, Kubo RPC
// API) and a real `custodia-node --dev --steward`: what the chain says must be pinned is pinned;
// when a vault expires it is unpinned and garbage-collected (no longer retrievable from the
// daemon) within 2 blocks of its expiry block, and the unpin is confirmed on chain; with IPFS
// down while vaults expire, every unpin happens once it is back.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Keyring } from '@polkadot/keyring';
import { connect, rpc, startDevNode, stopAndCheck, waitFor } from './lib/node.mjs';
import { startIpfs } from './lib/ipfs.mjs';
import { eventOf, nextEvent, submit } from './lib/tx.mjs';

const UNIT = 10n ** 12n;

describe('data steward worker (custodia-node --dev --steward + IPFS)', () => {
  let ipfs;
  let node;
  let api;
  const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
  const alice = keyring.addFromUri('//Alice'); // sudo
  const steward = keyring.addFromUri('//Charlie'); // the worker's key (--worker-dev-key //Charlie)
  const institution = keyring.addFromUri('//Alice/steward-test-clinic');
  const person = keyring.addFromUri('//Alice/steward-test-person');
  let recordId;
  let grantId;

  const head = async () => (await api.rpc.chain.getHeader()).number.toNumber();

  /** Puts fresh bytes on the steward's daemon, unpinned, and opens a vault on them expiring `blocks` from now. */
  async function openVault(blocks) {
    const cid = await ipfs.addUnpinned(randomBytes(512));
    const expiresAt = (await head()) + 1 + blocks;
    const r = await submit(api, api.tx.vaults.openVault(grantId, recordId, cid, expiresAt), person);
    const opened = eventOf(api, r.events, 'vaults', 'VaultOpened');
    return { id: opened.vault.toNumber(), cid, expiresAt: opened.expiresAt.toNumber() };
  }

  before(async () => {
    ipfs = await startIpfs();
    node = await startDevNode({ extraArgs: ['--steward', '--ipfs-api', ipfs.url, '--worker-dev-key', '//Charlie'] });
    api = await connect(node.url);

    for (const who of [institution, person]) await submit(api, api.tx.balances.transferKeepAlive(who.address, 1_000n * UNIT), alice);
    await submit(api, api.tx.sudo.sudo(api.tx.consortium.admitMember(steward.address, ['DataSteward'], 'Steward Charlie', randomBytes(32), ipfs.url)), alice);
    await submit(api, api.tx.sudo.sudo(api.tx.consortium.admitMember(institution.address, ['Institution'], 'Clinic', randomBytes(32), null)), alice);

    const recordCid = await ipfs.addUnpinned(randomBytes(2048));
    let r = await submit(api, api.tx.vaults.registerRecord(person.address, recordCid, randomBytes(32), 2048, ['VitalSigns'], steward.address), person);
    recordId = eventOf(api, r.events, 'vaults', 'RecordRegistered').record.toNumber();
    const start = await head();
    r = await submit(api, api.tx.consent.request(person.address, ['VitalSigns'], 'TREAT', { start, end: start + 1000 }, randomBytes(32)), institution);
    const request = eventOf(api, r.events, 'consent', 'ConsentRequested').request.toNumber();
    r = await submit(api, api.tx.consent.grant(request, null, null), person);
    grantId = eventOf(api, r.events, 'consent', 'ConsentGranted').grant.toNumber();

    await waitFor('the steward to pin the record', async () => (await ipfs.pins()).has(recordCid), 60_000);
  });

  after(() => stopAndCheck({ api, node, ipfs }));

  test('an open vault is pinned; at expiry it is unpinned, collected and confirmed within 2 blocks', async (t) => {
    const vault = await openVault(6);
    await waitFor('the steward to pin the open vault', async () => (await ipfs.pins()).has(vault.cid), 30_000);
    assert.ok((await head()) < vault.expiresAt, 'pinned before expiry');

    const confirmed = nextEvent(api, 'vaults', 'UnpinConfirmed', (d) => d.target.isVault && d.target.asVault.toNumber() === vault.id);
    const expired = await nextEvent(api, 'vaults', 'VaultExpired', (d) => d.vault.toNumber() === vault.id);
    const expiredSeenAt = Date.now();
    assert.equal(expired.block, vault.expiresAt);
    const gone = await waitFor('the vault to be unpinned and garbage-collected', async () => {
      const pinned = (await ipfs.pins()).has(vault.cid);
      return !pinned && !(await ipfs.hasBlock(vault.cid)) ? await head() : null;
    }, 30_000, 250);
    assert.ok(gone <= vault.expiresAt + 2, `unpinned at block ${gone}, expiry block ${vault.expiresAt}`);

    const goneAfterMs = Date.now() - expiredSeenAt;
    const confirmation = await confirmed;
    assert.ok(confirmation.block <= vault.expiresAt + 2, `confirmed at block ${confirmation.block}`);
    t.diagnostic(`expiry block ${vault.expiresAt}: unpinned and collected by block ${gone} (${goneAfterMs} ms after the test saw the expiry), confirmed in block ${confirmation.block}`);
    const stored = (await api.query.vaults.vaults(vault.id)).unwrap();
    assert.equal(stored.unpinned.unwrap().by.toString(), steward.address);
  });

  test('with IPFS down while vaults expire, every unpin happens once it is back', async () => {
    // Expiries far enough ahead that the daemon is down before the first (the pins take a block
    // or two; a loaded machine misses slots).
    const vaults = [await openVault(8), await openVault(9)];
    await waitFor('the steward to pin both vaults', async () => {
      const pins = await ipfs.pins();
      return vaults.every((v) => pins.has(v.cid));
    }, 30_000);

    await ipfs.stop();
    assert.ok((await head()) < Math.min(...vaults.map((v) => v.expiresAt)), 'the daemon stopped before the first expiry');
    const lastExpiry = Math.max(...vaults.map((v) => v.expiresAt));
    await waitFor('10 blocks past the last expiry', async () => (await head()) >= lastExpiry + 10, 240_000, 1000);
    for (const v of vaults) {
      const stored = (await api.query.vaults.vaults(v.id)).unwrap();
      assert.ok(stored.state.isExpired, `vault ${v.id} expired on chain`);
      assert.ok(stored.unpinned.isNone, `vault ${v.id} is not confirmed while IPFS is down`);
    }
    const metrics = await (await fetch(`http://127.0.0.1:${node.prometheusPort}/metrics`)).text();
    assert.match(metrics, /custodia_worker_ipfs_failures_total\{[^}]*\} [1-9]/);
    assert.match(metrics, /custodia_worker_unpins_pending\{[^}]*\} [1-9]/);

    await ipfs.start();
    await waitFor('every unpin to be done and confirmed', async () => {
      for (const v of vaults) {
        if ((await api.query.vaults.vaults(v.id)).unwrap().unpinned.isNone) return false;
      }
      return true;
    }, 60_000, 1000);
    const pins = await ipfs.pins();
    for (const v of vaults) {
      assert.ok(!pins.has(v.cid), `vault ${v.id} unpinned`);
      assert.equal(await ipfs.hasBlock(v.cid), false, `vault ${v.id} collected`);
    }
    assert.ok((await api.call.vaultsApi.mustUnpin(steward.address)).length === 0, 'nothing left to unpin');
  });
});
