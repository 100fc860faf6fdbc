// Helpers shared by the end-to-end tests: real custodia-node processes on free loopback ports.

import { spawn, execFile } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ApiPromise, WsProvider } from '@polkadot/api';
import { scratchDir } from './scratch.mjs';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The node binary scripts/test.sh built (CUSTODIA_NODE_BIN), or the default build output. */
export const NODE_BIN = process.env.CUSTODIA_NODE_BIN ??
  join(process.env.CARGO_TARGET_DIR ?? join(process.env.HOME, '.cache/custodia/target'), 'debug/custodia-node');

export const run = promisify(execFile);
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A TCP port nobody listens on right now. */
export function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

/** Polls `check` until it returns a truthy value; fails with `what` after `timeoutMs`. */
export async function waitFor(what, check, timeoutMs = 90_000, intervalMs = 500) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    await sleep(intervalMs);
  }
  throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${last ? `: ${last.message}` : ''}`);
}

/** One JSON-RPC call over HTTP. */
export async function rpc(port, method, params = []) {
  const response = await fetch(`http://127.0.0.1:${port}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ id: 1, jsonrpc: '2.0', method, params }),
  });
  const body = await response.json();
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}

/** Best and finalized block numbers of the node at `port`. */
export async function heads(port) {
  const best = await rpc(port, 'chain_getHeader');
  const finalizedHash = await rpc(port, 'chain_getFinalizedHead');
  const finalized = await rpc(port, 'chain_getHeader', [finalizedHash]);
  return { best: parseInt(best.number, 16), finalized: parseInt(finalized.number, 16) };
}

/**
 * Starts `custodia-node --dev` on free ports, with `extraArgs` (e.g. worker roles): with `--tmp`,
 * or on `basePath` so that a later call continues the same chain. Its output goes to a log file;
 * `stop()` sends SIGINT and resolves with the exit code.
 */
export async function startDevNode({ extraArgs = [], basePath = null, rpcPort: fixedRpcPort = null } = {}) {
  const [rpcPort, p2pPort, prometheusPort] = [fixedRpcPort ?? await freePort(), await freePort(), await freePort()];
  const dir = scratchDir('custodia-dev-');
  const logPath = join(dir, 'node.log');
  const log = createWriteStream(logPath);
  const child = spawn(NODE_BIN, [
    '--dev', ...(basePath ? ['--base-path', basePath] : ['--tmp']),
    '--rpc-port', String(rpcPort),
    '--listen-addr', `/ip4/127.0.0.1/tcp/${p2pPort}`,
    '--prometheus-port', String(prometheusPort),
    '--no-mdns',
    ...extraArgs,
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  const exited = new Promise((resolveExit) => child.once('exit', (code, signal) => resolveExit({ code, signal })));

  await waitFor('the dev node to answer JSON-RPC', async () => {
    if (child.exitCode !== null) throw new Error(`node exited early; log: ${logPath}`);
    return (await rpc(rpcPort, 'system_health')) !== undefined;
  }, 120_000);

  return {
    rpcPort, prometheusPort, logPath, child,
    url: `ws://127.0.0.1:${rpcPort}`,
    log: () => readFileSync(logPath, 'utf8'),
    async stop(timeoutMs = 30_000) {
      if (child.exitCode !== null) return exited;
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
}

/** A connected @polkadot/api client. */
export async function connect(url) {
  return ApiPromise.create({ provider: new WsProvider(url), noInitWarn: true, throwOnConnect: true });
}

/** Lines of a node log that report a panic. */
export const panicsIn = (log) => log.split('\n').filter((line) => /panicked|Thread .* panicked/.test(line));

/**
 * Tears down a test's client, dev node and IPFS daemon (each may be missing if `before` failed)
 * and checks that the node stopped cleanly: exit code 0, no panic in its log.
 */
export async function stopAndCheck({ api, node, ipfs }) {
  await api?.disconnect();
  const exit = await node?.stop();
  await ipfs?.stop();
  if (!node) return;
  if (panicsIn(node.log()).length > 0) throw new Error(`the node panicked; log: ${node.logPath}`);
  if (exit.code !== 0) throw new Error(`the node exited with ${exit.code} (signal ${exit.signal}); log: ${node.logPath}`);
}
