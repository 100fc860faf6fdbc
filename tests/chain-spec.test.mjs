// The chain specs checked in under chain-spec/ (gzipped) must match what the node exports now.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { NODE_BIN, REPO_ROOT, run } from './lib/node.mjs';

// The runtime's wasm blob embeds the absolute path of the checkout it was built in (panic
// locations), so it differs between clones; everything else must match byte for byte.
/** A checked-in spec, chain-spec/<chain>.json.gz, parsed. */
const committedSpec = (chain) => JSON.parse(gunzipSync(readFileSync(join(REPO_ROOT, 'chain-spec', `${chain}.json.gz`))).toString('utf8'));

function withoutCode(spec) {
  const copy = structuredClone(spec);
  assert.ok(copy.genesis.runtimeGenesis.code.startsWith('0x'), 'the spec carries the runtime code');
  delete copy.genesis.runtimeGenesis.code;
  return copy;
}

for (const chain of ['dev', 'local']) {
  test(`chain-spec/${chain}.json.gz is up to date (regenerate: scripts/export-chain-specs.sh)`, async () => {
    const { stdout } = await run(NODE_BIN, ['export-chain-spec', '--chain', chain], { maxBuffer: 64 << 20 });
    const exported = JSON.parse(stdout);
    const committed = committedSpec(chain);
    assert.deepEqual(withoutCode(committed), withoutCode(exported));
  });
}

test('the local chain spec names four validators with Aura and GRANDPA session keys', () => {
  const spec = committedSpec('local');
  const patch = spec.genesis.runtimeGenesis.patch;
  // The session pallet gives Aura and GRANDPA their authorities at genesis (issue 16).
  assert.equal(patch.validators.validators.length, 4);
  assert.equal(patch.session.keys.length, 4);
  for (const [account, validator, keys] of patch.session.keys) {
    assert.equal(account, validator);
    assert.ok(keys.aura && keys.grandpa, `session keys of ${account}`);
  }
  assert.deepEqual(patch.session.keys.map(([account]) => account), patch.validators.validators);
});
