// An encrypted prediction (PMHE) through the whole system: an institution registers a model on
// chain; a person encrypts features under their own key (custodia-fhe), puts them in IPFS and
// asks for a prediction; the evaluator worker of `custodia-node --dev --evaluator` computes on
// the ciphertext and the result becomes final on chain; the person decrypts it and gets the
// plaintext fixed-point model's score and class. A wrong hash or a malformed ciphertext makes
// the job fail with its reason on chain, and the node keeps running.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Keyring } from '@polkadot/keyring';
import { blake2AsHex } from '@polkadot/util-crypto';
import { connect, heads, run, startDevNode, stopAndCheck, waitFor } from './lib/node.mjs';
import { startIpfs } from './lib/ipfs.mjs';
import { eventOf, nextEvent, submit } from './lib/tx.mjs';
import { plaintextScore, quantise, registerHeartModel } from './lib/heart-model.mjs';

const UNIT = 10n ** 12n;
const FHE_TOOL = join(process.env.CARGO_TARGET_DIR ?? join(process.env.HOME, '.cache/custodia/target'), 'debug/custodia-fhe');

const PERSON = { age: 63, resting_bp: 145, cholesterol: 233 };

describe('encrypted prediction (custodia-node --dev --evaluator + IPFS)', () => {
  let ipfs;
  let node;
  let api;
  let model;
  const dir = mkdtempSync(join(tmpdir(), 'custodia-prediction-'));
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
});
