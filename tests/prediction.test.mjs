// An encrypted prediction (PMHE) through the whole system: an institution registers a model on
// chain; a person encrypts features under their own key (custodia-fhe), puts them in IPFS and
// asks for a prediction; the evaluator worker of `custodia-node --dev --evaluator` computes on
// the ciphertext and the result becomes final on chain; the person decrypts it and gets the
// plaintext fixed-point model's score and class. A wrong hash or a malformed ciphertext makes
// the job fail with its reason on chain, and the node keeps running.
//
// A person's own program (issue 14's generic programs): `custodia program run` makes the person's
// tfhe keys, registers the evaluation key, encrypts (a + b) · c's inputs and asks for the job; the
// evaluator runs it with the person's key, the result becomes final on chain and the client
// decrypts the right value. A malformed and an oversized program fail their jobs with the precise
// reason, and the next program job still completes.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Keyring } from '@polkadot/keyring';
import { blake2AsHex } from '@polkadot/util-crypto';
import { connect, heads, run, startDevNode, stopAndCheck, waitFor } from './lib/node.mjs';
import { startIpfs } from './lib/ipfs.mjs';
import { eventOf, nextEvent, submit } from './lib/tx.mjs';
import { plaintextScore, quantise, registerHeartModel } from './lib/heart-model.mjs';
import { scratchDir } from './lib/scratch.mjs';

const UNIT = 10n ** 12n;
const FHE_TOOL = join(process.env.CARGO_TARGET_DIR ?? join(process.env.HOME, '.cache/custodia/target'), 'debug/custodia-fhe');
const CLI = join(process.env.CARGO_TARGET_DIR ?? join(process.env.HOME, '.cache/custodia/target'), 'debug/custodia');
const PASSPHRASE = 'program test passphrase';

/** (a + b) · c, as the engine's JSON program. */
const SUM_TIMES = { inputs: 3, ops: [{ op: 'add', a: 0, b: 1 }, { op: 'mul', a: 3, b: 2 }], outputs: [4] };

const PERSON = { age: 63, resting_bp: 145, cholesterol: 233 };

describe('encrypted prediction (custodia-node --dev --evaluator + IPFS)', () => {
  let ipfs;
  let node;
  let api;
  let model;
  const dir = scratchDir('custodia-prediction-');
  const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
  const alice = keyring.addFromUri('//Alice'); // sudo
  const evaluator = keyring.addFromUri('//Dave'); // --worker-dev-key //Dave
  const institution = keyring.addFromUri('//Alice/prediction-test-clinic');
  const person = keyring.addFromUri('//Alice/prediction-test-person');

  const fhe = async (...args) => (await run(FHE_TOOL, args)).stdout.trim();

  /** Stores `bytes` in IPFS and asks for a prediction naming `hash`; returns the job id. */
  async function requestPrediction(bytes, hash = blake2AsHex(bytes, 256)) {
    const cid = await ipfs.addUnpinned(bytes);
    const r = await submit(api, api.tx.fhe.requestPrediction(model, cid, hash), person);
    return eventOf(api, r.events, 'fhe', 'PredictionRequested').job.toNumber();
  }

  before(async () => {
    ipfs = await startIpfs();
    node = await startDevNode({ extraArgs: ['--evaluator', '--ipfs-api', ipfs.url, '--worker-dev-key', '//Dave'] });
    api = await connect(node.url);
    for (const who of [institution, person]) await submit(api, api.tx.balances.transferKeepAlive(who.address, 1_000n * UNIT), alice);
    await submit(api, api.tx.sudo.sudo(api.tx.consortium.admitMember(evaluator.address, ['Evaluator'], 'Evaluator Dave', randomBytes(32), null)), alice);
    await submit(api, api.tx.sudo.sudo(api.tx.consortium.admitMember(institution.address, ['Institution'], 'Heart Clinic', randomBytes(32), null)), alice);
    ({ model } = await registerHeartModel(api, institution, 'heart-risk-test'));
    await fhe('personal-keygen', '--out', join(dir, 'me.key'));
  });

  after(() => stopAndCheck({ api, node, ipfs }));

  /** Runs the client; resolves with { code, stdout, stderr }. */
  function cli(args) {
    return new Promise((resolve) => {
      execFile(CLI, ['--url', node.url, '--keys-dir', join(dir, 'keys'), ...args], {
        env: { ...process.env, CUSTODIA_PASSPHRASE: PASSPHRASE }, maxBuffer: 16 << 20,
      }, (error, stdout, stderr) => resolve({ code: error ? error.code : 0, stdout, stderr }));
    });
  }

  /** Stores `program` (JSON text) in IPFS and asks for it as `person`; returns the job id. */
  async function requestProgram(program) {
    const bytes = new TextEncoder().encode(program);
    const ref = { cid: await ipfs.addUnpinned(bytes), hash: blake2AsHex(bytes, 256) };
    const r = await submit(api, api.tx.fhe.requestProgram(ref, ref), person);
    return eventOf(api, r.events, 'fhe', 'ProgramRequested').job.toNumber();
  }

  test('encrypted features in → final result on chain → the person decrypts the fixed-point score', async (t) => {
    const xq = quantise(PERSON);
    await fhe('personal-encrypt', '--key', join(dir, 'me.key'), '--features', xq.join(','), '--out', join(dir, 'record.bin'));
    const requestedAt = Date.now();
    let job;
    const ready = nextEvent(api, 'fhe', 'PredictionReady', (d) => d.job.toNumber() === job);
    job = await requestPrediction(readFileSync(join(dir, 'record.bin')));
    const requestBlock = (await heads(node.rpcPort)).best;
    const { block, data } = await ready;
    t.diagnostic(`job ${job}: requested in block ≤ ${requestBlock}, final in block ${block}, ${Date.now() - requestedAt} ms after submission`);

    const result = await ipfs.cat(data.resultCid.toUtf8());
    assert.equal(blake2AsHex(result, 256), data.resultHash.toHex(), 'the result in IPFS is the one agreed on chain');
    writeFileSync(join(dir, 'score.bin'), result);
    const score = BigInt(await fhe('personal-decrypt', '--key', join(dir, 'me.key'), '--score', join(dir, 'score.bin')));
    assert.equal(score, plaintextScore(xq), 'decrypted score = plaintext fixed-point score');
    const status = (await api.call.fheApi.job(job)).unwrap().job.status;
    assert.ok(status.isFinal, `job status ${status.type}`);
  });

  test('a wrong input hash fails the job with InputHashMismatch', async () => {
    let job;
    const failed = nextEvent(api, 'fhe', 'JobFailed', (d) => d.job.toNumber() === job);
    job = await requestPrediction(readFileSync(join(dir, 'record.bin')), blake2AsHex(randomBytes(8), 256));
    const { data } = await failed;
    assert.equal(data.reason.type, 'InputHashMismatch');
  });

  test('a malformed ciphertext fails the job with MalformedInput, and the node keeps running', async () => {
    let job;
    const failed = nextEvent(api, 'fhe', 'JobFailed', (d) => d.job.toNumber() === job);
    job = await requestPrediction(randomBytes(300));
    const { data } = await failed;
    assert.equal(data.reason.type, 'MalformedInput');
    const before = (await heads(node.rpcPort)).best;
    await waitFor('two more blocks', async () => (await heads(node.rpcPort)).best >= before + 2, 60_000);
  });

  test('a malformed and an oversized program fail their jobs with the precise reason', async () => {
    // The evaluator reads a program before the key, so any registered key will do here.
    const key = await ipfs.addUnpinned(randomBytes(64));
    await submit(api, api.tx.fhe.registerEvaluationKey(key, blake2AsHex(randomBytes(8), 256)), person);
    const cases = [
      ['{"inputs":1,"ops":[{"op":"add","a":0,"b":5}],"outputs":[1]}', 'MalformedProgram'],
      ['not json at all', 'MalformedProgram'],
      [JSON.stringify({ inputs: 1, ops: Array(257).fill({ op: 'add_scalar', a: 0, value: 1 }), outputs: [0] }), 'ProgramTooLarge'],
    ];
    for (const [program, reason] of cases) {
      let job;
      const failed = nextEvent(api, 'fhe', 'JobFailed', (d) => d.job.toNumber() === job);
      job = await requestProgram(program);
      const { data } = await failed;
      assert.equal(data.reason.type, reason, program.slice(0, 60));
    }
  });

  test('custodia program run: (a + b) · c over encrypted inputs → final on chain → decrypted by the person', async (t) => {
    const created = await cli(['keys', 'create', 'prog', '--json']);
    assert.equal(created.code, 0, created.stderr);
    const account = JSON.parse(created.stdout).account;
    await submit(api, api.tx.balances.transferKeepAlive(account, 1_000n * UNIT), alice);
    writeFileSync(join(dir, 'sum-times.json'), JSON.stringify(SUM_TIMES));
    writeFileSync(join(dir, 'values.txt'), '2, 3\n7\n');
    const started = Date.now();
    const r = await cli(['program', 'run', '--as', 'prog', '--program', join(dir, 'sum-times.json'),
      '--inputs-file', join(dir, 'values.txt'), '--ipfs-api', ipfs.url, '--timeout', '900', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    t.diagnostic(`program job ${out.job}: requested in block ${out.requested_in}, final in block ${out.final_in}, ${Date.now() - started} ms including key generation and registration`);
    assert.deepEqual(out.outputs, [35], '(2 + 3) · 7');
    const job = (await api.call.fheApi.job(out.job)).unwrap().job;
    assert.ok(job.status.isFinal, `job status ${job.status.type}`);
    assert.ok(job.kind.isProgram, `job kind ${job.kind.type}`);
    // The program key is sealed at rest and names the evaluation key registered for it.
    const sealed = JSON.parse(readFileSync(join(dir, 'keys', 'prog.program-key'), 'utf8'));
    assert.ok(sealed.sealed && sealed.evaluation_key_hash, 'sealed key with the registered key hash');
    const refused = await cli(['program', 'run', '--as', 'prog', '--program', join(dir, 'sum-times.json'), '--inputs', '1,2', '--ipfs-api', ipfs.url]);
    assert.equal(refused.code, 2, 'a wrong input count is refused before anything is sent');
    assert.match(refused.stderr, /takes 3 inputs, 2 given/);
  });
});
