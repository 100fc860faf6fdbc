// The README's main job, run as a user would but non-interactively: `scripts/run.sh --once` sets
// up, starts a real IPFS daemon and a real dev node with its worker, and tells the whole story
// with the `custodia` client. The story checks each step itself (scripts/story.sh stops with an
// error when a check fails: the vault's body equals the person's record byte for byte, an
// expired vault can no longer be read, the institution's copy is deleted, the published mean
// equals the plaintext mean); this test checks that every step was told, in order, with its
// block, and that no process panicked.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, panicsIn, REPO_ROOT } from './lib/node.mjs';

const PEOPLE = 52;

// Each step's line, in the order the story tells them.
const STEPS = [
  /Alice's node joins the consortium as data steward and evaluator/,
  /an institution joins: General Hospital/,
  /key epoch 0 started/,
  /joint FHE key agreed and in IPFS/,
  /wearable uploads 60 s of readings: record \d+ .*FHE-encrypted/,
  /General Hospital asks for consent: wearable readings, for treatment/,
  /the person grants it: grant \d+/,
  /the person opens vault \d+: record \d+ re-sealed to the hospital's key, open until block \d+/,
  /the steward pins it/,
  /General Hospital fetches and opens vault \d+: the FHIR Bundle it reads is the person's record, byte for byte/,
  /vault \d+ expired at block \d+; the steward unpinned it and confirmed on chain/,
  /General Hospital deletes its copy and attests removal on chain/,
  /General Hospital registers model \d+/,
  /encrypted prediction: job \d+ requested in block \d+; the person decrypts: class (positive|negative), probability [\d.]+ %/,
  new RegExp(`${PEOPLE} people record a window of wearable readings \\(FHE-encrypted\\) and join the PUBHLTH cohort`),
  new RegExp(`statistic \\d+ published: mean heart rate [\\d.]+/min over ${PEOPLE} people .* it equals the plaintext mean`),
];

test(`scripts/run.sh --once tells the whole story (${PEOPLE}-person cohort) and checks every step`, { timeout: 40 * 60_000 }, async () => {
  const state = mkdtempSync(join(tmpdir(), 'custodia-story-'));
  const env = {
    ...process.env,
    CUSTODIA_RPC_PORT: String(await freePort()),
    CUSTODIA_P2P_PORT: String(await freePort()),
    CUSTODIA_PROMETHEUS_PORT: String(await freePort()),
    CUSTODIA_IPFS_PORT: String(await freePort()),
    CUSTODIA_STATE_DIR: state,
    CUSTODIA_PEOPLE: String(PEOPLE),
    // The prediction step needs the Cleveland data set: fail instead of skipping it.
    CUSTODIA_STORY_STRICT: '1',
  };
  const started = Date.now();
  const child = spawn(join(REPO_ROOT, 'scripts/run.sh'), ['--once'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  const code = await new Promise((resolve) => child.once('exit', resolve));
  const plain = stdout.replace(/\x1b\[[0-9;]*m/g, '');
  assert.equal(code, 0, `run.sh --once exited ${code}\n--- stdout\n${plain}\n--- stderr (tail)\n${stderr.slice(-4000)}`);

  const lines = plain.split('\n').filter((l) => l.startsWith('[#'));
  let at = 0;
  for (const step of STEPS) {
    const found = lines.findIndex((line, i) => i >= at && step.test(line));
    assert.ok(found >= 0, `step ${step} not told after line ${at}:\n${lines.join('\n')}`);
    at = found + 1;
  }
  assert.ok(!plain.includes('SKIPPED'), 'no step was skipped');
  // Steps that name a block name a real one, and blocks only move forward.
  const blocks = lines.map((l) => l.match(/^\[#(\d+)\]/)?.[1]).filter(Boolean).map(Number);
  assert.ok(blocks.length >= 12, `${blocks.length} steps name their block`);
  assert.deepEqual(blocks, [...blocks].sort((a, b) => a - b), `blocks in order: ${blocks}`);

  const log = readFileSync(join(state, 'dev-node.log'), 'utf8');
  assert.deepEqual(panicsIn(log), [], 'no panic in the node log');
  console.log(`# story: ${lines.length} steps in ${((Date.now() - started) / 1000).toFixed(0)} s, last block ${blocks.at(-1)}`);
  for (const line of lines) console.log(`# ${line}`);
});
