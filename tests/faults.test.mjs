// Faults on the 4-validator net (issue 14), each done for real: validators started by the test
// (tests/lib/net.mjs), every worker a data steward and an evaluator, Alice's and Bob's also the
// statistics aggregators; three real IPFS daemons — one shared by Alice, Bob and the clients,
// Charlie's own and Dave's own (offline daemons: each serves only what is put on it, so the
// test decides exactly who can fetch what).
//
// 1. Load: 2,000 signed extrinsics from 50 accounts while Dave's node is killed with SIGKILL and
//    started again: every extrinsic a surviving node accepted is in a finalized block, finality
//    goes on, Dave catches up, and Dave's worker does all it owed: unpins and confirms the
//    vaults that expired while it was down, pins the record registered meanwhile, and completes
//    the prediction that needed its vote.
// 2. IPFS: Dave's daemon down for 20+ blocks while vaults expire and a record and a vault
//    arrive; once it is back every pin and unpin is done and every unpin confirmed.
// 3. A poisoned record (a CID nobody serves) and an oversized object (2 MiB, declared as 1 KiB)
//    assigned to Charlie: Charlie's other vaults still expire, are unpinned, garbage-collected
//    and confirmed within 2 blocks of their expiry; Charlie reports each record unfetchable on
//    chain (`vaults.RecordUnfetchable`, Unreachable and TooLarge) once it has failed for the
//    threshold the council set (`vaults.setUnfetchableAfter`), within a few blocks of it;
// 4. meanwhile a prediction and a cohort statistic still complete;
// 5. the oversized object is not pinned.
// No node panics. Each test checks the state the one before left (Dave's record, the poisoned
// records), so run them together; the whole file takes about 10 minutes.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Keyring } from '@polkadot/keyring';
import { blake2AsHex } from '@polkadot/util-crypto';
import { connect, panicsIn, rpc, run, sleep, Unrecoverable, waitFor } from './lib/node.mjs';
import { startIpfs } from './lib/ipfs.mjs';
import { devUri, localNet, VALIDATORS } from './lib/net.mjs';
import { describeError, eventOf, submit, submitAll } from './lib/tx.mjs';
import { plaintextScore, quantise, registerHeartModel } from './lib/heart-model.mjs';
import { scratchDir } from './lib/scratch.mjs';

const TARGET = process.env.CARGO_TARGET_DIR ?? join(process.env.HOME, '.cache/custodia/target');
const CLI = join(TARGET, 'debug/custodia');
const FHE_TOOL = join(TARGET, 'debug/custodia-fhe');
// Ports of this file only, so that it runs beside the other end-to-end files; below the ephemeral
// range like every fixed port (tests/lib/node.mjs).
const [P2P_BASE, RPC_BASE, PROM_BASE] = [22333, 22944, 22615];
const UNIT = 10n ** 12n;
const LOAD_ACCOUNTS = 50;
const REMARKS_PER_ACCOUNT = 40; // 50 × 40 = 2,000 extrinsics
const KILL_AFTER = 500; // Dave is killed once this many extrinsics of the burst were accepted
const IPFS_DOWN_BLOCKS = 20;
const UNPIN_WITHIN = 2; // blocks after a vault's expiry block
// The council's threshold for reporting a record unfetchable (the runtime's default is an hour),
// and the blocks a report may take beyond it: the first pin attempt ends after the daemon's
// 20 s lookup, and the report waits for the next round.
const UNFETCHABLE_AFTER = 10;
const REPORT_WITHIN = 12;
const COHORT = 10; // = k (MinCohortSize): the smallest cohort a statistic is published over
const FEATURES = { age: 63, resting_bp: 145, cholesterol: 233 };

const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
// Hard junctions: the client derives an identity's envelope key from its secret key, which
// sr25519 soft derivation draws at random.
const uriOf = (name) => `//Custodia//faults-test//${name}`;
const identity = (name) => ({ name, pair: keyring.addFromUri(uriOf(name)) });

describe('faults on the 4-validator net (SIGKILL under load, IPFS down, poisoned and oversized objects)', () => {
  const dir = scratchDir('custodia-faults-');
  const founders = Object.fromEntries(VALIDATORS.map((name) => [name, keyring.addFromUri(devUri(name))]));
  const clinic = identity('clinic'); // grants vaults, registers the model, enrols the cohort
  const agency = identity('agency'); // asks for the statistic
  const person = identity('person'); // records, vaults, predictions
  const cohort = Array.from({ length: COHORT }, (_, i) => identity(`cohort-${i}`));
  const loaders = Array.from({ length: LOAD_ACCOUNTS }, (_, i) => keyring.addFromUri(uriOf(`load-${i}`)));
  const ipfs = {}; // shared (Alice, Bob, the clients), charlie, dave
  let net;
  let api;
  let grant; // the clinic's consent from the person: VitalSigns, for treatment
  let model; // the heart-risk model the clinic registered
  let schema; // the WearableReadings statistic schema
  let cohortReady; // resolves once the cohort's reports are verified and enrolled
  const daveOwes = {}; // what test 1 leaves for Dave: its record, for test 2

  const head = async () => (await api.rpc.chain.getHeader()).number.toNumber();
  const finalizedOf = async (name) => (await net.validators[name].heads()).finalized;

  /** Runs the client; resolves with { code, stdout, stderr } (never rejects on a non-zero exit). */
  function cli(args) {
    return new Promise((resolve) => {
      execFile(CLI, args, {
        env: {
          ...process.env,
          CUSTODIA_URL: net.validators.alice.url,
          CUSTODIA_KEYS_DIR: join(dir, 'keys'),
          CUSTODIA_IPFS_API: ipfs.shared.url,
          CUSTODIA_PASSPHRASE: 'faults test passphrase',
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
   * Council motions, one per client command (`args`) or call (`call`, for a parameter the client
   * has no command for), each proposed by the founder `proposer`, voted aye by the three other
   * founders, and closed by Alice in the order given: an admitted member joins the council, so
   * admissions come last.
   */
  async function councilMotions(commands) {
    const proposed = [];
    await Promise.all(VALIDATORS.map(async (name) => {
      for (const [i, { proposer, args, call }] of commands.entries()) {
        if (proposer !== name) continue;
        if (call) {
          const members = (await api.query.council.members()).length;
          const r = await submit(api, api.tx.council.propose(Math.floor(members / 2) + 1, call.method, call.method.encodedLength), founders[name]);
          proposed[i] = { proposer, index: eventOf(api, r.events, 'council', 'Proposed').proposalIndex.toNumber() };
          continue;
        }
        const out = await cliJson([...args, '--as', name]);
        assert.ok(out.motion !== undefined, `a motion: ${JSON.stringify(out)}`);
        proposed[i] = { proposer, index: out.motion };
      }
    }));
    const open = await api.query.council.proposals();
    const motions = await Promise.all(proposed.map(async ({ proposer, index }) => {
      for (const hash of open) {
        if ((await api.query.council.voting(hash)).unwrap().index.toNumber() === index) {
          return { proposer, index, hash, length: (await api.query.council.proposalOf(hash)).unwrap().encodedLength };
        }
      }
      throw new Error(`motion ${index} is not open`);
    }));
    await Promise.all(VALIDATORS.map((voter) => {
      const mine = motions.filter(({ proposer }) => proposer !== voter);
      return submitAll(api, mine.map((m) => api.tx.council.vote(m.hash, m.index, true)), founders[voter]);
    }));
    const closed = await submitAll(api, motions.map((m) => api.tx.council.close(m.hash, m.index, { refTime: 50_000_000_000n, proofSize: 1_000_000n }, m.length)), founders.alice);
    for (const { events } of closed) {
      const executed = events.find((e) => api.events.council.Executed.is(e));
      assert.ok(executed, `motion executed: ${events.map((e) => `${e.section}.${e.method}`).join(', ')}`);
      assert.ok(executed.data.result.isOk, `motion's call: ${executed.data.result.isErr ? describeError(api, executed.data.result.asErr) : ''}`);
    }
  }

  /** Puts `bytes` on `daemon` without pinning them; `keep` also copies them into its MFS, which
   * garbage collection spares, for objects the steward must still find after its own GCs. */
  async function put(daemon, bytes, { keep = false } = {}) {
    const cid = await daemon.addUnpinned(bytes);
    if (keep) {
      const args = [`/ipfs/${cid}`, `/kept-${cid}`].map((a) => `arg=${encodeURIComponent(a)}`).join('&');
      const response = await fetch(`${daemon.url}/api/v0/files/cp?${args}`, { method: 'POST' });
      if (!response.ok) throw new Error(`ipfs files/cp ${cid}: HTTP ${response.status} ${await response.text()}`);
    }
    return cid;
  }
  /** The CID `bytes` would have, stored nowhere: an object nobody serves. */
  const cidNobodyServes = async (bytes) => {
    const form = new FormData();
    form.append('file', new Blob([bytes], { type: 'application/octet-stream' }), 'data');
    return (await ipfs.shared.call('add', { 'only-hash': 'true', pin: 'false' }, form)).Hash;
  };

  /** A record of the person pinned by `steward`; `cid` defaults to fresh bytes put on `daemon`. */
  async function registerRecord(steward, { daemon, cid, size = 2048, keep = false }) {
    const bytes = randomBytes(size);
    const recordCid = cid ?? await put(daemon, bytes, { keep });
    const r = await submit(api, api.tx.vaults.registerRecord(person.pair.address, recordCid, blake2AsHex(bytes, 256), size, ['VitalSigns'], founders[steward].address), person.pair);
    return { id: eventOf(api, r.events, 'vaults', 'RecordRegistered').record.toNumber(), cid: recordCid };
  }

  /** Opens one vault per expiry block on `record` (objects put on `daemon`), in one block. */
  async function openVaults(daemon, record, expiries, { keep = false } = {}) {
    const cids = await Promise.all(expiries.map(() => put(daemon, randomBytes(512), { keep })));
    const results = await submitAll(api, expiries.map((at, i) => api.tx.vaults.openVault(grant, record.id, cids[i], at)), person.pair);
    return results.map((r, i) => {
      const opened = eventOf(api, r.events, 'vaults', 'VaultOpened');
      return { id: opened.vault.toNumber(), cid: cids[i], expiresAt: opened.expiresAt.toNumber() };
    });
  }

  const vaultOf = async (id) => (await api.query.vaults.vaults(id)).unwrap();
  /** Whether `cid` is neither pinned on `daemon` nor stored there any more. */
  const goneFrom = async (daemon, cid) => !(await daemon.pins()).has(cid) && !(await daemon.hasBlock(cid));
  const pinnedOn = async (daemon, cids) => {
    const pins = await daemon.pins();
    return cids.every((c) => pins.has(c));
  };

  /** Encrypts the person's features (a fresh ciphertext each time) and asks for a prediction with
   * the input on `daemons` only; returns the job id and the person's key. */
  async function requestPrediction(daemons, tag) {
    const key = join(dir, 'person.key');
    const out = join(dir, `input-${tag}.bin`);
    await run(FHE_TOOL, ['personal-encrypt', '--key', key, '--features', quantise(FEATURES).join(','), '--out', out]);
    const input = readFileSync(out);
    const cids = await Promise.all(daemons.map((d) => put(d, input, { keep: true })));
    assert.ok(cids.every((c) => c === cids[0]), `one CID on every daemon: ${cids}`);
    const r = await submit(api, api.tx.fhe.requestPrediction(model, cids[0], blake2AsHex(input, 256)), person.pair);
    return eventOf(api, r.events, 'fhe', 'PredictionRequested').job.toNumber();
  }

  /** Waits for job `job` to be final; checks it succeeded and decrypts to the plaintext score. */
  async function predictionCompletes(job, timeoutMs) {
    const final = await waitFor(`prediction job ${job} to be final`, async () => {
      const { job: info } = (await api.call.fheApi.job(job)).unwrap();
      return info.status.isFinal ? info : null;
    }, timeoutMs, 2000);
    const { result } = final.status.asFinal;
    const bytes = await ipfs.shared.cat(result.cid.toUtf8());
    // polkadot.js names a struct field `hash` `hash_` (`.hash` is the codec's own hash).
    assert.equal(blake2AsHex(bytes, 256), result.hash_.toHex(), `job ${job}: the result in IPFS is the one agreed on chain`);
    writeFileSync(join(dir, `score-${job}.bin`), bytes);
    const score = (await run(FHE_TOOL, ['personal-decrypt', '--key', join(dir, 'person.key'), '--score', join(dir, `score-${job}.bin`)])).stdout.trim();
    assert.equal(BigInt(score), plaintextScore(quantise(FEATURES)), `job ${job}: decrypted score = plaintext fixed-point score`);
    return final;
  }

  before(async () => {
    [ipfs.shared, ipfs.charlie, ipfs.dave] = await Promise.all([startIpfs(), startIpfs(), startIpfs()]);
    const daemonOf = { alice: ipfs.shared, bob: ipfs.shared, charlie: ipfs.charlie, dave: ipfs.dave };
    net = await localNet({
      dir: join(dir, 'net'), p2pBase: P2P_BASE, rpcBase: RPC_BASE, promBase: PROM_BASE,
      workerArgs: (name) => ['--steward', '--evaluator', ...(['alice', 'bob'].includes(name) ? ['--aggregator'] : []), '--ipfs-api', daemonOf[name].url],
    });
    await net.start();
    api = await connect(net.validators.alice.url);
    await waitFor('the net to finalize block 1', async () => (await finalizedOf('alice')) >= 1, 180_000, 1000);

    for (const name of VALIDATORS) await cliJson(['keys', 'import', name, '--suri', devUri(name)]);
    for (const who of [clinic, agency, ...cohort]) {
      const { account } = await cliJson(['keys', 'import', who.name, '--suri', uriOf(who.name)]);
      assert.equal(account, who.pair.address);
    }
    await submitAll(api, [
      ...[clinic, agency, person, ...cohort].map((who) => api.tx.balances.transferKeepAlive(who.pair.address, 1_000n * UNIT)),
      ...loaders.map((pair) => api.tx.balances.transferKeepAlive(pair.address, 10n * UNIT)),
    ], founders.alice);

    const hpkeOf = async (who) => (await cliJson(['keys', 'list'])).find((k) => k.name === who.name).x25519_public;
    await councilMotions([
      { proposer: 'charlie', args: ['statistic', 'schema', 'register', '--category', 'wearable-readings', '--field', 'heart_rate:/min:250'] },
      { proposer: 'dave', args: ['statistic', 'privacy', 'set', '--epsilon', '1', '--budget', '3', '--period', '100000'] },
      { proposer: 'alice', args: ['statistic', 'epoch', 'start', '--aggregator', 'alice', '--aggregator', 'bob'] },
      { proposer: 'charlie', call: api.tx.vaults.setUnfetchableAfter(UNFETCHABLE_AFTER) },
      { proposer: 'bob', args: ['govern', 'admit', '--member', clinic.pair.address, '--kinds', 'institution', '--name', 'Faults Clinic', '--hpke-key', await hpkeOf(clinic)] },
      { proposer: 'alice', args: ['govern', 'admit', '--member', agency.pair.address, '--kinds', 'institution', '--name', 'Faults Agency', '--hpke-key', await hpkeOf(agency)] },
    ]);
    schema = (await api.call.statisticsApi.schemaOf('WearableReadings')).unwrap().toNumber();
    assert.equal((await api.query.vaults.unfetchableAfter()).toNumber(), UNFETCHABLE_AFTER);

    ({ model } = await registerHeartModel(api, clinic.pair, 'faults-test'));
    await run(FHE_TOOL, ['personal-keygen', '--out', join(dir, 'person.key')]);
    const start = await head();
    let r = await submit(api, api.tx.consent.request(person.pair.address, ['VitalSigns'], 'TREAT', { start, end: start + 1000 }, randomBytes(32)), clinic.pair);
    const request = eventOf(api, r.events, 'consent', 'ConsentRequested').request.toNumber();
    r = await submit(api, api.tx.consent.grant(request, null, null), person.pair);
    grant = eventOf(api, r.events, 'consent', 'ConsentGranted').grant.toNumber();

    // The statistic's cohort is prepared in the background while tests 1 and 2 run; test 3
    // asks for the statistic.
    cohortReady = (async () => {
      await waitFor('the aggregator epoch to be active', async () => (await cli(['statistic', 'epoch', 'show', '--json']).then((o) => JSON.parse(o.stdout))).active?.status === 'Active', 240_000, 3000);
      const bundle = join(dir, 'readings.json');
      writeFileSync(bundle, JSON.stringify({ resourceType: 'Bundle', type: 'collection', entry: [] }));
      const reports = await Promise.all(cohort.map(async (who, i) => {
        const added = await cliJson(['record', 'add', '--as', who.name, '--fhir', bundle, '--category', 'wearable-readings', '--value', `heart_rate=${60 + 3 * i}`]);
        await cliJson(['consent', 'join-cohort', '--as', who.name, '--scope', 'wearable-readings', '--purpose', 'PUBHLTH', '--blocks', '100000']);
        return added.reports[0].report;
      }));
      await cliJson(['statistic', 'enrol', '--as', clinic.name, ...cohort.map((p) => p.pair.address)]);
      for (const id of reports) {
        const status = await waitFor(`report ${id} to be verified or rejected`, async () => {
          const { status: s } = (await api.call.statisticsApi.report(id)).unwrap();
          return s.isPending ? null : s;
        }, 300_000, 3000);
        assert.ok(status.isVerified, `report ${id}: ${status.toString()}`);
      }
    })();
    cohortReady.catch(() => {}); // awaited (and reported) by test 3
  });

  after(async () => {
    await api?.disconnect();
    await net?.stop();
    await Promise.all(Object.values(ipfs).map((d) => d.stop()));
    for (const name of VALIDATORS) {
      const log = net ? readFileSync(net.validators[name].logPath, 'utf8') : '';
      assert.deepEqual(panicsIn(log), [], `${name}'s log (${net?.validators[name].logPath})`);
    }
  });

  test('load: 2,000 extrinsics from 50 accounts while Dave is killed (SIGKILL) and restarted; all finalized, Dave catches up and does all it owed', async (t) => {
    const dave = net.validators.dave;
    // The burst, signed up front (immortal, consecutive nonces), sent to Alice, Bob and Charlie
    // round-robin by account, 32 submissions in flight.
    const survivors = ['alice', 'bob', 'charlie'].map((n) => net.validators[n]);
    const burst = [];
    const signing = Date.now();
    for (let k = 0; k < REMARKS_PER_ACCOUNT; k += 1) {
      for (const [a, pair] of loaders.entries()) {
        const tx = await api.tx.system.remark(`faults load ${a}/${k}`).signAsync(pair, { nonce: k, era: 0, blockHash: api.genesisHash });
        burst.push({ a, k, hex: tx.toHex(), hash: tx.hash.toHex(), node: survivors[a % survivors.length] });
      }
    }
    t.diagnostic(`${burst.length} extrinsics signed in ${Date.now() - signing} ms`);

    // What Dave will owe: two vaults that expire while it is down.
    const record = await registerRecord('dave', { daemon: ipfs.dave, keep: true });
    daveOwes.record = record;
    const now = await head();
    const vaults = await openVaults(ipfs.dave, record, [now + 7, now + 8]);
    await waitFor('Dave to pin its record and both vaults', () => pinnedOn(ipfs.dave, [record.cid, ...vaults.map((v) => v.cid)]), 60_000);

    const startBlock = await head();
    const accepted = new Map(); // hash → { a, k, node }
    const refused = [];
    let killed;
    let next = 0;
    const t0 = Date.now();
    await Promise.all(Array.from({ length: 32 }, async () => {
      while (next < burst.length) {
        const item = burst[next++];
        try {
          const hash = await rpc(item.node.rpcPort, 'author_submitExtrinsic', [item.hex]);
          assert.equal(hash, item.hash);
          accepted.set(hash, item);
        } catch (error) {
          refused.push(`${item.node.name} refused account ${item.a} nonce ${item.k}: ${error.message}`);
        }
        if (accepted.size >= KILL_AFTER && !killed) killed = dave.kill().then(async (exit) => ({ exit, block: await head() }));
      }
    }));
    const submittedMs = Date.now() - t0;
    assert.ok(killed, `Dave was killed mid-burst (after ${KILL_AFTER} accepted extrinsics)`);
    const { exit: killExit, block: killedAt } = await killed;
    assert.equal(killExit.signal, 'SIGKILL', 'Dave died of SIGKILL');
    assert.ok(vaults.every((v) => v.expiresAt > killedAt), `Dave killed at block ${killedAt}, before its vaults expire (${vaults.map((v) => v.expiresAt)})`);
    assert.deepEqual(refused, [], 'every extrinsic of the burst was accepted by a surviving node');
    assert.equal(accepted.size, burst.length);

    // Things that arrive while Dave is down: a record it must pin, and a prediction whose input
    // only Alice's and Bob's shared daemon and Dave's daemon hold: Charlie cannot compute it,
    // so the quorum of 3 needs Dave's result.
    const lateRecord = await registerRecord('dave', { daemon: ipfs.dave, keep: true });
    const job = await requestPrediction([ipfs.shared, ipfs.dave], 'load');

    // Every accepted extrinsic lands in a finalized block (finality goes on with 3 of 4).
    const pending = new Map(accepted);
    const blocksWith = new Map();
    let scanned = startBlock;
    await waitFor(`all ${accepted.size} accepted extrinsics in finalized blocks`, async () => {
      const finalized = await finalizedOf('alice');
      for (; scanned < finalized; scanned += 1) {
        const block = await api.rpc.chain.getBlock(await api.rpc.chain.getBlockHash(scanned + 1));
        for (const xt of block.block.extrinsics) {
          if (pending.delete(xt.hash.toHex())) blocksWith.set(scanned + 1, (blocksWith.get(scanned + 1) ?? 0) + 1);
        }
      }
      return pending.size === 0;
    }, 240_000, 2000).catch((error) => {
      const missing = [...pending.values()].slice(0, 5).map((i) => `account ${i.a} nonce ${i.k} (sent to ${i.node.name})`);
      throw new Error(`${error.message}; ${pending.size} accepted extrinsics not finalized, e.g. ${missing.join(', ')}`);
    });
    const finalizedAll = Date.now() - t0;
    t.diagnostic(`${accepted.size} extrinsics accepted in ${submittedMs} ms; all finalized ${finalizedAll} ms after the first, in blocks ${JSON.stringify(Object.fromEntries(blocksWith))}; Dave killed at block ${killedAt}`);

    // Dave stays down until both its vaults expired.
    const lastExpiry = Math.max(...vaults.map((v) => v.expiresAt));
    await waitFor(`block ${lastExpiry + 1} (both of Dave's vaults expired)`, async () => (await head()) > lastExpiry, 120_000, 1000);
    for (const v of vaults) assert.ok((await vaultOf(v.id)).unpinned.isNone, `vault ${v.id} is not confirmed while Dave is down`);
    const finalizedWhileDown = await finalizedOf('alice');
    assert.ok(finalizedWhileDown > killedAt, `finality went on without Dave: finalized ${finalizedWhileDown}, killed at ${killedAt}`);

    await dave.start();
    const restartedAt = await head();
    const target = await finalizedOf('alice');
    await waitFor(`Dave to reach finalized block ${target}`, async () => (await finalizedOf('dave')) >= target, 180_000, 1000);
    await waitFor('finality to go on with Dave back', async () => (await finalizedOf('alice')) >= target + 3, 120_000, 1000);

    // What Dave owed.
    await waitFor(`Dave to unpin and confirm vaults ${vaults.map((v) => v.id)} and pin record ${lateRecord.id} (${lateRecord.cid})`, async () => {
      for (const v of vaults) if ((await vaultOf(v.id)).unpinned.isNone) return false;
      return pinnedOn(ipfs.dave, [lateRecord.cid]);
    }, 120_000, 1000);
    for (const v of vaults) {
      const stored = await vaultOf(v.id);
      assert.equal(stored.unpinned.unwrap().by.toString(), founders.dave.address, `vault ${v.id} confirmed by Dave`);
      assert.ok(await goneFrom(ipfs.dave, v.cid), `vault ${v.id}'s object ${v.cid} unpinned and collected on Dave's daemon`);
    }
    const final = await predictionCompletes(job, 240_000);
    assert.ok(final.submissions.some((s) => s.evaluator.toString() === founders.dave.address), `job ${job}: Dave's result is among the submissions`);
    t.diagnostic(`Dave restarted at block ${restartedAt}; caught up with finalized ${target}; owed work done by block ${await head()}`);
  });

  test(`IPFS: Dave's daemon down for ${IPFS_DOWN_BLOCKS}+ blocks while vaults expire and a record and a vault arrive; once back every pin and unpin is done and confirmed`, async (t) => {
    const record = daveOwes.record ?? await registerRecord('dave', { daemon: ipfs.dave, keep: true });
    const now = await head();
    // Expiries far enough ahead that the daemon is down before the first (the pins take a block
    // or two; the 4-validator net under load misses slots), and within the down window.
    const expiring = await openVaults(ipfs.dave, record, [now + 10, now + 12]);
    await waitFor('Dave to pin both vaults', () => pinnedOn(ipfs.dave, expiring.map((v) => v.cid)), 60_000);
    // Objects of what arrives while the daemon is down (put on it now, kept from its GC).
    const lateRecordBytes = randomBytes(2048);
    const lateRecordCid = await put(ipfs.dave, lateRecordBytes, { keep: true });
    const lateVaultCid = await put(ipfs.dave, randomBytes(512), { keep: true });

    await ipfs.dave.stop();
    const downAt = await head();
    assert.ok(downAt < Math.min(...expiring.map((v) => v.expiresAt)), `the daemon stopped (block ${downAt}) before the first expiry`);
    let r = await submit(api, api.tx.vaults.registerRecord(person.pair.address, lateRecordCid, blake2AsHex(lateRecordBytes, 256), 2048, ['VitalSigns'], founders.dave.address), person.pair);
    const lateRecord = eventOf(api, r.events, 'vaults', 'RecordRegistered').record.toNumber();
    r = await submit(api, api.tx.vaults.openVault(grant, record.id, lateVaultCid, downAt + 100), person.pair);
    const lateVault = eventOf(api, r.events, 'vaults', 'VaultOpened').vault.toNumber();
    await waitFor(`${IPFS_DOWN_BLOCKS} blocks with the daemon down`, async () => (await head()) >= downAt + IPFS_DOWN_BLOCKS, 240_000, 1000);
    for (const v of expiring) {
      const stored = await vaultOf(v.id);
      assert.ok(stored.state.isExpired, `vault ${v.id} expired on chain (${stored.state.type})`);
      assert.ok(stored.unpinned.isNone, `vault ${v.id} is not confirmed while Dave's daemon is down`);
    }

    await ipfs.dave.start();
    const upAt = await head();
    const done = await waitFor(`Dave to unpin and confirm vaults ${expiring.map((v) => v.id)}, pin record ${lateRecord} (${lateRecordCid}) and vault ${lateVault} (${lateVaultCid})`, async () => {
      for (const v of expiring) if ((await vaultOf(v.id)).unpinned.isNone) return null;
      return (await pinnedOn(ipfs.dave, [lateRecordCid, lateVaultCid])) ? head() : null;
    }, 120_000, 1000);
    for (const v of expiring) {
      assert.equal((await vaultOf(v.id)).unpinned.unwrap().by.toString(), founders.dave.address, `vault ${v.id} confirmed by Dave`);
      assert.ok(await goneFrom(ipfs.dave, v.cid), `vault ${v.id}'s object ${v.cid} unpinned and collected`);
    }
    assert.deepEqual((await api.call.vaultsApi.mustUnpin(founders.dave.address)).map((i) => i.target.toString()), [], 'nothing left for Dave to unpin');
    t.diagnostic(`daemon down at block ${downAt}, back at ${upAt}; every pin and unpin done by block ${done}`);
  });

  const poison = {}; // test 3's poisoned and oversized records and its prediction job, for tests 4 and 5
  test('a poisoned record (a CID nobody serves) and an oversized object in Charlie\'s list: its other vaults are unpinned, collected and confirmed within 2 blocks of expiry', async (t) => {
    const record = await registerRecord('charlie', { daemon: ipfs.charlie });
    const now = await head();
    const vaults = await openVaults(ipfs.charlie, record, [now + 10, now + 12]);
    await waitFor(`Charlie to pin record ${record.id} and vaults ${vaults.map((v) => v.id)}`, () => pinnedOn(ipfs.charlie, [record.cid, ...vaults.map((v) => v.cid)]), 60_000);
    poison.record = await registerRecord('charlie', { cid: await cidNobodyServes(randomBytes(4096)), size: 4096 });
    for (const [name, daemon] of Object.entries(ipfs)) assert.equal(await daemon.hasBlock(poison.record.cid), false, `the ${name} daemon does not hold ${poison.record.cid}`);
    // 2 MiB on Charlie's daemon, declared on chain as 1 KiB.
    // Kept in Charlie's files (not pinned): his steward's garbage collections must not remove it,
    // or it would turn from too large into unreachable before it is reported.
    poison.oversized = await registerRecord('charlie', { cid: await put(ipfs.charlie, randomBytes(2 * 1024 * 1024), { keep: true }), size: 1024 });
    poison.job = await requestPrediction([ipfs.shared, ipfs.charlie, ipfs.dave], 'poisoned');
    assert.ok((await head()) < Math.min(...vaults.map((v) => v.expiresAt)), 'the poisoned and oversized records arrived before the vaults expire');

    // Each vault: the block by which its object was unpinned and collected, and the block of
    // its confirmation.
    const lastExpiry = Math.max(...vaults.map((v) => v.expiresAt));
    const goneAt = new Map();
    while ((await head()) <= lastExpiry + UNPIN_WITHIN + 1) {
      const block = await head();
      for (const v of vaults) {
        if (!goneAt.has(v.id) && block >= v.expiresAt && await goneFrom(ipfs.charlie, v.cid)) goneAt.set(v.id, block);
      }
      await sleep(500);
    }
    const late = [];
    for (const v of vaults) {
      const stored = await vaultOf(v.id);
      const confirmedAt = stored.unpinned.isSome ? stored.unpinned.unwrap().at.toNumber() : null;
      const gone = goneAt.get(v.id) ?? null;
      t.diagnostic(`vault ${v.id} (${v.cid}), expiry ${v.expiresAt}: gone by block ${gone ?? 'never'}, confirmed in block ${confirmedAt ?? 'never'}`);
      const deadline = v.expiresAt + UNPIN_WITHIN;
      if (gone === null) {
        const [pinned, stored] = [(await ipfs.charlie.pins()).has(v.cid), await ipfs.charlie.hasBlock(v.cid)];
        late.push(`vault ${v.id}'s object ${v.cid} (expiry block ${v.expiresAt}) still ${pinned ? 'pinned' : 'unpinned but not collected'} on Charlie's daemon at block ${lastExpiry + UNPIN_WITHIN + 1}${stored ? '' : ' (its block is gone)'}`);
      } else if (gone > deadline) {
        late.push(`vault ${v.id}'s object ${v.cid} (expiry block ${v.expiresAt}) unpinned and collected only by block ${gone}`);
      }
      if (confirmedAt === null || confirmedAt > deadline) late.push(`vault ${v.id} ${confirmedAt === null ? 'not confirmed' : `confirmed only in block ${confirmedAt}`}`);
    }
    assert.deepEqual(late, [], `with record ${poison.record.id} (${poison.record.cid}, served by nobody) and record ${poison.oversized.id} (${poison.oversized.cid}, oversized) assigned to Charlie, every other vault is unpinned, collected and confirmed within ${UNPIN_WITHIN} blocks of its expiry`);

    // Charlie reports each record once it has failed for the council's threshold: the report
    // is stored, and its block holds the event naming the record and the reason.
    for (const [what, { id }, reason] of [['poisoned', poison.record, 'Unreachable'], ['oversized', poison.oversized, 'TooLarge']]) {
      const registeredAt = (await api.query.vaults.records(id)).unwrap().registeredAt.toNumber();
      // Counted in blocks, not seconds: a loaded net misses slots.
      const deadline = registeredAt + UNFETCHABLE_AFTER + REPORT_WITHIN;
      const report = await waitFor(`record ${id} (${what}) to be reported unfetchable by block ${deadline}`, async () => {
        const past = (await head()) > deadline;
        const stored = await api.query.vaults.unfetchableRecords(id);
        if (stored.isSome) return stored.unwrap();
        if (past) throw new Unrecoverable(`record ${id} (${what}), registered in block ${registeredAt}, not reported by block ${deadline} (threshold ${UNFETCHABLE_AFTER} + ${REPORT_WITHIN})`);
        return null;
      }, 600_000, 1000);
      const [since, reportedAt] = [report.since.toNumber(), report.reportedAt.toNumber()];
      t.diagnostic(`record ${id} (${what}) registered in block ${registeredAt}, failing since ${since}, reported ${report.reason.type} in block ${reportedAt}`);
      assert.equal(report.reason.type, reason, `record ${id} (${what})`);
      assert.ok(report.steward.eq(founders.charlie.address), `reported by Charlie, not ${report.steward}`);
      assert.ok(reportedAt - since >= UNFETCHABLE_AFTER && since >= registeredAt, `record ${id}: failing since ${since}, reported in ${reportedAt}`);
      assert.ok(reportedAt <= registeredAt + UNFETCHABLE_AFTER + REPORT_WITHIN, `record ${id} (${what}), registered in block ${registeredAt}, reported only in block ${reportedAt} (threshold ${UNFETCHABLE_AFTER} + ${REPORT_WITHIN})`);
      const events = await (await api.at(await api.rpc.chain.getBlockHash(reportedAt))).query.system.events();
      const event = events.map(({ event: e }) => e).find((e) => api.events.vaults.RecordUnfetchable.is(e) && e.data.record.toNumber() === id);
      assert.ok(event, `vaults.RecordUnfetchable for record ${id} in block ${reportedAt}`);
      assert.equal(event.data.reason.type, reason);
      assert.ok(event.data.owner.eq(person.pair.address) && event.data.steward.eq(founders.charlie.address), 'the event names the person and Charlie');
      assert.equal(event.data.since.toNumber(), since);
    }
  });

  test('with the poisoned and the oversized record in Charlie\'s list, a prediction and a cohort statistic complete', async () => {
    assert.ok(poison.job !== undefined, 'needs the prediction job requested beside the poisoned record (test 3)');
    await predictionCompletes(poison.job, 240_000);
    await cohortReady;
    const { job: statistic } = await cliJson(['statistic', 'request', '--as', agency.name, '--schema', String(schema), '--count', '--purpose', 'PUBHLTH']);
    const shown = await cli(['statistic', 'show', String(statistic), '--wait', '--timeout', '300', '--json']);
    assert.equal(shown.code, 0, `statistic ${statistic}: ${shown.stderr}${shown.stdout}`);
    const published = JSON.parse(shown.stdout);
    assert.equal(published.status, 'Published', `statistic ${statistic}: ${shown.stdout}`);
  });

  test('an object larger than its record declares is not pinned (pins are refused above the declared size)', async () => {
    assert.ok(poison.oversized, 'needs the oversized record (test 3)');
    const { id, cid } = poison.oversized;
    assert.ok(!(await ipfs.charlie.pins()).has(cid), `Charlie pinned record ${id}'s object ${cid}: 2 MiB, declared 1 KiB on chain`);
  });
});
