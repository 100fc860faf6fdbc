// The README's main job on the 4-validator net, run as a user would but non-interactively:
// `scripts/run.sh --net --once` sets up, starts a real IPFS daemon and the real 4-validator net
// whose validators run the worker, and tells the whole story with the `custodia` client,
// governed by council motions. The story checks each step itself (scripts/story.sh stops with an
// error when a check fails) and logs each one as JSON (the step log): this test reads that log and
// checks every step was ok, in order, at its block, and its facts as numbers (the vault's body has
// the record's SHA-256, the expired vault's read exits 1, the decrypted score equals the plaintext
// score, the published mean lies within 5 standard deviations of the plaintext mean, …), and
// that no process panicked. The dev-chain variant runs in consent-app.test.mjs, which then uses
// the consent app that run.sh serves.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, panicsIn, REPO_ROOT } from './lib/node.mjs';
import { scratchDir } from './lib/scratch.mjs';
import { checkStory, plain, readStepLog, runEnvironment, storyFailure } from './lib/story.mjs';

test('a step that fails is the step log\'s last entry, with its id and reason, and fails the story check', async () => {
  // Nothing listens on these ports: the first step that needs the chain or IPFS fails.
  const [rpc, ipfs] = [await freePort(), await freePort()];
  const state = scratchDir('custodia-story-failing-');
  const log = join(state, 'steps.jsonl');
  for (const net of [false, true]) {
    const code = await new Promise((resolve) => execFile(join(REPO_ROOT, 'scripts/story.sh'),
      [...(net ? ['--net'] : []), '--log', log, `ws://127.0.0.1:${rpc}`, `http://127.0.0.1:${ipfs}`, join(state, net ? 'net' : 'dev')],
      (error) => resolve(error ? error.code : 0)));
    assert.equal(code, 1, 'story.sh exits 1');
    const entries = readStepLog(log);
    assert.equal(entries.length, 1, `one entry: ${JSON.stringify(entries)}`);
    const [failed] = entries;
    assert.deepEqual([failed.step, failed.status, failed.block], [net ? 'founding-members' : 'steward-admitted', 'failed', null]);
    assert.match(failed.reason, net ? /^custodia status exited with \d+: cannot reach the node/ : /^IPFS at http:\/\/127\.0\.0\.1:\d+ has no peer id$/);
    assert.equal(storyFailure(entries), `story step '${failed.step}' failed: ${failed.reason}`);
    assert.throws(() => checkStory(entries, { people: 1, net }), (error) => error.message.includes(`story step '${failed.step}' failed: ${failed.reason}`));
  }
});

test('the 4-validator net: scripts/run.sh --net --once tells the whole story, governed by council motions', { timeout: 40 * 60_000 }, async (t) => {
  const people = 12;
  const state = scratchDir('custodia-story-');
  const { env, log } = runEnvironment({ state, people, lane: 0 });
  const started = Date.now();
  const child = spawn(join(REPO_ROOT, 'scripts/run.sh'), ['--net', '--once'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  const code = await new Promise((resolve) => child.once('exit', resolve));
  const entries = readStepLog(log);
  const failure = storyFailure(entries) ?? (code === 0 ? null : `run.sh exited ${code} after step '${entries.at(-1)?.step ?? '(none)'}'`);
  assert.equal(failure, null, `${failure}\n--- stdout\n${plain(stdout)}\n--- stderr (tail)\n${stderr.slice(-4000)}`);
  assert.equal(code, 0, 'run.sh --net --once exits 0');
  checkStory(entries, { people, net: true });
  for (const validator of ['alice', 'bob', 'charlie', 'dave']) {
    const nodeLog = readFileSync(join(state, 'net', validator, 'node.log'), 'utf8');
    assert.deepEqual(panicsIn(nodeLog), [], `no panic in ${validator}'s log`);
  }
  t.diagnostic(`${entries.length} steps in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  for (const entry of entries) t.diagnostic(`[#${entry.block}] ${entry.step}: ${JSON.stringify(entry.facts)}`);
});
