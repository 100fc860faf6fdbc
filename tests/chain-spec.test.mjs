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

test('the local chain spec names four GRANDPA authorities', () => {
  const spec = committedSpec('local');
  const patch = spec.genesis.runtimeGenesis.patch;
  assert.equal(patch.grandpa.authorities.length, 4);
  assert.equal(patch.aura.authorities.length, 4);
});
