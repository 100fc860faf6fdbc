// The story `scripts/run.sh` tells (scripts/story.sh), read from its step log: one JSON object per
// step (JSON Lines; the schema is in README.md, "The story's step log"). The tests check the steps'
// ids, statuses, blocks and typed facts, never the sentences printed for people. Shared by the
// story tests.

import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The step ids the story logs, in order: on the dev chain, or (`net`) on the 4-validator net. */
export const storySteps = ({ net }) => [
  ...(net ? ['founding-members'] : ['steward-admitted', 'aggregator-admitted']),
  'institution-admitted',
  'schema-registered',
  'privacy-set',
  'epoch-started',
  'epoch-active',
  'wearable-uploaded',
  'consent-requested',
  'consent-granted',
  'vault-opened',
  'vault-pinned',
  'vault-fetched',
  'vault-unpinned',
  'removal-attested',
  'model-registered',
  'prediction-decrypted',
  'cohort-joined',
  'agency-admitted',
  'patients-enrolled',
  'reports-verified',
  'mean-published',
  'histogram-published',
];

/** Removes terminal colours. */
export const plain = (text) => text.replace(/\x1b\[[0-9;]*m/g, '');

/** The entries of the step log at `path` ([] when the story never started it). */
export function readStepLog(path) {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').split('\n').filter((line) => line.trim() !== '').map((line, i) => {
    try {
      return JSON.parse(line);
    } catch (error) {
      throw new Error(`line ${i + 1} of the step log ${path} is not JSON (${error.message}): ${line}`);
    }
  });
}

/** "story step 'ID' failed: REASON" for the first step the log does not report ok, or null. */
export function storyFailure(entries) {
  const bad = entries.find((e) => e.status !== 'ok');
  return bad ? `story step '${bad.step}' ${bad.status === 'failed' ? 'failed' : `was ${bad.status}`}: ${bad.reason}` : null;
}

const isId = (v) => Number.isInteger(v) && v >= 0;
const isAccount = (v) => typeof v === 'string' && v.length >= 46;
const isReportId = (v) => /^0x[0-9a-f]{32}$/.test(v);

/**
 * Checks the step log `entries` of a story with a cohort of `people` (on the net with `net`): no
 * step failed or was skipped, exactly the expected steps in order, each at a block, blocks never
 * going back, and each step's facts; returns the entries by step id.
 */
export function checkStory(entries, { people, net }) {
  const failure = storyFailure(entries);
  assert.equal(failure, null, failure ?? '');
  assert.deepEqual(entries.map((e) => e.step), storySteps({ net }), 'every step of the story, in order, each once');
  const blocks = entries.map((e) => e.block);
  assert.ok(blocks.every(isId), `every step names its block: ${blocks}`);
  assert.deepEqual(blocks, [...blocks].sort((a, b) => a - b), `blocks in order: ${blocks}`);
  const step = Object.fromEntries(entries.map((e) => [e.step, e.facts]));
  const at = Object.fromEntries(entries.map((e) => [e.step, e.block]));
  const aggregators = net ? ['alice', 'bob', 'charlie', 'dave'] : ['alice', 'bob'];

  // Governance: sudo on the dev chain (no motion), a council motion on the net.
  const governed = ['institution-admitted', 'schema-registered', 'privacy-set', 'epoch-started', 'agency-admitted'];
  if (net) {
    assert.equal(step['founding-members'].validators, 4);
  } else {
    governed.unshift('steward-admitted', 'aggregator-admitted');
    assert.ok(isAccount(step['steward-admitted'].member));
    assert.deepEqual(step['steward-admitted'].kinds, ['data-steward', 'evaluator']);
    assert.ok(isAccount(step['aggregator-admitted'].member));
  }
  for (const id of governed) {
    const { motion } = step[id];
    assert.ok(net ? isId(motion) : motion === null, `${id}: ${net ? 'a council motion' : 'sudo, no motion'} (motion ${motion})`);
  }
  assert.ok(isAccount(step['institution-admitted'].member));
  assert.equal(step['institution-admitted'].name, 'General Hospital');

  // Statistics set up.
  const schema = step['schema-registered'];
  assert.ok(isId(schema.schema));
  assert.equal(schema.fields.length, 7, `7 fields: ${schema.fields}`);
  assert.ok(schema.fields.includes('heart_rate'));
  assert.deepEqual([step['privacy-set'].epsilon, step['privacy-set'].budget], [1, 3], 'ε = 1 per statistic, a budget of 3');
  assert.deepEqual(step['epoch-started'].aggregators, aggregators);
  assert.ok(isId(step['epoch-active'].epoch));

  // A record, consent, a vault.
  const wearable = step['wearable-uploaded'];
  assert.ok(isId(wearable.record));
  assert.ok(isReportId(wearable.report), `a Prio3 report id: ${wearable.report}`);
  assert.equal(wearable.values, 7, 'the report proves 7 values in range');
  assert.ok(isId(step['consent-requested'].request));
  assert.equal(step['consent-granted'].request, step['consent-requested'].request);
  assert.ok(isId(step['consent-granted'].grant));
  const opened = step['vault-opened'];
  assert.ok(isId(opened.vault));
  assert.equal(opened.record, wearable.record, 'the vault holds the wearable\'s record');
  assert.equal(opened.grant, step['consent-granted'].grant);
  assert.ok(opened.expires_at > at['vault-opened'], `open until a later block: ${opened.expires_at}`);
  const pinned = step['vault-pinned'];
  assert.equal(pinned.vault, opened.vault);
  assert.equal(pinned.cid, opened.cid);
  assert.equal(pinned.cid_pinned, true, 'the steward\'s daemon pins the vault\'s copy');
  assert.equal(pinned.missing, 0, 'nothing the steward must pin is missing');
  assert.ok(pinned.required >= 1);
  const fetched = step['vault-fetched'];
  assert.equal(fetched.vault, opened.vault);
  assert.match(fetched.body_sha256, /^[0-9a-f]{64}$/);
  assert.equal(fetched.body_sha256, fetched.record_sha256, 'the vault\'s body is the person\'s record, byte for byte');
  assert.ok(fetched.bytes > 0);
  const unpinned = step['vault-unpinned'];
  assert.equal(unpinned.vault, opened.vault);
  assert.notEqual(unpinned.state, 'Open');
  assert.ok(unpinned.unpinned_at >= unpinned.expires_at, `unpinned (${unpinned.unpinned_at}) after it expired (${unpinned.expires_at})`);
  assert.equal(unpinned.expires_at, opened.expires_at);
  assert.equal(unpinned.cid, opened.cid);
  assert.equal(unpinned.cid_pinned, false, 'no daemon of ours pins the ended vault\'s copy');
  assert.equal(unpinned.record_pinned, true, 'the person\'s record stays pinned');
  const attested = step['removal-attested'];
  assert.equal(attested.vault, opened.vault);
  assert.equal(attested.expired_fetch_exit_code, 1, 'reading the expired vault is refused (exit code 1)');
  assert.equal(attested.copy_deleted, true);

  // The encrypted prediction.
  assert.ok(isId(step['model-registered'].model));
  const predicted = step['prediction-decrypted'];
  assert.equal(predicted.model, step['model-registered'].model);
  assert.ok(isId(predicted.job));
  assert.ok(predicted.requested_in <= at['prediction-decrypted'], 'decrypted from a result final after the request');
  assert.ok(Number.isInteger(predicted.score));
  assert.equal(predicted.score, predicted.plaintext_score, 'the decrypted score is the plaintext fixed-point score');
  assert.match(predicted.class, /^(positive|negative)$/);
  assert.ok(predicted.probability >= 0 && predicted.probability <= 1, `a probability: ${predicted.probability}`);
  assert.equal(predicted.class === 'positive', predicted.score > 0, `class ${predicted.class} agrees with the score's sign (${predicted.score})`);

  // The cohort and its statistics.
  assert.deepEqual([step['cohort-joined'].people, step['cohort-joined'].reports], [people, people], 'every person, one report each');
  assert.ok(isAccount(step['agency-admitted'].member));
  assert.equal(step['agency-admitted'].name, 'Public Health Agency');
  assert.equal(step['patients-enrolled'].people, people);
  assert.equal(step['reports-verified'].status, 'Verified');
  assert.ok(isReportId(step['reports-verified'].report));
  const mean = step['mean-published'];
  assert.ok(isId(mean.job));
  assert.equal(mean.field, 'heart_rate');
  assert.equal(mean.reports, people, 'the mean summed every person\'s report');
  assert.equal(mean.epsilon, 1);
  assert.equal(mean.aggregators, aggregators.length);
  assert.ok(mean.std_dev > 0, 'the mean carries noise');
  assert.ok(Math.abs(mean.mean - mean.plaintext_mean) <= 5 * mean.std_dev + 1e-9,
    `the published mean ${mean.mean} ± ${mean.std_dev} lies within 5 standard deviations of the plaintext mean ${mean.plaintext_mean}`);
  const histogram = step['histogram-published'];
  assert.ok(isId(histogram.job) && histogram.job !== mean.job);
  assert.equal(histogram.field, 'heart_rate');
  assert.equal(histogram.reports, people);
  assert.equal(histogram.epsilon, 1);
  assert.equal(histogram.buckets.length, 8, 'a bucket below each of the 7 boundaries and one above');
  assert.ok(histogram.buckets.every((b) => Number.isInteger(b.count) && b.std_dev > 0), 'noisy integer counts');
  return step;
}

/**
 * The environment of a run.sh on ports from one random base (run.sh refuses busy ones). Each
 * caller names its `lane` (0 or 1): the two files that run run.sh side by side draw from halves
 * of 10000–18999 that never meet, below the ephemeral range and every other port a test binds
 * (tests/lib/node.mjs).
 */
export function runEnvironment({ state, people, lane }) {
  if (lane !== 0 && lane !== 1) throw new Error(`runEnvironment: lane ${lane} is neither 0 nor 1`);
  const base = 10_000 + (lane * 45 + randomInt(45)) * 100;
  const ports = { rpc: base, p2p: base + 10, prometheus: base + 20, ipfs: base + 30, ui: base + 40 };
  const log = join(state, 'story.jsonl');
  const env = {
    ...process.env,
    CUSTODIA_RPC_PORT: String(ports.rpc),
    CUSTODIA_P2P_PORT: String(ports.p2p),
    CUSTODIA_PROMETHEUS_PORT: String(ports.prometheus),
    CUSTODIA_IPFS_PORT: String(ports.ipfs),
    CUSTODIA_UI_PORT: String(ports.ui),
    CUSTODIA_STATE_DIR: state,
    CUSTODIA_STORY_LOG: log,
    CUSTODIA_PEOPLE: String(people),
    // The prediction step needs the Cleveland data set: fail instead of skipping it.
    CUSTODIA_STORY_STRICT: '1',
  };
  return { ports, env, log };
}
