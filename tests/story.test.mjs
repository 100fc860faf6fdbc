// The README's main job on the 4-validator net, run as a user would but non-interactively:
// `scripts/run.sh --net --once` sets up, starts a real IPFS daemon and the real 4-validator net
// whose validators run the worker, and tells the whole story with the `custodia` client,
// governed by council motions. The story checks each step itself (scripts/story.sh stops with an
// error when a check fails: the vault's body equals the person's record byte for byte, an
// expired vault can no longer be read, the institution's copy is deleted, the published mean
// equals the plaintext mean); this test checks that every step was told, in order, with its
// block, and that no process panicked. The dev-chain variant runs in consent-app.test.mjs, which
// then uses the consent app that run.sh serves.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { panicsIn, REPO_ROOT } from './lib/node.mjs';
import { checkToldSteps, plain, runEnvironment, storySteps } from './lib/story.mjs';

test('the 4-validator net: scripts/run.sh --net --once tells the whole story, governed by council motions', { timeout: 40 * 60_000 }, async (t) => {
  const people = 12;
  const steps = storySteps(people);
  steps.splice(0, 2, /the 4 validators are the founding members/, /an institution joins: General Hospital .*by council motion/);
  const state = mkdtempSync(join(tmpdir(), 'custodia-story-'));
  const { env } = runEnvironment({ state, people });
  const started = Date.now();
  const child = spawn(join(REPO_ROOT, 'scripts/run.sh'), ['--net', '--once'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  const code = await new Promise((resolve) => child.once('exit', resolve));
  assert.equal(code, 0, `run.sh --net --once exited ${code}\n--- stdout\n${plain(stdout)}\n--- stderr (tail)\n${stderr.slice(-4000)}`);
  const lines = checkToldSteps(stdout, steps);
  for (const validator of ['alice', 'bob', 'charlie', 'dave']) {
    const log = readFileSync(join(state, 'net', validator, 'node.log'), 'utf8');
    assert.deepEqual(panicsIn(log), [], `no panic in ${validator}'s log`);
  }
  t.diagnostic(`${lines.length} steps in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  for (const line of lines) t.diagnostic(line);
});
