// The 4-validator local net, driven through scripts/local-net.sh as an operator would:
// it finalizes; with one validator stopped the other three keep finalizing; the restarted
// validator catches up; no node panics.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { heads, panicsIn, REPO_ROOT, run, waitFor } from './lib/node.mjs';
import { scratchDir } from './lib/scratch.mjs';

const SCRIPT = join(REPO_ROOT, 'scripts', 'local-net.sh');
const VALIDATORS = ['alice', 'bob', 'charlie', 'dave'];
// Port bases away from the defaults, so a net the developer runs is left alone.
const env = {
  ...process.env,
  CUSTODIA_NET_DIR: scratchDir('custodia-net-'),
  CUSTODIA_NET_P2P_BASE: '31333',
  CUSTODIA_NET_RPC_BASE: '19944',
  CUSTODIA_NET_PROM_BASE: '19615',
};
const rpcPort = (name) => 19944 + VALIDATORS.indexOf(name);
const net = (...args) => run('bash', [SCRIPT, ...args], { env });
const finalized = async (name) => (await heads(rpcPort(name))).finalized;

/** Exit code of `local-net.sh status` (non-zero: a validator is down or finality is stuck). */
async function statusCode() {
  try {
    await net('status');
    return 0;
  } catch (error) {
    return error.code;
  }
}

describe('4-validator local net', () => {
  before(async () => {
    await net('start');
  });

  after(async () => {
    await net('stop');
  });

  test('all four validators finalize blocks', async () => {
    for (const name of VALIDATORS) {
      await waitFor(`${name} to finalize block 2`, async () => (await finalized(name)) >= 2, 180_000);
    }
    assert.equal(await statusCode(), 0);
  });

  test('finality keeps advancing with one validator stopped', async () => {
    await net('stop', 'dave');
    assert.notEqual(await statusCode(), 0, 'status reports the stopped validator');
    const start = await finalized('alice');
    await waitFor('three validators to finalize 3 more blocks', async () => (await finalized('alice')) >= start + 3, 120_000);
    assert.ok((await finalized('bob')) >= start + 1);
  });

  test('a restarted validator catches up with the finalized head', async () => {
    await net('start', 'dave');
    const target = await finalized('alice');
    await waitFor(`dave to reach finalized block ${target}`, async () => (await finalized('dave')) >= target, 180_000);
    await waitFor('status to report a healthy net', async () => (await statusCode()) === 0, 60_000, 3000);
  });

  test('no validator log reports a panic', async () => {
    await net('stop');
    for (const name of VALIDATORS) {
      const log = readFileSync(join(env.CUSTODIA_NET_DIR, name, 'node.log'), 'utf8');
      assert.deepEqual(panicsIn(log), [], `${name}'s log`);
    }
  });
});
