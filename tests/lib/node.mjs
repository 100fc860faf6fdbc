// Helpers shared by the end-to-end tests: real custodia-node processes on free loopback ports.

import { spawn, execFile } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { createWriteStream, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
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

// Linux hands out 32768–60999 as the local port of every outgoing connection (and of `listen(0)`),
// so a port in that range that a test chose before binding it can be taken in the meantime by one
// of the many client sockets the nodes and tests open. Every port a test binds is therefore below
// it: the fixed bases of the files that run a whole net (p2p, JSON-RPC, Prometheus, + index:
// local-net 31333/19944/19615, validators 21333/21944/21615, faults 22333/22944/22615, upgrade
// 23333/23944/23615, statistics 32333/29944/29615; the run.sh of story and consent-app on bases
// of 10000–18999, tests/lib/story.mjs) and the free ports drawn here, from a range none of them
// touches.
const FREE_PORT_RANGE = [24_000, 29_000];

/** Whether nothing listens on `port` of the loopback right now. */
function portIsFree(port) {
  return new Promise((resolveFree) => {
    const server = createServer();
    server.once('error', () => resolveFree(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolveFree(true)));
  });
}

// A port handed out is claimed until this process exits, across the test files that run at once
// (each its own process): never handed out twice, even before its node binds it (a node's three
// ports are drawn together) or while a daemon that owns it is stopped for a while. A claim is a
// file named for the port, created exclusively, holding the claiming process's id; a claim whose
// process is gone (killed before its exit handler ran) is stale and taken over.
const CLAIMS = join(tmpdir(), 'custodia-test-ports');
const claimed = [];

/** Whether process `pid` is running. */
function isRunning(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

/** Claims `port` for this process; false if a running process holds it. */
function claim(port) {
  const path = join(CLAIMS, String(port));
  for (let tries = 0; tries < 2; tries++) {
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx' });
      if (claimed.length === 0) {
        process.on('exit', () => { for (const own of claimed) try { unlinkSync(own); } catch { /* gone */ } });
      }
      claimed.push(path);
      return true;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      let holder = NaN;
      try { holder = Number(readFileSync(path, 'utf8')); } catch { /* released meanwhile */ }
      if (holder === process.pid || isRunning(holder)) return false;
      try { unlinkSync(path); } catch { /* another process took it over first */ }
    }
  }
  return false;
}

/** A TCP port nobody listens on or has claimed, outside the ephemeral range (see above). */
export async function freePort() {
  const [low, high] = FREE_PORT_RANGE;
  mkdirSync(CLAIMS, { recursive: true });
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = low + randomInt(high - low);
    if (await portIsFree(port) && claim(port)) return port;
  }
  throw new Error(`no free port in ${low}–${high} after 100 draws`);
}

/** An error [`waitFor`] does not retry: what it waits for can no longer happen. */
export class Unrecoverable extends Error {}

/** The last `lines` lines of the file at `path` (a log), or why it cannot be read. */
export function logTail(path, lines = 40) {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch (error) {
    return `(${error.message})`;
  }
}

/**
 * Throws [`Unrecoverable`] once the process `child` has ended, with its exit and the end of its
 * log at `logPath`: a process that failed to start says why in the test's own output.
 */
export function assertRunning(child, what, logPath) {
  if (child.exitCode === null && child.signalCode === null) return;
  throw new Unrecoverable(`${what} exited (code ${child.exitCode}, signal ${child.signalCode}); the end of ${logPath}:\n${logTail(logPath)}`);
}

/**
 * Polls `check` until it returns a truthy value; fails with `what` after `timeoutMs`, or at once
 * when `check` throws [`Unrecoverable`].
 */
export async function waitFor(what, check, timeoutMs = 90_000, intervalMs = 500) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      if (error instanceof Unrecoverable) throw error;
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
    assertRunning(child, 'the dev node', logPath);
    return (await rpc(rpcPort, 'system_health')) !== undefined;
  }, 120_000);

  return {
    rpcPort, prometheusPort, logPath, child,
    url: `ws://127.0.0.1:${rpcPort}`,
    log: () => readFileSync(logPath, 'utf8'),
    async stop(timeoutMs = 90_000) {
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
