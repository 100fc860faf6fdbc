// A job survives its evaluator's node going down: a prediction is requested while the evaluator
// cannot reach its input (IPFS stopped), the node is stopped and started again on the same
// database, IPFS comes back, and the job completes exactly once; a repeated submission is
// rejected by the chain.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Keyring } from '@polkadot/keyring';
import { blake2AsHex } from '@polkadot/util-crypto';
import { connect, heads, panicsIn, run, startDevNode, waitFor } from './lib/node.mjs';
import { startIpfs } from './lib/ipfs.mjs';
import { eventOf, nextEvent, submit } from './lib/tx.mjs';
import { scratchDir } from './lib/scratch.mjs';

const UNIT = 10n ** 12n;
const FHE_TOOL = join(process.env.CARGO_TARGET_DIR ?? join(process.env.HOME, '.cache/custodia/target'), 'debug/custodia-fhe');

describe('evaluator restarted mid-job', () => {
  const dir = scratchDir('custodia-restart-');
  const basePath = join(dir, 'chain');
  const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
  const alice = keyring.addFromUri('//Alice');
  const evaluator = keyring.addFromUri('//Dave');
  const institution = keyring.addFromUri('//Alice/restart-test-clinic');
  const person = keyring.addFromUri('//Alice/restart-test-person');
  const logs = [];
  let ipfs;
  let node;
  let api;

  const startNode = async () => {
    node = await startDevNode({ basePath, extraArgs: ['--evaluator', '--ipfs-api', ipfs.url, '--worker-dev-key', '//Dave'] });
    api = await connect(node.url);
  };
  const stopNode = async () => {
    await api.disconnect();
    const exit = await node.stop();
    logs.push(node.log());
    assert.equal(exit.code, 0, 'the node stops cleanly');
  };

  before(async () => {
    ipfs = await startIpfs();
    await startNode();
  });

  after(async () => {
    if (node?.child.exitCode === null) await stopNode();
    await ipfs?.stop();
    for (const log of logs) assert.deepEqual(panicsIn(log), []);
  });

  test('the job completes once after the node and IPFS come back; a repeat is rejected', async () => {
    for (const who of [institution, person]) await submit(api, api.tx.balances.transferKeepAlive(who.address, 1_000n * UNIT), alice);
    await submit(api, api.tx.sudo.sudo(api.tx.consortium.admitMember(evaluator.address, ['Evaluator'], 'Evaluator Dave', randomBytes(32), null)), alice);
    await submit(api, api.tx.sudo.sudo(api.tx.consortium.admitMember(institution.address, ['Institution'], 'Clinic', randomBytes(32), null)), alice);
    let r = await submit(api, api.tx.fhe.registerModel({
      name: 'restart-test', features: [{ name: 'x', unit: '1', offsetMicros: 0, scaleMicros: 1_000_000 }],
      weights: [3], bias: 1, scoreDivisor: 1, outputMeaning: '3x + 1', provenance: 'test', parameterSet: 1,
    }), institution);
    const model = eventOf(api, r.events, 'fhe', 'ModelRegistered').model.toNumber();
    await run(FHE_TOOL, ['personal-keygen', '--out', join(dir, 'me.key')]);
    await run(FHE_TOOL, ['personal-encrypt', '--key', join(dir, 'me.key'), '--features', '14', '--out', join(dir, 'record.bin')]);
    const record = readFileSync(join(dir, 'record.bin'));
    const cid = await ipfs.addUnpinned(record);

    // The evaluator cannot fetch the input: the job waits.
    await ipfs.stop();
    r = await submit(api, api.tx.fhe.requestPrediction(model, cid, blake2AsHex(record, 256)), person);
    const job = eventOf(api, r.events, 'fhe', 'PredictionRequested').job.toNumber();
    const requested = r.block;
    await waitFor('two blocks with the job pending', async () => (await heads(node.rpcPort)).best >= requested + 2, 60_000);
    assert.equal((await api.call.fheApi.job(job)).unwrap().job.status.type, 'Pending');
    await stopNode();

    // Node and IPFS back; the evaluator picks the job up from the chain.
    await ipfs.start();
    await startNode();
    await waitFor('the job to be final', async () => (await api.call.fheApi.job(job)).unwrap().job.status.isFinal, 90_000, 1000);
    const final = (await api.call.fheApi.job(job)).unwrap().job;
    assert.equal(final.submissions.length, 1, 'exactly one submission');
    assert.equal(final.submissions[0].evaluator.toString(), evaluator.address);

    // The same outcome again, signed by the evaluator's key: the chain refuses it.
    const { result } = final.status.asFinal;
    const outcome = { Success: { resultCid: result.cid, resultHash: result.hash } };
    await assert.rejects(submit(api, api.tx.fhe.submitResult(job, outcome), evaluator), /fhe\.JobNotPending/);
    const still = (await api.call.fheApi.job(job)).unwrap().job;
    assert.equal(still.submissions.length, 1, 'still exactly one submission');
  });
});
