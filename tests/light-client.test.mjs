// A light client (smoldot, as substrate-connect and polkadot-api embed it) follows a Custodia
// chain through a WebSocket boot node named in the chain spec (issue 16, "Light-client
// readiness"; docs/operations.md, "Light clients"):
// - the dev chain's validator (Alice, development node key 1) and a gateway node (node key 2,
//   named as a well-known node by the dev genesis, so Alice accepts it) started with
//   `--offchain-worker never` and a `/ws` listen address;
// - the chain spec exported by `custodia-node export-chain-spec --raw`, its `bootNodes` set to the
//   gateway's `/ip4/127.0.0.1/tcp/<port>/ws/p2p/<peer id>`, no checkpoint (Aura + GRANDPA chains
//   have none): smoldot, with plain TCP forbidden, warp syncs and reports blocks Alice finalizes
//   after it started;
// - the same spec with Alice's own address as its only boot node: Alice accepts only named
//   peers (pallet-node-authorization), so smoldot gets no peer.
// Not covered: a browser, `wss` through a TLS proxy.
//
// Ports: free ones (lib/node.mjs `freePort`).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as smoldot from 'smoldot';
import { freePort, heads, NODE_BIN, panicsIn, rpc, run, sleep, startDevNode, waitFor } from './lib/node.mjs';
import { scratchDir } from './lib/scratch.mjs';

const dir = scratchDir('custodia-light-client-');
/** Development node key `i` (public: the dev genesis names keys 1 and 2). */
const devNodeKey = (i) => i.toString(16).padStart(64, '0');

/** A smoldot client following `chainSpec`; `finalized()` is the newest finalized block number it reported. */
async function lightClient(chainSpec) {
  const client = smoldot.start({ maxLogLevel: 2, forbidTcp: true });
  const chain = await client.addChain({ chainSpec: JSON.stringify(chainSpec) });
  let finalized = -1;
  let nextId = 1;
  const pending = new Map();
  chain.sendJsonRpc(JSON.stringify({ jsonrpc: '2.0', id: nextId++, method: 'chain_subscribeFinalizedHeads', params: [] }));
  const pump = (async () => {
    for (;;) {
      let message;
      try {
        message = JSON.parse(await chain.nextJsonRpcResponse());
      } catch {
        return; // the client was terminated
      }
      if (message.method === 'chain_finalizedHead') finalized = parseInt(message.params.result.number, 16);
      else if (pending.has(message.id)) pending.get(message.id)(message);
    }
  })();
  return {
    finalized: () => finalized,
    async call(method, params = []) {
      const id = nextId++;
      const answer = new Promise((resolve) => pending.set(id, resolve));
      chain.sendJsonRpc(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
      const message = await answer;
      pending.delete(id);
      if (message.error) throw new Error(`${method}: ${message.error.message}`);
      return message.result;
    },
    async terminate() {
      await client.terminate();
      await pump;
    },
  };
}

describe('light client through a WebSocket boot node', () => {
  let alice;
  let gateway;
  let gatewayExit;
  let spec;
  const clients = [];

  before(async () => {
    alice = await startDevNode({ extraArgs: ['--node-key', devNodeKey(1)] });
    const aliceAddress = (await rpc(alice.rpcPort, 'system_localListenAddresses')).find((a) => a.startsWith('/ip4/127.0.0.1/tcp/'));
    assert.ok(aliceAddress, "Alice's loopback address");

    const [wsPort, rpcPort, prometheusPort] = [await freePort(), await freePort(), await freePort()];
    const logPath = join(dir, 'gateway.log');
    const log = createWriteStream(logPath);
    const child = spawn(NODE_BIN, [
      '--chain', 'dev', '--tmp', '--node-key', devNodeKey(2),
      // Accepts peers nobody named (the light clients); Alice accepts it because the genesis
      // names its key.
      '--offchain-worker', 'never',
      '--listen-addr', `/ip4/127.0.0.1/tcp/${wsPort}/ws`,
      '--bootnodes', aliceAddress,
      '--rpc-port', String(rpcPort), '--prometheus-port', String(prometheusPort), '--no-mdns',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(log);
    child.stderr.pipe(log);
    gatewayExit = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    gateway = { child, rpcPort, wsPort, logPath };
    await waitFor('the gateway to sync from Alice', async () => (await heads(rpcPort)).best >= 2, 120_000, 1000);

    const specPath = join(dir, 'dev-raw.json');
    await run(NODE_BIN, ['export-chain-spec', '--chain', 'dev', '--raw', '--output', specPath]);
    spec = JSON.parse(readFileSync(specPath, 'utf8'));
    assert.equal(spec.lightSyncState, undefined, 'no BABE checkpoint: the chain is Aura + GRANDPA');
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.terminate()));
    // Let the gateway see smoldot's connections close before it shuts down.
    await sleep(2000);
    if (gateway?.child.exitCode === null) gateway.child.kill('SIGINT');
    const gatewayStopped = gateway ? await gatewayExit : null;
    const aliceStopped = await alice?.stop();
    if (gateway) {
      assert.deepEqual(panicsIn(readFileSync(gateway.logPath, 'utf8')), [], `gateway log ${gateway.logPath}`);
      assert.equal(gatewayStopped.code, 0, 'the gateway stopped cleanly');
    }
    if (alice) {
      assert.deepEqual(panicsIn(alice.log()), [], `Alice's log ${alice.logPath}`);
      assert.equal(aliceStopped.code, 0, 'Alice stopped cleanly');
    }
  });

  test("smoldot follows finality through the gateway's /ws address", async () => {
    const gatewayId = await rpc(gateway.rpcPort, 'system_localPeerId');
    const light = await lightClient({ ...spec, bootNodes: [`/ip4/127.0.0.1/tcp/${gateway.wsPort}/ws/p2p/${gatewayId}`] });
    clients.push(light);
    const target = (await heads(alice.rpcPort)).finalized + 2;
    await waitFor(`smoldot to report finalized block ${target}`, async () => light.finalized() >= target, 180_000, 1000);
    const health = await light.call('system_health');
    assert.ok(health.peers >= 1, `smoldot's peers: ${JSON.stringify(health)}`);
  });

  test('Alice, which accepts only named peers, gives smoldot no peer', async () => {
    // Alice listens on plain TCP; allow it for this client only.
    const aliceAddress = (await rpc(alice.rpcPort, 'system_localListenAddresses')).find((a) => a.startsWith('/ip4/127.0.0.1/tcp/'));
    const client = smoldot.start({ maxLogLevel: 2 });
    const chain = await client.addChain({ chainSpec: JSON.stringify({ ...spec, bootNodes: [aliceAddress] }) });
    clients.push({ terminate: () => client.terminate() });
    const start = (await heads(alice.rpcPort)).best;
    await waitFor('Alice to author three more blocks', async () => (await heads(alice.rpcPort)).best >= start + 3, 60_000, 1000);
    chain.sendJsonRpc(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'system_health', params: [] }));
    const health = JSON.parse(await chain.nextJsonRpcResponse()).result;
    assert.equal(health.peers, 0, `smoldot's peers: ${JSON.stringify(health)}`);
  });
});
