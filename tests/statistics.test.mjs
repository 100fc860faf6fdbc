// Private cohort statistics (Prio3) on the 4-validator local net (scripts/local-net.sh), every
// validator's worker an aggregator (`--aggregator`), one real IPFS daemon; people, institutions
// and governance act through the `custodia` client, attackers through polkadot.js and the
// engine's forger (statistics/examples/forge_report.rs) where the client refuses to help:
//
// the council registers a schema, sets ε and starts an aggregator epoch → the 4 aggregators make
// it active → ten people record readings (each record carries its report) and join the PUBHLTH
// cohort; an institution enrols them. Each attack, done as an attacker would, fails with its
// precise on-chain outcome:
// - a copied report: the victim's id again → `ReportIdTaken`; the victim's object under a fresh
//   id → `ReportIdMismatch`; the object re-labelled with an id derived for the copier's binding
//   → `ShareDoesNotOpen`; the victim replaying its own report → `ReportIdTaken`;
// - an out-of-range value proven with the honest circuit's prover → `InvalidProof`;
// - aggregator inputs: the cohort summed is the chain's at the request block (no call lets the
//   requester name reports): rejected reports, a person without consent and a person nobody
//   enrolled are not summed; a count, a mean and a histogram are published with ε and their noise,
//   over exactly the honest cohort, each value within 6σ of the plaintext;
// - the differencing query (the count again once one more person is enrolled) →
//   `BudgetExhausted`, nothing spent;
// - Sybils: ten accounts with verified reports, enrolled only by the requester → a statistic over
//   them fails `CohortTooSmall` counting the honest members alone;
// - one aggregator down (Dave's node stopped) → the job fails `Timeout { missing: 1 }` after the
//   chain's `StatisticTimeout`, with shares from the other three only, and nothing is published.
// No node panics.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Keyring } from '@polkadot/keyring';
import { u8aToHex } from '@polkadot/util';
import { blake2AsHex } from '@polkadot/util-crypto';
import { connect, panicsIn, REPO_ROOT, rpc, run, waitFor } from './lib/node.mjs';
import { startIpfs } from './lib/ipfs.mjs';
import { describeError, submit, submitAll } from './lib/tx.mjs';
import { scratchDir } from './lib/scratch.mjs';

const TARGET = process.env.CARGO_TARGET_DIR ?? join(process.env.HOME, '.cache/custodia/target');
const CLI = join(TARGET, 'debug/custodia');
const FORGE = join(TARGET, 'debug/examples/forge_report');
const SCRIPT = join(REPO_ROOT, 'scripts', 'local-net.sh');
const VALIDATORS = ['alice', 'bob', 'charlie', 'dave'];
// Ports of this file only, so that it runs beside the other end-to-end files.
const RPC_BASE = 29944;
const URL = `ws://127.0.0.1:${RPC_BASE}`;
const CATEGORY = 'WearableReadings';
const FIELDS = ['heart_rate:/min:250:60,80,100', 'systolic:mm[Hg]:300'];
const HONEST = 10; // = k (MinCohortSize): the cohort that is published
const SYBILS = 10; // as many as k: had they counted, a statistic over them would be published
const ALSO_HRESCH = 3; // honest people who also join the HRESCH cohort the Sybils join
const EPSILON = 1; // per statistic
const BUDGET = 3; // per (institution, purpose, category) and period: count, mean, histogram

// Readings of honest person i: heart rate 58, 62, …, 94 /min; systolic 110, 113, … mm[Hg].
const honestValues = (i) => ({ heart_rate: 58 + 4 * i, systolic: 110 + 3 * i });
const SYBIL_VALUES = { heart_rate: 200, systolic: 250 };
// Buckets of heart_rate: [0, 60), [60, 80), [80, 100), [100, 250].
const bucketOf = (v) => [60, 80, 100].filter((t) => v >= t).length;

const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
// Hard junctions only: the client derives an identity's envelope key from its secret key, which
// sr25519 soft derivation draws at random, so a soft-derived import does not open again.
const uriOf = (name) => `//Custodia//statistics-test//${name}`;
/** An identity of this test: its keypair here, and the same key imported into the client. */
const identity = (name) => ({ name, pair: keyring.addFromUri(uriOf(name)) });

describe('Prio3 cohort statistics on the 4-validator net, under attack (aggregators + IPFS)', () => {
  let ipfs;
  let api;
  const dir = scratchDir('custodia-statistics-');
  const env = {
    ...process.env,
    CUSTODIA_NET_DIR: join(dir, 'net'),
    CUSTODIA_NET_P2P_BASE: '32333',
    CUSTODIA_NET_RPC_BASE: String(RPC_BASE),
    CUSTODIA_NET_PROM_BASE: '29615',
  };
  const net = (...args) => run('bash', [SCRIPT, ...args], { env });
  const founders = ['//Alice', '//Bob', '//Charlie', '//Dave'].map((uri) => keyring.addFromUri(uri));
  const clinic = identity('clinic'); // knows the people: enrols them
  const agency = identity('agency'); // asks for the statistics
  const honest = Array.from({ length: HONEST }, (_, i) => identity(`honest-${i}`));
  const sybils = Array.from({ length: SYBILS }, (_, i) => identity(`sybil-${i}`));
  const outsider = identity('outsider'); // a verified report, enrolled, but no consent
  const loner = identity('loner'); // a verified report and consent, but nobody enrolled them
  const copier = identity('copier');
  const forger = identity('forger');
  const victim = honest[0];
  const people = [...honest, ...sybils, outsider, loner, copier, forger];
  let schema; // the WearableReadings schema id
  let schemaFields; // as the chain holds them: NAME:UNIT:MAX[:B1,…]
  let epoch; // the active aggregator epoch: { id, keys }
  const records = {}; // name → record id
  const reports = {}; // name → report id (hex) the client submitted
  const attacks = {}; // what → report id (hex) of an attacker's report

  /** Runs the client; resolves with { code, stdout, stderr } (never rejects on a non-zero exit). */
  function cli(args) {
    return new Promise((resolve) => {
      execFile(CLI, args, {
        env: {
          ...process.env,
          CUSTODIA_URL: URL,
          CUSTODIA_KEYS_DIR: join(dir, 'keys'),
          CUSTODIA_IPFS_API: ipfs.url,
          CUSTODIA_PASSPHRASE: 'statistics test passphrase',
        },
      }, (error, stdout, stderr) => resolve({ code: error ? error.code : 0, stdout, stderr }));
    });
  }
  async function cliJson(args) {
    const r = await cli([...args, '--json']);
    assert.equal(r.code, 0, `custodia ${args.join(' ')}: ${r.stderr}`);
    return JSON.parse(r.stdout);
  }

  /**
   * Council motions, one per client command, proposed (and voted aye) through the client by the
   * founder `proposer` (founders propose at once, each its own in turn); two other founders vote
   * aye and Alice closes them all (3 of 4), in the order given: an admitted member joins the
   * council, so motions closed after an admission need more ayes.
   */
  async function councilMotions(commands) {
    const proposed = [];
    await Promise.all(founders.map(async (_, f) => {
      for (const [i, { proposer, args }] of commands.entries()) {
        if (proposer !== f) continue;
        const out = await cliJson([...args, '--as', VALIDATORS[proposer]]);
        assert.ok(out.motion !== undefined, `a motion: ${JSON.stringify(out)}`);
        proposed[i] = { proposer, index: out.motion };
      }
    }));
    const open = await api.query.council.proposals();
    const motions = await Promise.all(proposed.map(async ({ proposer, index }) => {
      for (const hash of open) {
        const voting = (await api.query.council.voting(hash)).unwrap();
        if (voting.index.toNumber() === index) {
          const call = (await api.query.council.proposalOf(hash)).unwrap();
          return { proposer, index, hash, length: call.encodedLength };
        }
      }
      throw new Error(`motion ${index} is not open`);
    }));
    const votersOf = (proposer) => founders.map((_, f) => f).filter((f) => f !== proposer).slice(0, 2);
    await Promise.all(founders.map((voter, v) => {
      const mine = motions.filter(({ proposer }) => votersOf(proposer).includes(v));
      return mine.length ? submitAll(api, mine.map((m) => api.tx.council.vote(m.hash, m.index, true)), voter) : null;
    }));
    const closed = await submitAll(api, motions.map((m) => api.tx.council.close(m.hash, m.index, { refTime: 50_000_000_000n, proofSize: 1_000_000n }, m.length)), founders[0]);
    for (const { events } of closed) {
      const executed = events.find((e) => api.events.council.Executed.is(e));
      assert.ok(executed, `motion executed: ${events.map((e) => `${e.section}.${e.method}`).join(', ')}`);
      assert.ok(executed.data.result.isOk, `motion's call: ${executed.data.result.isErr ? describeError(api, executed.data.result.asErr) : ''}`);
    }
  }

  const reportInfo = async (id) => (await api.call.statisticsApi.report(id)).unwrap();
  /** Waits until report `id` is verified or rejected; returns its status. */
  const settled = (id, timeoutMs = 180_000) => waitFor(`report ${id} to be verified or rejected`, async () => {
    const { status } = await reportInfo(id);
    return status.isPending ? null : status;
  }, timeoutMs, 2000);
  const rejectionOf = async (id) => {
    const status = await settled(id);
    assert.ok(status.isRejected, `report ${id}: ${status.toString()}`);
    return status.asRejected.reason.type;
  };

  /** The attacker's call, as polkadot.js submits it: resolves with its events or rejects with `pallet.Error`. */
  const submitReport = (who, record, id, bytes, cid) =>
    submit(api, api.tx.statistics.submitReport(record, schema, id, cid, blake2AsHex(bytes, 256), bytes.length), who.pair);

  /** The engine's forger; returns the report id it printed and the bytes it wrote. */
  async function forge(command, owner, record, extra) {
    const out = join(dir, `${command}-${owner.name}.report`);
    const genesis = api.genesisHash.toHex();
    const args = [command, '--genesis', genesis, '--epoch', String(epoch.id), '--owner', u8aToHex(owner.pair.publicKey),
      '--record', String(record), '--category', CATEGORY, ...schemaFields.flatMap((f) => ['--field', f]), '--out', out, ...extra];
    const { stdout } = await run(FORGE, args);
    return { id: stdout.trim(), bytes: readFileSync(out) };
  }

  /** Requests a statistic through the client; returns the job id. */
  async function requestStatistic(who, args, purpose = 'PUBHLTH') {
    const { job } = await cliJson(['statistic', 'request', '--as', who.name, '--schema', String(schema), ...args, '--purpose', purpose]);
    return job;
  }
  /** The job's outcome as the client shows it once the chain has one (`statistic show --wait`). */
  const outcome = (job, timeoutSeconds) => cli(['statistic', 'show', String(job), '--wait', '--timeout', String(timeoutSeconds), '--json'])
    .then((r) => ({ ...r, data: r.stdout ? JSON.parse(r.stdout) : null }));

  before(async () => {
    ipfs = await startIpfs();
    env.CUSTODIA_NET_WORKER_ARGS = `--aggregator --ipfs-api ${ipfs.url}`;
    await net('start');
    for (const name of VALIDATORS) await cliJson(['keys', 'import', name, '--suri', `//${name[0].toUpperCase()}${name.slice(1)}`]);
    for (const who of [clinic, agency, ...people]) {
      const { account } = await cliJson(['keys', 'import', who.name, '--suri', uriOf(who.name)]);
      assert.equal(account, who.pair.address);
    }
    await waitFor('Alice to answer JSON-RPC', async () => (await rpc(RPC_BASE, 'system_health')) !== undefined, 120_000, 1000);
    api = await connect(URL);
    await waitFor('the net to finalize block 1', async () => (await api.rpc.chain.getHeader(await api.rpc.chain.getFinalizedHead())).number.toNumber() >= 1, 180_000, 1000);
    await cliJson(['transfer', '--as', 'alice', '--amount', '100', ...[clinic, agency, ...people].map((p) => p.pair.address)]);
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

  test('the council admits two institutions, registers a schema, sets ε and starts an epoch; the 4 aggregators activate it', async (t) => {
    const hpkeOf = async (who) => (await cliJson(['keys', 'list'])).find((k) => k.name === who.name).x25519_public;
    await councilMotions([
      { proposer: 2, args: ['statistic', 'schema', 'register', '--category', 'wearable-readings', ...FIELDS.flatMap((f) => ['--field', f])] },
      { proposer: 3, args: ['statistic', 'privacy', 'set', '--epsilon', String(EPSILON), '--budget', String(BUDGET), '--period', '100000'] },
      { proposer: 0, args: ['statistic', 'epoch', 'start', ...VALIDATORS.flatMap((v) => ['--aggregator', v])] },
      { proposer: 1, args: ['govern', 'admit', '--member', clinic.pair.address, '--kinds', 'institution', '--name', 'General Hospital', '--hpke-key', await hpkeOf(clinic)] },
      { proposer: 0, args: ['govern', 'admit', '--member', agency.pair.address, '--kinds', 'institution', '--name', 'Public Health Agency', '--hpke-key', await hpkeOf(agency)] },
    ]);

    const shown = await waitFor('the epoch to be active', async () => {
      const d = await cliJson(['statistic', 'epoch', 'show']);
      return d.active?.status === 'Active' ? d.active : null;
    }, 240_000, 2000);
    const [id, active] = (await api.call.statisticsApi.activeEpoch()).unwrap();
    epoch = { id: id.toNumber(), keys: active.aggregators.map((s) => s.key.unwrap().toHex()) };
    assert.deepEqual(active.aggregators.map((s) => s.account.toString()), founders.map((f) => f.address), 'the 4 validators, in order');
    assert.ok(active.aggregators.every((s) => s.contribution.isSome), 'every aggregator contributed to the verify key');
    t.diagnostic(`epoch ${epoch.id} active in block ${shown.activated_at}`);

    schema = (await api.call.statisticsApi.schemaOf(CATEGORY)).unwrap().toNumber();
    const info = (await api.call.statisticsApi.schema(schema)).unwrap();
    schemaFields = info.schema.fields.map((f) => [f.name.toUtf8(), f.unit.toUtf8(), f.max.toString(),
      ...(f.buckets.isSome ? [f.buckets.unwrap().map((b) => b.toString()).join(',')] : [])].join(':'));
    assert.deepEqual(schemaFields, FIELDS, 'the schema as registered');
  });

  test('people record readings with the client (each record carries its report) and join cohorts; the clinic enrols them', async () => {
    assert.ok(schema !== undefined, 'needs the schema and the epoch');
    const bundle = join(dir, 'readings.json');
    writeFileSync(bundle, JSON.stringify({ resourceType: 'Bundle', type: 'collection', entry: [] }));
    const valuesOf = (who) => (sybils.includes(who) ? SYBIL_VALUES : honestValues(Math.max(0, honest.indexOf(who))));
    await Promise.all(people.map(async (who) => {
      const attacker = who === copier || who === forger;
      const reporting = attacker ? ['--no-report'] : ['--value', `heart_rate=${valuesOf(who).heart_rate},systolic=${valuesOf(who).systolic}`];
      const added = await cliJson(['record', 'add', '--as', who.name, '--fhir', bundle, '--category', 'wearable-readings', ...reporting]);
      records[who.name] = added.record;
      assert.equal(added.reports.length, attacker ? 0 : 1, `${who.name}'s reports: ${JSON.stringify(added)}`);
      if (!attacker) reports[who.name] = added.reports[0].report;
      const join = (purpose) => cliJson(['consent', 'join-cohort', '--as', who.name, '--scope', 'wearable-readings', '--purpose', purpose, '--blocks', '100000']);
      if (sybils.includes(who)) await join('HRESCH');
      else if (who !== outsider) await join('PUBHLTH');
      if (honest.indexOf(who) >= 0 && honest.indexOf(who) < ALSO_HRESCH) await join('HRESCH');
    }));
    // The clinic vouches for everyone it knows, the attackers and the outsider included; not for
    // the loner. The agency "vouches" for its own Sybils.
    await Promise.all([
      cliJson(['statistic', 'enrol', '--as', clinic.name, ...[...honest, outsider, copier, forger].map((p) => p.pair.address)]),
      cliJson(['statistic', 'enrol', '--as', agency.name, ...sybils.map((p) => p.pair.address)]),
    ]);

    for (const [name, id] of Object.entries(reports)) {
      const status = await settled(id);
      assert.ok(status.isVerified, `${name}'s report ${id}: ${status.toString()}`);
    }
    const status = await cliJson(['report', 'status', '--as', victim.name]);
    assert.deepEqual(status.map((r) => [r.report, r.status]), [[reports[victim.name], 'Verified']], 'the client shows the verdict');
  });

  test('attackers\' reports: a copy under the victim\'s id → ReportIdTaken, under a fresh id → ReportIdMismatch, under an id re-derived for the copier → ShareDoesNotOpen; an out-of-range value → InvalidProof', async () => {
    assert.ok(reports[victim.name] && records[forger.name] !== undefined, 'needs the victim\'s report and the forger\'s record');
    const original = await reportInfo(reports[victim.name]);
    const cid = original.object.cid.toUtf8();
    const bytes = await ipfs.cat(cid);
    // polkadot.js names a struct field `hash` `hash_` (`.hash` is the codec's own hash).
    assert.equal(blake2AsHex(bytes, 256), original.object.hash_.toHex(), 'the copier fetched the victim\'s report object');
    const record = records[copier.name];
    await assert.rejects(submitReport(copier, record, reports[victim.name], bytes, cid), /statistics\.ReportIdTaken/);

    const victimCopy = join(dir, 'victim.report');
    writeFileSync(victimCopy, bytes);
    const rebound = await forge('rebind', copier, record, ['--report', victimCopy]);
    assert.notEqual(rebound.id, reports[victim.name], 'a new id, derived from the copier\'s binding and the victim\'s salt');
    // The forger's report claims a heart rate of 1000 (max 250) with a proof made by the honest
    // circuit's own prover.
    const forged = await forge('out-of-range', forger, records[forger.name], [
      ...epoch.keys.flatMap((k) => ['--key', k]), '--values', '70,120', '--field-index', '0', '--claim', '1000']);
    const [reboundCid, forgedCid] = [await ipfs.addUnpinned(rebound.bytes), await ipfs.addUnpinned(forged.bytes)];
    Object.assign(attacks, { freshId: u8aToHex(randomBytes(16)), rebound: rebound.id, outOfRange: forged.id });
    await Promise.all([
      submitAll(api, [
        api.tx.statistics.submitReport(record, schema, attacks.freshId, cid, blake2AsHex(bytes, 256), bytes.length),
        api.tx.statistics.submitReport(record, schema, rebound.id, reboundCid, blake2AsHex(rebound.bytes, 256), rebound.bytes.length),
      ], copier.pair),
      submitReport(forger, records[forger.name], forged.id, forged.bytes, forgedCid),
    ]);
    assert.equal(await rejectionOf(attacks.freshId), 'ReportIdMismatch');
    assert.equal(await rejectionOf(attacks.rebound), 'ShareDoesNotOpen');
    assert.equal(await rejectionOf(attacks.outOfRange), 'InvalidProof');
    assert.ok((await reportInfo(reports[victim.name])).status.isVerified, 'the victim\'s own report still counts');
    const shown = await waitFor('the client to show the forged report rejected', async () => {
      const [mine] = await cliJson(['report', 'status', '--as', forger.name]);
      return mine.status === 'Rejected' ? mine : null;
    }, 60_000, 2000);
    assert.equal(shown.reason, 'InvalidProof');
  });

  test('a replayed report: its owner registers it again → ReportIdTaken', async () => {
    assert.ok(reports[victim.name], 'needs the victim\'s verified report');
    const original = await reportInfo(reports[victim.name]);
    const bytes = await ipfs.cat(original.object.cid.toUtf8());
    await assert.rejects(submitReport(victim, records[victim.name], reports[victim.name], bytes, original.object.cid.toUtf8()), /statistics\.ReportIdTaken/);
    assert.equal((await api.call.statisticsApi.reportsOf(victim.pair.address)).length, 1, 'still one report');
  });

  const published = {}; // kind → { job, data (client JSON), statistic (runtime API) }
  test('count, mean and histogram are published with ε and noise, over exactly the cohort the chain defines at the request block', async (t) => {
    assert.ok(attacks.outOfRange && attacks.rebound, 'needs the attacks settled first');
    const jobs = {
      count: await requestStatistic(agency, ['--count']),
      mean: await requestStatistic(agency, ['--mean', 'heart_rate']),
      histogram: await requestStatistic(agency, ['--histogram', 'heart_rate']),
    };
    for (const [kind, job] of Object.entries(jobs)) {
      const r = await outcome(job, 300);
      assert.equal(r.code, 0, `${kind}: ${r.stderr}${r.stdout}`);
      assert.equal(r.data.status, 'Published');
      published[kind] = { job, data: r.data, statistic: (await api.call.statisticsApi.publishedStatistic(job)).unwrap() };
      t.diagnostic(`${kind} (job ${job}): ${JSON.stringify(r.data.values)} ± ${JSON.stringify(r.data.noise.map((s) => s.std_dev))}`);
    }

    // No call lets the requester name inputs: a request names a schema, a kind and a purpose.
    assert.deepEqual(api.tx.statistics.requestStatistic.meta.args.map((a) => a.name.toString()), ['schema', 'kind', 'purpose']);
    const expected = new Map(honest.map((p) => [p.pair.address, reports[p.name]]));
    for (const { job, statistic } of Object.values(published)) {
      const info = (await api.call.statisticsApi.statisticJob(job)).unwrap();
      const at = await api.at(await api.rpc.chain.getBlockHash(info.requestedAt));
      const cohort = await at.call.statisticsApi.statisticCohort(job);
      assert.deepEqual(new Map(cohort.map((c) => [c.subject.toString(), c.report.toHex()])), expected,
        'the cohort: the honest people\'s reports, not the copies, the forgery, the outsider\'s (no consent), the loner\'s (not enrolled) or the Sybils\'');
      assert.equal(statistic.reports.toNumber(), HONEST, 'the published report count is the honest cohort');
      assert.equal(statistic.epsilon.toNumber(), EPSILON * 1000);
      assert.equal(statistic.aggregators.toNumber(), VALIDATORS.length);
      assert.ok(statistic.noise.every((s) => s.totalStdDevMillis.toNumber() > 0), 'noise recorded');
    }

    const values = (kind) => published[kind].statistic.get('values').map((v) => Number(v.toBigInt()));
    const sigmas = (kind) => published[kind].statistic.noise.flatMap((s) => Array(s.get('values').toNumber()).fill(s.totalStdDevMillis.toNumber() / 1000));
    const within6σ = (kind, plain) => {
      const [got, σ] = [values(kind), sigmas(kind)];
      assert.equal(got.length, plain.length, `${kind}: ${got.length} values`);
      plain.forEach((p, i) => assert.ok(Math.abs(got[i] - p) <= 6 * σ[i], `${kind} value ${i}: ${got[i]} vs plaintext ${p} (σ ${σ[i]})`));
    };
    const readings = honest.map((_, i) => honestValues(i).heart_rate);
    within6σ('count', [HONEST]);
    within6σ('mean', [readings.reduce((a, b) => a + b, 0), HONEST]);
    within6σ('histogram', [0, 1, 2, 3].map((b) => readings.filter((v) => bucketOf(v) === b).length));
    const mean = published.mean.data.result.means[0];
    const plainMean = readings.reduce((a, b) => a + b, 0) / HONEST;
    assert.ok(Math.abs(mean.mean - plainMean) <= 6 * mean.mean_std_dev, `the client's mean ${mean.mean} ± ${mean.mean_std_dev} vs ${plainMean}`);
  });

  test('the differencing query (the count again once one more person is enrolled) → BudgetExhausted, nothing spent', async () => {
    assert.ok(published.count, 'needs the budget spent on count, mean and histogram');
    const spent = () => api.call.statisticsApi.budgetSpent(agency.pair.address, 'PUBHLTH', CATEGORY).then((e) => e.toNumber());
    assert.equal(await spent(), BUDGET * 1000);
    await cliJson(['statistic', 'enrol', '--as', clinic.name, loner.pair.address]);
    const refused = await cli(['statistic', 'request', '--as', agency.name, '--schema', String(schema), '--count', '--purpose', 'PUBHLTH', '--json']);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /Statistics\.BudgetExhausted/);
    assert.equal(await spent(), BUDGET * 1000, 'a refused request spends nothing');
  });

  test('Sybils with verified reports, enrolled only by the requester, do not count toward k → CohortTooSmall', async () => {
    assert.ok(reports[sybils[0].name], 'needs the Sybils\' reports');
    for (const sybil of sybils) assert.ok((await reportInfo(reports[sybil.name])).status.isVerified, `${sybil.name}'s report is verified`);
    const job = await requestStatistic(agency, ['--count'], 'HRESCH');
    const r = await outcome(job, 300);
    assert.equal(r.code, 1, `${r.stderr}${r.stdout}`);
    const info = (await api.call.statisticsApi.statisticJob(job)).unwrap();
    assert.ok(info.status.isFailed, info.status.toString());
    const reason = info.status.asFailed.reason;
    assert.ok(reason.isCohortTooSmall, reason.toString());
    assert.equal(reason.asCohortTooSmall.reports.toNumber(), ALSO_HRESCH, 'only the honest members enrolled by another institution');
    assert.ok((await api.call.statisticsApi.publishedStatistic(job)).isNone, 'nothing published');
  });

  test('one aggregator down (Dave\'s node stopped) → Timeout { missing: 1 } after StatisticTimeout, nothing published', async (t) => {
    assert.ok(schema !== undefined, 'needs the schema');
    const timeout = api.consts.statistics.statisticTimeout.toNumber();
    t.diagnostic(`StatisticTimeout: ${timeout} blocks`);
    await net('stop', 'dave');
    // The clinic asks (its own budget); whatever the cohort, Dave's share never comes.
    const job = await requestStatistic(clinic, ['--count']);
    // Three validators of four: a block is missed every fourth slot, and a loaded machine misses
    // more; twice the block time leaves room for both.
    const r = await outcome(job, (timeout + 10) * 6 * 2);
    assert.equal(r.code, 1, `${r.stderr}${r.stdout}`);
    const info = (await api.call.statisticsApi.statisticJob(job)).unwrap();
    assert.ok(info.status.isFailed, info.status.toString());
    const { reason, at } = info.status.asFailed;
    assert.ok(reason.isTimeout, reason.toString());
    assert.equal(reason.asTimeout.missing.toNumber(), 1);
    assert.equal(at.toNumber(), info.deadline.toNumber() + 1, 'closed in the block after its deadline');
    assert.equal(info.deadline.toNumber() - info.requestedAt.toNumber(), timeout);
    assert.ok((await api.call.statisticsApi.publishedStatistic(job)).isNone, 'nothing published');

    const submitted = [];
    for (let n = info.requestedAt.toNumber(); n <= at.toNumber(); n += 1) {
      const events = await (await api.at(await api.rpc.chain.getBlockHash(n))).query.system.events();
      for (const { event } of events) {
        if (api.events.statistics.AggregateShareSubmitted.is(event) && event.data.job.toNumber() === job) submitted.push(event.data.aggregator.toString());
      }
    }
    assert.deepEqual(submitted.sort(), founders.slice(0, 3).map((f) => f.address).sort(), 'Alice, Bob and Charlie submitted; Dave is the missing aggregator');
  });
});
