// A real IPFS daemon for the tests: js-ipfs 0.66.1 (tests/ipfs, installed by scripts/setup.sh),
// whose RPC API is Kubo's. Loopback only, offline, on a fixed port so that it can be stopped and
// started again behind the same URL with the same repository.

import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertRunning, freePort, REPO_ROOT, run, waitFor } from './node.mjs';
import { scratchDir } from './scratch.mjs';

export const JSIPFS = join(REPO_ROOT, 'tests/ipfs/node_modules/.bin/jsipfs');

/** Initialises a repository in a fresh folder and starts a daemon on it. */
export async function startIpfs() {
  if (!existsSync(JSIPFS)) throw new Error(`${JSIPFS} is missing: run scripts/setup.sh (it runs npm ci in tests/ipfs)`);
  const dir = scratchDir('custodia-ipfs-');
  const env = { ...process.env, IPFS_PATH: join(dir, 'repo') };
  await run(JSIPFS, ['init', '--profile', 'test', '--emptyRepo'], { env });
  const port = await freePort();
  const configPath = join(dir, 'repo', 'config');
  const config = JSON.parse(readFileSync(configPath, 'utf8'));
  config.Addresses.API = `/ip4/127.0.0.1/tcp/${port}`;
  config.Addresses.Gateway = '';
  config.Addresses.RPC = '';
  config.Bootstrap = [];
  config.Discovery.MDNS.Enabled = false;
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  const daemon = new IpfsDaemon(dir, env, `http://127.0.0.1:${port}`);
  await daemon.start();
  return daemon;
}

class IpfsDaemon {
  constructor(dir, env, url) {
    this.dir = dir;
    this.env = env;
    this.url = url;
    this.logPath = join(dir, 'daemon.log');
    this.child = null;
  }

  async start() {
    const log = createWriteStream(this.logPath, { flags: 'a' });
    this.child = spawn(JSIPFS, ['daemon', '--offline'], { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout.pipe(log);
    this.child.stderr.pipe(log);
    this.exited = new Promise((resolve) => this.child.once('exit', resolve));
    await waitFor('the IPFS daemon to answer', async () => {
      assertRunning(this.child, 'the IPFS daemon', this.logPath);
      return (await this.call('version').catch(() => null))?.Version;
    }, 180_000); // seconds alone, minutes beside the other files' nodes on 2 cores
  }

  async stop() {
    if (!this.child || this.child.exitCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(timer);
  }

  /** POSTs `/api/v0/<command>?<params>` and returns the parsed JSON answer; throws on an error. */
  async call(command, params = {}, body = undefined) {
    const query = new URLSearchParams(params).toString();
    const response = await fetch(`${this.url}/api/v0/${command}${query ? `?${query}` : ''}`, { method: 'POST', body });
    const text = await response.text();
    if (!response.ok) throw new Error(`ipfs ${command}: HTTP ${response.status} ${text}`);
    return text ? JSON.parse(text.trim().split('\n').pop()) : {};
  }

  /** Stores `bytes` WITHOUT pinning them (so that only a steward's pin keeps them) and returns the CID. */
  async addUnpinned(bytes) {
    const form = new FormData();
    form.append('file', new Blob([bytes], { type: 'application/octet-stream' }), 'data');
    return (await this.call('add', { pin: 'false' }, form)).Hash;
  }

  /** The bytes behind `cid` (raw, not JSON). */
  async cat(cid) {
    const response = await fetch(`${this.url}/api/v0/cat?arg=${cid}&timeout=10s`, { method: 'POST' });
    if (!response.ok) throw new Error(`ipfs cat ${cid}: HTTP ${response.status} ${await response.text()}`);
    return Buffer.from(await response.arrayBuffer());
  }

  /** The recursively pinned CIDs. */
  async pins() {
    return new Set(Object.keys((await this.call('pin/ls', { type: 'recursive' })).Keys ?? {}));
  }

  /** Whether the daemon can serve the block (it is offline, so only its own blocks count). */
  async hasBlock(cid) {
    return this.call('block/stat', { arg: cid, timeout: '2s' }).then(() => true, () => false);
  }

  log() {
    return existsSync(this.logPath) ? readFileSync(this.logPath, 'utf8') : '';
  }
}
