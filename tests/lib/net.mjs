// The 4-validator local net (Alice, Bob, Charlie, Dave) started by the test itself instead of
// scripts/local-net.sh, for tests that need what the script does not offer: each validator's
// worker with its own roles and its own IPFS daemon, and a validator killed with SIGKILL (a
// power cut, not a shutdown) and started again on its database. Same layout as the script:
// fixed public node keys (test net only; the genesis names their peer ids as the only nodes
// that may connect, pallet-node-authorization), every validator a boot node of the others, loopback
// ports from three bases, one folder per validator with its database and log.

import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertRunning, heads, NODE_BIN, rpc, run, waitFor } from './node.mjs';

export const VALIDATORS = ['alice', 'bob', 'charlie', 'dave'];

/** The development secret URI of a validator: `//Alice` for `alice`. */
export const devUri = (name) => `//${name[0].toUpperCase()}${name.slice(1)}`;

/** Validator `i`'s public libp2p key (as local-net.sh derives it): i + 1 in 32 bytes of hex. */
export const nodeKey = (i) => (i + 1).toString(16).padStart(64, '0');

/**
 * A local net in `dir` on ports `p2pBase + i`, `rpcBase + i`, `promBase + i`. `workerArgs(name)`
 * gives the worker flags of each validator (roles, `--ipfs-api`); the worker signs as the
 * validator's development account.
 */
export async function localNet({ dir, p2pBase, rpcBase, promBase, workerArgs = () => [] }) {
  const peerIds = await peerIdsOf(VALIDATORS.length);
  const validators = Object.fromEntries(VALIDATORS.map((name, i) => [name, new Validator({
    name, i, dir: join(dir, name), p2pBase, rpcPort: rpcBase + i, prometheusPort: promBase + i,
    bootnodes: VALIDATORS.flatMap((_, j) => (j === i ? [] : [`/ip4/127.0.0.1/tcp/${p2pBase + j}/p2p/${peerIds[j]}`])),
    workerArgs: workerArgs(name),
  })]));
  return {
    validators,
    async start() {
      await Promise.all(Object.values(validators).map((v) => v.start()));
    },
    async stop() {
      await Promise.all(Object.values(validators).map((v) => v.stop()));
    },
  };
}

/** The libp2p peer ids of the first `n` node keys ([`nodeKey`]). */
export async function peerIdsOf(n) {
  const ids = [];
  for (let i = 0; i < n; i++) {
    ids.push((await run('bash', ['-c', `printf %s ${nodeKey(i)} | "${NODE_BIN}" key inspect-node-key`])).stdout.trim());
  }
  return ids;
}

/**
 * One validator node of a local net. `identity` is the flag that puts its development keys in
 * its keystore (`--alice` by default); `[]` starts it with an empty keystore, as a new member's
 * node joins (it makes its session keys itself). `key` is its libp2p secret key in hex
 * (default [`nodeKey`]`(i)`: the peer ids the local net's genesis names as well-known nodes).
 */
export class Validator {
  constructor({ name, i, dir, p2pBase, rpcPort, prometheusPort, bootnodes, workerArgs = [], identity = [`--${name}`], key = nodeKey(i) }) {
    Object.assign(this, { name, i, dir, p2pBase, rpcPort, prometheusPort, bootnodes, workerArgs, identity, key });
    this.logPath = join(dir, 'node.log');
    this.child = null;
    this.url = `ws://127.0.0.1:${rpcPort}`;
  }

  get running() {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts the validator (on its database, if it ran before) and waits for its JSON-RPC. */
  async start() {
    mkdirSync(this.dir, { recursive: true });
    const log = createWriteStream(this.logPath, { flags: 'a' });
    this.child = spawn(NODE_BIN, [
      '--chain', 'local', ...this.identity, '--validator',
      '--base-path', this.dir,
      '--node-key', this.key,
      '--listen-addr', `/ip4/127.0.0.1/tcp/${this.p2pBase + this.i}`,
      '--bootnodes', ...this.bootnodes,
      '--rpc-port', String(this.rpcPort),
      '--prometheus-port', String(this.prometheusPort),
      '--no-mdns',
      ...(this.workerArgs.length ? [...this.workerArgs, '--worker-dev-key', devUri(this.name)] : []),
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout.pipe(log);
    this.child.stderr.pipe(log);
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
    await waitFor(`${this.name} to answer JSON-RPC`, async () => {
      assertRunning(this.child, this.name, this.logPath);
      return (await rpc(this.rpcPort, 'system_health')) !== undefined;
    }, 120_000, 500);
  }

  /** Kills the process with SIGKILL: no shutdown, no flush; resolves once it is gone. */
  async kill() {
    if (!this.running) return this.exited;
    this.child.kill('SIGKILL');
    return this.exited;
  }

  /**
   * Stops the validator with SIGINT (SIGKILL after 90 s: a loaded node can take a while to end
   * its tasks); resolves with its exit.
   */
  async stop(timeoutMs = 90_000) {
    if (!this.running) return this.exited ?? { code: null, signal: null };
    this.child.kill('SIGINT');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const result = await this.exited;
    clearTimeout(timer);
    return result;
  }

  heads() {
    return heads(this.rpcPort);
  }

  log() {
    return readFileSync(this.logPath, 'utf8');
  }
}
