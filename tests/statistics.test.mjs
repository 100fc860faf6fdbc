// A cohort statistic on the 4-validator local net (scripts/local-net.sh), every validator's worker
// an evaluator and a key holder (`--evaluator --key-holder`), one real IPFS daemon:
//
// the council admits an institution and starts a key epoch → every holder publishes its
// public-key share → evaluators agree on the joint key (3 of 4, the local chain's quorum) →
// people encrypt wearable readings under it, register the records and join a PUBHLTH cohort →
// the institution asks for the mean heart rate → evaluators agree on the encrypted aggregate →
// every key holder submits its decryption share → the published values equal the plaintext
// computation. No single party ever decrypts a record.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Keyring } from '@polkadot/keyring';
import { blake2AsHex } from '@polkadot/util-crypto';
import { connect, panicsIn, REPO_ROOT, rpc, run, waitFor } from './lib/node.mjs';
import { startIpfs } from './lib/ipfs.mjs';
import { eventOf, nextEvent, submit, submitAll } from './lib/tx.mjs';

const UNIT = 10n ** 12n;
const FHE_TOOL = join(process.env.CARGO_TARGET_DIR ?? join(process.env.HOME, '.cache/custodia/target'), 'debug/custodia-fhe');
const SCRIPT = join(REPO_ROOT, 'scripts', 'local-net.sh');
const VALIDATORS = ['alice', 'bob', 'charlie', 'dave'];
const COHORT = 12; // ≥ MinCohortSize (10)
const QUORUM = 3; // the local chain's result quorum
// A fake sealed body before the FHE section: the section lies at an offset inside the object.
const BODY_LEN = 16;

// Wearable readings of person i: [heart rate, systolic blood pressure].
const readings = (i) => [58 + 3 * i, 112 + (i % 5) * 4];

describe('cohort statistic on the 4-validator net (evaluators + key holders + IPFS)', () => {
  let ipfs;
  let api;
  const dir = mkdtempSync(join(tmpdir(), 'custodia-statistics-'));
  const env = {
    ...process.env,
    CUSTODIA_NET_DIR: join(dir, 'net'),
    CUSTODIA_NET_P2P_BASE: '32333',
    CUSTODIA_NET_RPC_BASE: '29944',
    CUSTODIA_NET_PROM_BASE: '29615',
  };
  const net = (...args) => run('bash', [SCRIPT, ...args], { env });
  const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
  const founders = ['//Alice', '//Bob', '//Charlie', '//Dave'].map((uri) => keyring.addFromUri(uri));
  const institution = keyring.addFromUri('//Eve'); // also the records' data steward
  const funder = keyring.addFromUri('//Ferdie');
  const people = Array.from({ length: COHORT + 1 }, (_, i) => keyring.addFromUri(`//Ferdie/statistics-person-${i}`));
  const outsider = people[COHORT]; // has a record, but never joins the cohort
  let epoch;

  /** A council motion proposed by Alice, approved by Alice, Bob and Charlie, then closed. */
  async function councilMotion(call) {
    const length = call.method.encodedLength;
    const proposed = await submit(api, api.tx.council.propose(QUORUM, call, length), founders[0]);
    const { proposalIndex, proposalHash } = eventOf(api, proposed.events, 'council', 'Proposed');
    await Promise.all(founders.slice(0, 3).map((f) => submit(api, api.tx.council.vote(proposalHash, proposalIndex, true), f)));
    const closed = await submit(api, api.tx.council.close(proposalHash, proposalIndex, { refTime: 500_000_000_000n, proofSize: 1_000_000n }, length), founders[0]);
    const executed = eventOf(api, closed.events, 'council', 'Executed');
    assert.ok(executed.result.isOk, `motion executed: ${executed.result.toString()}`);
  }

  before(async () => {
    ipfs = await startIpfs();
    env.CUSTODIA_NET_WORKER_ARGS = `--evaluator --key-holder --ipfs-api ${ipfs.url}`;
    await net('start');
    await waitFor('Alice to answer JSON-RPC', async () => (await rpc(29944, 'system_health')) !== undefined, 120_000, 1000);
    api = await connect('ws://127.0.0.1:29944');
    await waitFor('the net to finalize block 1', async () => (await api.rpc.chain.getHeader(await api.rpc.chain.getFinalizedHead())).number.toNumber() >= 1, 180_000, 1000);
    await submitAll(api, people.map((p) => api.tx.balances.transferKeepAlive(p.address, 100n * UNIT)), funder);
  });

  after(async () => {
    await api?.disconnect();
    await net('stop');
    await ipfs?.stop();
    for (const name of VALIDATORS) {
      const log = readFileSync(join(env.CUSTODIA_NET_DIR, name, 'node.log'), 'utf8');
      assert.deepEqual(panicsIn(log), [], `${name}'s log`);
    }
  });

  test('the council starts a key epoch; every holder publishes a share; 3 of 4 evaluators agree on the joint key', async (t) => {
    await councilMotion(api.tx.consortium.admitMember(institution.address, ['Institution', 'DataSteward'], 'Public Health Institute', randomBytes(32), '/ip4/127.0.0.1/tcp/4001'));
    const agreed = nextEvent(api, 'fhe', 'JointKeyAgreed', () => true, 240_000);
    await councilMotion(api.tx.fhe.startKeyEpoch(founders.map((f) => f.address)));
    const { block, data } = await agreed;
    epoch = data.epoch.toNumber();
    t.diagnostic(`epoch ${epoch}: joint key agreed in block ${block}`);

    const current = (await api.call.fheApi.currentKeyEpoch()).unwrap();
    assert.equal(current.id.toNumber(), epoch);
    assert.deepEqual(current.epoch.holders.map((h) => h.holder.toString()), founders.map((f) => f.address));
    assert.ok(current.epoch.holders.every((h) => h.share.isSome), 'every holder published a public-key share');
    const job = (await api.call.fheApi.job(data.job)).unwrap().job;
    const agreeing = job.submissions.filter((s) => s.payload.isSuccess);
    assert.ok(agreeing.length >= QUORUM, `${agreeing.length} evaluators submitted the joint key`);
    assert.equal(new Set(agreeing.map((s) => s.payload.asSuccess.resultHash.toHex())).size, 1, 'identical joint keys');
    const jointKey = current.epoch.jointKey.unwrap();
    const bytes = await ipfs.cat(jointKey.cid.toUtf8());
    // polkadot.js names a struct field `hash` `hash_` (`.hash` is the codec's own hash).
    assert.equal(blake2AsHex(bytes, 256), jointKey.hash_.toHex());
    writeFileSync(join(dir, 'joint.key'), bytes);
  });

  test('people encrypt readings under the joint key, register them and join the PUBHLTH cohort', async () => {
    assert.ok(epoch !== undefined, 'needs the joint key');
    await Promise.all(people.map(async (person, i) => {
      const section = join(dir, `section-${i}.bin`);
      await run(FHE_TOOL, ['cohort-encrypt', '--joint-key', join(dir, 'joint.key'), '--fields', readings(i).join(','), '--out', section]);
      const sectionBytes = readFileSync(section);
      const object = Buffer.concat([randomBytes(BODY_LEN), sectionBytes]);
      const cid = await ipfs.addUnpinned(object);
      const fheSection = { formatVersion: 1, keyEpoch: epoch, offset: BODY_LEN, length: sectionBytes.length, fields: 2 };
      const txs = [api.tx.vaults.registerRecord(person.address, cid, blake2AsHex(object, 256), object.length, ['WearableReadings'], fheSection, institution.address)];
      if (person !== outsider) {
        txs.push(api.tx.consent.grantConsortiumWide(person.address, ['WearableReadings'], 'PUBHLTH', { start: 0, end: 100_000 }));
      }
      await submitAll(api, txs, person);
    }));
    const cohort = await api.call.consentApi.cohort('PUBHLTH', 'WearableReadings');
    assert.equal(cohort.length, COHORT);
    assert.ok(!cohort.map(String).includes(outsider.address), 'the outsider is not in the cohort');
  });

  test('mean heart rate: aggregate agreed, every key holder shares, published values = plaintext', async (t) => {
    assert.ok(epoch !== undefined, 'needs the records');
    const started = Date.now();
    let job;
    const published = nextEvent(api, 'fhe', 'StatisticPublished', (d) => d.job.toNumber() === job, 300_000);
    const r = await submit(api, api.tx.fhe.requestStatistic('PUBHLTH', 'WearableReadings', 0, 'Mean'), institution);
    job = eventOf(api, r.events, 'fhe', 'StatisticRequested').job.toNumber();
    const { block } = await published;
    t.diagnostic(`job ${job}: requested in block ${r.block}, published in block ${block}, ${Date.now() - started} ms`);

    const expectedSum = people.slice(0, COHORT).reduce((sum, _, i) => sum + readings(i)[0], 0);
    const statistic = (await api.call.fheApi.publishedStatistic(job)).unwrap().statistic;
    // `values` is also the name of a Map method on polkadot.js structs: read the field by name.
    assert.deepEqual(statistic.get('values').map((v) => v.toNumber()), [expectedSum, COHORT], 'published [sum, count] = plaintext');
    assert.equal(statistic.cohortSize.toNumber(), COHORT);
    assert.equal(statistic.epoch.toNumber(), epoch);

    const shares = (await api.query.fhe.decryptionShares(job)).map((s) => [s.holder.toString(), s.share.isSome]);
    assert.deepEqual(shares, founders.map((f) => [f.address, true]), 'every key holder submitted its decryption share');
    const submissions = (await api.call.fheApi.job(job)).unwrap().job.submissions;
    assert.ok(submissions.length >= QUORUM, `${submissions.length} evaluators' submissions`);
    const aggregate = statistic.aggregate;
    const bytes = await ipfs.cat(aggregate.cid.toUtf8());
    assert.equal(blake2AsHex(bytes, 256), aggregate.hash_.toHex(), 'the agreed aggregate is in IPFS');
  });

  test('a histogram, which additions cannot compute, fails with UnsupportedParameters', async () => {
    assert.ok(epoch !== undefined, 'needs the records');
    let job;
    const failed = nextEvent(api, 'fhe', 'JobFailed', (d) => d.job.toNumber() === job, 180_000);
    const r = await submit(api, api.tx.fhe.requestStatistic('PUBHLTH', 'WearableReadings', 0, { Histogram: { bounds: [60, 80] } }), institution);
    job = eventOf(api, r.events, 'fhe', 'StatisticRequested').job.toNumber();
    assert.equal((await failed).data.reason.type, 'UnsupportedParameters');
  });
});
