// The story `scripts/run.sh` tells (scripts/story.sh): each step's line, in order, and a check
// that the output told every one of them with its block. Shared by the story tests.

import assert from 'node:assert/strict';

/** Each step's line, in the order the story tells them, for a cohort of `people`. */
export const storySteps = (people) => [
  /Alice's node joins the consortium as data steward and evaluator/,
  /an institution joins: General Hospital/,
  /governance registers statistic schema \d+ for wearable readings: 7 fields/,
  /governance sets differential privacy: ε = 1 per statistic/,
  /an aggregator epoch starts: /,
  /the aggregators posted their epoch keys and agreed a verification key no client knows: epoch \d+ is active/,
  /wearable uploads 60 s of readings: record \d+ \(a FHIR Bundle sealed to them\) and its Prio3 report 0x[0-9a-f]{32} \(one input share sealed to each aggregator, with a proof that its 7 values are in range\)/,
  /General Hospital asks for consent: wearable readings, for treatment/,
  /the person grants it: grant \d+/,
  /the person opens vault \d+: record \d+ re-sealed to the hospital's key, open until block \d+/,
  /the chain lists vault \d+ for its steward to pin, and the steward's own IPFS daemon pins it \(the client added it unpinned/,
  /General Hospital fetches and opens vault \d+: the FHIR Bundle it reads is the person's record, byte for byte/,
  /vault \d+ expired at block \d+; the steward unpinned it and confirmed on chain, and no IPFS daemon of ours pins its copy any more/,
  /General Hospital deletes its copy and attests removal on chain/,
  /General Hospital registers model \d+/,
  /encrypted prediction: job \d+ requested in block \d+; the person decrypts: class (positive|negative), probability [\d.]+ %, score -?\d+, the plaintext fixed-point score exactly/,
  new RegExp(`${people} people record a window of wearable readings, each with its Prio3 report, and join the PUBHLTH cohort`),
  /a second institution joins: the Public Health Agency/,
  new RegExp(`General Hospital enrols its ${people} patients`),
  /every aggregator verified the reports \(values in range, bound to owner, record and epoch\)/,
  new RegExp(`statistic \\d+ published: mean heart rate -?[\\d.]+ ± [\\d.]+/min over ${people} people, ε = 1(\\.0)?; no aggregator saw a value`),
  /statistic \d+ published: heart-rate histogram /,
];

/** Removes terminal colours. */
export const plain = (text) => text.replace(/\x1b\[[0-9;]*m/g, '');

/**
 * Checks that `output` (run.sh's stdout) told every one of `steps` in order, none skipped, each
 * naming its block, blocks never going back; returns the step lines.
 */
export function checkToldSteps(output, steps) {
  const text = plain(output);
  const lines = text.split('\n').filter((l) => l.startsWith('[#'));
  let at = 0;
  for (const step of steps) {
    const found = lines.findIndex((line, i) => i >= at && step.test(line));
    assert.ok(found >= 0, `step ${step} not told after line ${at}:\n${lines.join('\n')}`);
    at = found + 1;
  }
  assert.ok(!text.includes('SKIPPED'), 'no step was skipped');
  const blocks = lines.map((l) => Number(l.match(/^\[#(\d+)\]/)?.[1]));
  assert.ok(blocks.every(Number.isInteger), `every step names its block:\n${lines.join('\n')}`);
  assert.deepEqual(blocks, [...blocks].sort((a, b) => a - b), `blocks in order: ${blocks}`);
  return lines;
}

/** The environment of a run.sh on ports from one random base (run.sh refuses busy ones). */
export function runEnvironment({ state, people }) {
  const base = 20_000 + Math.floor(Math.random() * 400) * 100;
  const ports = { rpc: base, p2p: base + 10, prometheus: base + 20, ipfs: base + 30, ui: base + 40 };
  const env = {
    ...process.env,
    CUSTODIA_RPC_PORT: String(ports.rpc),
    CUSTODIA_P2P_PORT: String(ports.p2p),
    CUSTODIA_PROMETHEUS_PORT: String(ports.prometheus),
    CUSTODIA_IPFS_PORT: String(ports.ipfs),
    CUSTODIA_UI_PORT: String(ports.ui),
    CUSTODIA_STATE_DIR: state,
    CUSTODIA_PEOPLE: String(people),
    // The prediction step needs the Cleveland data set: fail instead of skipping it.
    CUSTODIA_STORY_STRICT: '1',
  };
  return { ports, env };
}
