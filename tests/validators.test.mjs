// The validator set by governance and the permissioned peers, on the 4-validator local net
// (issue 16):
// - a stranger's node (a fresh node key, the same chain, the founders as boot nodes) is refused:
//   it stays at 0 peers and block 0 while the founders author, and no founder lists its peer id
//   (pallet-node-authorization: each node accepts only the well-known nodes of the genesis);
// - the council admits Eve and names her node's peer id a well-known node before it starts;
//   Eve's node (started with --validator and an empty keystore) syncs, makes
//   session keys with author_rotateKeysWithOwner and registers them with session.setKeys, and a
//   council motion adds her as a validator; after the session change she authors blocks, and her
//   GRANDPA votes count: with Dave stopped, four of five validators, three originals and Eve, are
//   exactly the supermajority GRANDPA needs, so finality only continues because she votes;
// - the council removes Dave (still stopped); after the session change the set is Alice, Bob,
//   Charlie, Eve and finality continues;
// - two thirds of the council reach Root through validators.dispatchAsRoot: they authorize a
//   runtime upgrade; three of five (a majority, not two thirds) cannot. Applying the chain's own
//   code is refused by system.setCode's checks (its spec_version does not increase): a real
//   upgrade needs a second runtime build, which this test does not make (see docs/operations.md).
//
// Ports (below the ephemeral range, tests/lib/node.mjs): p2p 21333+i, JSON-RPC 21944+i, Prometheus 21615+i (i = 0..5: alice … eve, the stranger).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Keyring } from '@polkadot/keyring';
import { base58Decode, blake2AsHex } from '@polkadot/util-crypto';
import { u8aToHex } from '@polkadot/util';
import { connect, heads, panicsIn, rpc, waitFor } from './lib/node.mjs';
import { peerIdsOf, Validator } from './lib/net.mjs';
import { describeError, submit } from './lib/tx.mjs';
import { scratchDir } from './lib/scratch.mjs';

const NAMES = ['alice', 'bob', 'charlie', 'dave', 'eve'];
const FOUNDERS = NAMES.slice(0, 4);
const P2P_BASE = 21333;
const RPC_BASE = 21944;
const PROM_BASE = 21615;
const dir = scratchDir('custodia-validators-');
const capital = (name) => name[0].toUpperCase() + name.slice(1);

describe('validator set by governance', () => {
  const keyring = new Keyring({ type: 'sr25519' });
  const accounts = Object.fromEntries(NAMES.map((name) => [name, keyring.addFromUri(`//${capital(name)}`)]));
  const nodes = {};
  let stranger;
  let api;
  let eveKeys;

  const finalized = async (name) => (await heads(nodes[name].rpcPort)).finalized;
  const sessionValidators = async () => (await api.query.session.validators()).map((a) => a.toString()).sort();
  const addresses = (names) => names.map((n) => accounts[n].address).sort();

  /**
   * A council motion for `call` proposed by `voters[0]` with threshold `voters.length`, voted aye
   * by every voter and closed; resolves with the `council.Executed` event's result (or
   * `null` when the motion was disapproved).
   */
  async function motion(call, voters) {
    const length = call.method.encodedLength;
    const { events } = await submit(api, api.tx.council.propose(voters.length, call, length), accounts[voters[0]]);
    const proposed = events.find((e) => api.events.council.Proposed.is(e));
    assert.ok(proposed, 'the motion is open');
    const { proposalIndex: index, proposalHash: hash } = proposed.data;
    // The proposer's aye is not implied: every voter votes.
    await Promise.all(voters.map((v) => submit(api, api.tx.council.vote(hash, index, true), accounts[v])));
    const closed = await submit(api, api.tx.council.close(hash, index, { refTime: 50_000_000_000n, proofSize: 1_000_000n }, length), accounts.alice);
    const executed = closed.events.find((e) => api.events.council.Executed.is(e));
    return executed ? executed.data.result : null;
  }

  async function governed(call, voters) {
    const result = await motion(call, voters);
    assert.ok(result, 'the motion was executed');
    assert.ok(result.isOk, `the motion's call: ${result.isErr ? describeError(api, result.asErr) : ''}`);
  }

  /** The Aura author's public key of the block `hash`: authority `slot % n` of its parent. */
  async function auraAuthor(hash) {
    const header = await api.rpc.chain.getHeader(hash);
    const preRuntime = header.digest.logs.find((log) => log.isPreRuntime && log.asPreRuntime[0].toString() === 'aura');
    const slot = api.createType('u64', preRuntime.asPreRuntime[1].toU8a(true)).toBigInt();
    const authorities = await (await api.at(header.parentHash)).query.aura.authorities();
    return authorities[Number(slot % BigInt(authorities.length))].toHex();
  }

  before(async () => {
    const peerIds = await peerIdsOf(FOUNDERS.length);
    for (const [i, name] of NAMES.entries()) {
      // The founders run with their development keys; Eve's node starts with an empty keystore.
      nodes[name] = new Validator({
        name, i, dir: join(dir, name), p2pBase: P2P_BASE, rpcPort: RPC_BASE + i, prometheusPort: PROM_BASE + i,
        bootnodes: FOUNDERS.flatMap((_, j) => (j === i ? [] : [`/ip4/127.0.0.1/tcp/${P2P_BASE + j}/p2p/${peerIds[j]}`])),
        identity: FOUNDERS.includes(name) ? [`--${name}`] : [],
      });
    }
    await Promise.all(FOUNDERS.map((name) => nodes[name].start()));
    api = await connect(`ws://127.0.0.1:${nodes.alice.rpcPort}`);
  });

  after(async () => {
    await api?.disconnect();
    await stranger?.stop();
    const exits = await Promise.all(NAMES.map((name) => nodes[name]?.stop()));
    for (const [i, name] of NAMES.entries()) {
      if (!nodes[name]?.child) continue;
      assert.deepEqual(panicsIn(nodes[name].log()), [], `${name}'s log (${nodes[name].logPath})`);
      assert.equal(exits[i].code, 0, `${name} stopped cleanly`);
    }
  });

  test('the genesis validators are the four founders and they finalize', async () => {
    await waitFor('the founders to finalize block 2', async () => (await finalized('alice')) >= 2, 180_000);
    assert.deepEqual(await sessionValidators(), addresses(FOUNDERS));
    assert.deepEqual((await api.query.validators.validators()).map(String).sort(), addresses(FOUNDERS));
  });

  test("a stranger's node is refused: no peers, no blocks", async () => {
    // Same chain, the founders as boot nodes, but a node key nobody named. Before
    // pallet-node-authorization it connected and synced within a few seconds.
    const peerIds = await peerIdsOf(FOUNDERS.length);
    stranger = new Validator({
      name: 'stranger', i: 5, dir: join(dir, 'stranger'), p2pBase: P2P_BASE, rpcPort: RPC_BASE + 5, prometheusPort: PROM_BASE + 5,
      bootnodes: FOUNDERS.map((_, j) => `/ip4/127.0.0.1/tcp/${P2P_BASE + j}/p2p/${peerIds[j]}`),
      identity: [], key: randomBytes(32).toString('hex'),
    });
    await stranger.start();
    const strangerId = await rpc(stranger.rpcPort, 'system_localPeerId');
    const start = (await heads(nodes.alice.rpcPort)).best;
    // Five blocks (30 s): the stranger dialled every boot node many times over.
    await waitFor('the founders to author five more blocks', async () => {
      const health = await rpc(stranger.rpcPort, 'system_health');
      assert.equal(health.peers, 0, "the stranger's peers");
      assert.equal((await heads(stranger.rpcPort)).best, 0, "the stranger's best block");
      for (const name of FOUNDERS) {
        const peers = (await rpc(nodes[name].rpcPort, 'system_peers')).map((p) => p.peerId);
        assert.ok(!peers.includes(strangerId), `${name} lists the stranger as a peer`);
        assert.equal(peers.length, FOUNDERS.length - 1, `${name} keeps its peers`);
      }
      return (await heads(nodes.alice.rpcPort)).best >= start + 5;
    }, 120_000, 1000);
    assert.deepEqual(panicsIn(stranger.log()), []);
    assert.equal((await stranger.stop()).code, 0, 'the stranger stopped cleanly');
  });

  test('the council adds Eve; she authors blocks and her GRANDPA votes finalize them', async () => {
    // A non-member cannot be added: governance admits Eve to the consortium first.
    const refused = await motion(api.tx.validators.addValidator(accounts.eve.address), ['alice', 'bob', 'charlie']);
    assert.equal(describeError(api, refused.asErr).split(':')[0], 'validators.NotEligible');
    // A member's node connects only once the council named its peer id: Eve's is named before
    // her node starts.
    await governed(api.tx.consortium.admitMember(accounts.eve.address, ['Institution'], 'Eve Clinic', u8aToHex(accounts.eve.publicKey), null), ['alice', 'bob', 'charlie']);
    const [eveNode] = (await peerIdsOf(NAMES.length)).slice(-1);
    await governed(api.tx.nodeAuthorization.addWellKnownNode(u8aToHex(base58Decode(eveNode)), accounts.eve.address), ['alice', 'bob', 'charlie']);
    // A BTreeSet: polkadot.js gives a Set.
    assert.ok([...(await api.query.nodeAuthorization.wellKnownNodes())].map((n) => n.toHex()).includes(u8aToHex(base58Decode(eveNode))));
    // The founders' offchain workers authorize her node after the next block.
    const named = (await heads(nodes.alice.rpcPort)).best;
    await waitFor('the next block', async () => (await heads(nodes.alice.rpcPort)).best > named, 60_000);
    await nodes.eve.start();
    await waitFor('eve to sync', async () => (await heads(nodes.eve.rpcPort)).best >= (await heads(nodes.alice.rpcPort)).best - 1, 120_000);

    // Eve's node makes her session keys; the proof binds them to her account.
    const generated = await rpc(nodes.eve.rpcPort, 'author_rotateKeysWithOwner', [u8aToHex(accounts.eve.publicKey)]);
    eveKeys = generated.keys;
    assert.equal((eveKeys.length - 2) / 2, 64, 'aura (32 bytes) and grandpa (32 bytes)');

    await submit(api, api.tx.session.setKeys(eveKeys, generated.proof), accounts.eve);
    await governed(api.tx.validators.addValidator(accounts.eve.address), ['alice', 'bob', 'charlie']);

    const five = addresses(NAMES);
    await waitFor('Eve in the session validators', async () => JSON.stringify(await sessionValidators()) === JSON.stringify(five), 240_000, 2000);
    const eveAura = eveKeys.slice(0, 66);
    const eveGrandpa = `0x${eveKeys.slice(66)}`;
    const grandpa = (await api.query.grandpa.authorities()).map(([key]) => key.toHex());
    assert.ok(grandpa.includes(eveGrandpa), 'Eve is a GRANDPA authority');

    // Eve authors a block that the others import.
    await waitFor('a block authored by Eve', async () => {
      const hash = await api.rpc.chain.getBlockHash();
      return (await auraAuthor(hash)) === eveAura;
    }, 120_000, 1000);

    // With Dave down, 4 of 5 validators remain: GRANDPA's supermajority of 5 is 4, so the
    // three remaining founders finalize nothing without Eve's votes.
    await nodes.dave.stop();
    const start = await finalized('alice');
    await waitFor('finality with Eve voting and Dave down', async () => (await finalized('alice')) >= start + 3, 180_000, 1000);
  });

  test('the council removes Dave; finality continues without him', async () => {
    await governed(api.tx.validators.removeValidator(accounts.dave.address), ['alice', 'bob', 'charlie']);
    const four = addresses(['alice', 'bob', 'charlie', 'eve']);
    await waitFor('Dave out of the session validators', async () => JSON.stringify(await sessionValidators()) === JSON.stringify(four), 240_000, 2000);
    const start = await finalized('alice');
    await waitFor('finality after the set change', async () => (await finalized('alice')) >= start + 3, 120_000, 1000);
  });

  test('two thirds of the council reach Root to authorize a runtime upgrade; a bare majority cannot', async () => {
    const code = (await api.rpc.state.getStorage(':code')).toHex();
    const codeHash = blake2AsHex(code, 256);
    const authorize = api.tx.validators.dispatchAsRoot(api.tx.system.authorizeUpgrade(codeHash));

    // Five members (Dave is still one): three ayes are a majority but not two thirds.
    const majority = await motion(authorize, ['alice', 'bob', 'charlie']);
    assert.ok(majority.isErr && majority.asErr.isBadOrigin, 'a bare majority is refused');
    assert.ok((await api.query.system.authorizedUpgrade()).isNone);

    const { events } = await submit(api, api.tx.council.propose(4, authorize, authorize.method.encodedLength), accounts.alice);
    const { proposalIndex: index, proposalHash: hash } = events.find((e) => api.events.council.Proposed.is(e)).data;
    await Promise.all(['alice', 'bob', 'charlie', 'eve'].map((v) => submit(api, api.tx.council.vote(hash, index, true), accounts[v])));
    const closed = await submit(api, api.tx.council.close(hash, index, { refTime: 50_000_000_000n, proofSize: 1_000_000n }, authorize.method.encodedLength), accounts.alice);
    const dispatched = closed.events.find((e) => api.events.validators.DispatchedAsRoot.is(e));
    assert.ok(dispatched?.data.result.isOk, 'system.authorizeUpgrade ran as Root');
    assert.equal((await api.query.system.authorizedUpgrade()).unwrap().codeHash.toHex(), codeHash);

    // The authorized code is the chain's own: set_code's checks reject it (same spec_version),
    // and the authorization is spent.
    const specVersion = (await api.rpc.state.getRuntimeVersion()).specVersion.toNumber();
    const applied = await submit(api, api.tx.system.applyAuthorizedUpgrade(code), accounts.eve);
    const rejected = applied.events.find((e) => api.events.system.RejectedInvalidAuthorizedUpgrade.is(e));
    assert.ok(rejected, `set_code's checks ran: ${applied.events.map((e) => `${e.section}.${e.method}`).join(', ')}`);
    assert.match(describeError(api, rejected.data.error), /^system\.SpecVersionNeedsToIncrease/);
    assert.ok((await api.query.system.authorizedUpgrade()).isNone);
    assert.equal((await api.rpc.state.getRuntimeVersion()).specVersion.toNumber(), specVersion);
  });
});
