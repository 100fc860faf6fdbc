// The Debian package, as a validator's IT team would install it: scripts/package-deb.sh builds
// custodia-node_*.deb; `dpkg -i` installs it (its postinst makes the `custodia` system user and
// /var/lib/custodia); `systemd-analyze verify` accepts its unit; the node, started with the
// unit's own command line and environment file under the unit's user (these machines run no
// systemd as PID 1, so the test does what systemd would), answers JSON-RPC, keeps its chain in
// the state directory, and stops cleanly on SIGTERM. `dpkg --purge` removes it again.
//
// It installs system-wide, so it needs root (or password-less sudo) and refuses to run where a
// custodia-node package is already installed.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, REPO_ROOT, rpc, run, waitFor } from './lib/node.mjs';
import { scratchDir } from './lib/scratch.mjs';

const UNIT = '/lib/systemd/system/custodia-node.service';
const CONF = '/etc/custodia/custodia.conf';
const STATE = '/var/lib/custodia';
const asRoot = process.getuid() === 0 ? [] : ['sudo', '-n'];
/** Runs a command as root. */
const root = (cmd, args, options = {}) => (asRoot.length ? run(asRoot[0], [...asRoot.slice(1), cmd, ...args], options) : run(cmd, args, options));

/** The unit's `[Service]` settings; a trailing backslash continues a line (systemd.syntax(7)). */
export function serviceSettings(unitText) {
  const settings = {};
  let section = null;
  for (const line of unitText.replace(/\\\n/g, ' ').split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const header = trimmed.match(/^\[(.+)\]$/);
    if (header) { section = header[1]; continue; }
    if (section !== 'Service') continue;
    const eq = trimmed.indexOf('=');
    settings[trimmed.slice(0, eq)] = trimmed.slice(eq + 1).trim();
  }
  return settings;
}

/** NAME=value lines of an environment file (no shell expansion, as systemd reads it). */
export function environmentFile(text) {
  const env = {};
  for (const line of text.split('\n')) {
    const m = line.match(/^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/);
    if (m) env[m[1]] = m[2].trim().replace(/^"(.*)"$/, '$1');
  }
  return env;
}

/** systemd's expansion of a command line: `${VAR}` is one word, `$VAR` splits on whitespace. */
export function expandCommandLine(line, env) {
  return line.split(/\s+/).filter(Boolean).flatMap((word) => {
    const whole = word.match(/^\$([A-Za-z_][A-Za-z0-9_]*)$/);
    if (whole) return (env[whole[1]] ?? '').split(/\s+/).filter(Boolean);
    return [word.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name) => env[name] ?? '')];
  });
}

describe('the Debian package custodia-node', () => {
  const out = scratchDir('custodia-deb-');
  let deb;
  let userExisted;
  let stateExisted;

  before(async () => {
    const installed = await run('dpkg-query', ['-W', '-f=${Status}', 'custodia-node']).then((r) => r.stdout, () => '');
    assert.ok(!installed.includes('installed'), 'custodia-node is already installed on this machine: the test would replace it; remove it first');
    userExisted = await run('getent', ['passwd', 'custodia']).then(() => true, () => false);
    stateExisted = existsSync(STATE);
    const built = await run('bash', [join(REPO_ROOT, 'scripts/package-deb.sh'), out], { maxBuffer: 16 << 20 });
    deb = built.stdout.trim().split('\n').pop();
  });

  after(async () => {
    await root('dpkg', ['--purge', 'custodia-node']).catch(() => {});
    // The postrm keeps the state directory on purge (validator keys); the test made it, so it
    // removes it, and the user it created.
    if (!stateExisted) await root('rm', ['-rf', STATE]).catch(() => {});
    if (!userExisted) await root('deluser', ['--system', 'custodia']).catch(() => {});
  });

  test('holds the node, the client, the unit and its configuration file, and declares its dependencies', async () => {
    const { stdout: files } = await run('dpkg-deb', ['-c', deb]);
    for (const path of ['./usr/bin/custodia-node', './usr/bin/custodia', `.${UNIT}`, `.${CONF}`, './usr/share/doc/custodia-node/operations.md']) {
      assert.match(files, new RegExp(` ${path.replace(/[.]/g, '\\.')}\\n`), `${path} is in the package`);
    }
    const { stdout: info } = await run('dpkg-deb', ['-f', deb, 'Package', 'Depends', 'Conffiles']);
    assert.match(info, /^Package: custodia-node$/m);
    assert.match(info, /^Depends: .*libc6.*adduser/m, 'the shared libraries\' packages and adduser (postinst)');
    await run('dpkg-deb', ['-e', deb, join(out, 'control')]);
    assert.equal(readFileSync(join(out, 'control', 'conffiles'), 'utf8').trim(), CONF, 'the configuration file is a conffile: an upgrade keeps the operator\'s edits');
  });

  test('installs with dpkg: the custodia user owns the state directory, the configuration is not world-readable', async () => {
    await root('dpkg', ['-i', deb]);
    const { stdout: user } = await run('getent', ['passwd', 'custodia']);
    const [, , uid, gid, , home, shell] = user.trim().split(':');
    assert.equal(home, STATE);
    assert.match(shell, /nologin|false/, 'a system user without a login shell');
    const state = statSync(STATE);
    assert.equal(state.uid, Number(uid));
    assert.equal(state.gid, Number(gid));
    assert.equal(state.mode & 0o777, 0o700, 'chain database and keys readable by the custodia user only');
    assert.equal(statSync(CONF).mode & 0o007, 0, 'no access for others to the configuration');
    const { stdout: version } = await run('/usr/bin/custodia-node', ['--version']);
    assert.match(version, /custodia-node/);
  });

  test('systemd-analyze verify accepts the unit', async () => {
    // verify exits non-zero on errors in the unit (unknown settings, a missing executable).
    const verified = await run('systemd-analyze', ['verify', UNIT]).then((r) => ({ code: 0, ...r }), (e) => e);
    const complaints = `${verified.stdout}${verified.stderr}`.split('\n').filter((l) => l.includes('custodia-node.service'));
    assert.equal(verified.code, 0, `systemd-analyze verify failed:\n${verified.stdout}${verified.stderr}`);
    assert.deepEqual(complaints, [], 'no warning about the unit');
  });

  test('the node started with the unit\'s command line and configuration answers JSON-RPC and stops cleanly on SIGTERM', { timeout: 240_000 }, async () => {
    const unit = serviceSettings(readFileSync(UNIT, 'utf8'));
    assert.equal(unit.User, 'custodia');
    assert.equal(unit.EnvironmentFile, CONF);
    assert.equal(unit.KillSignal, 'SIGTERM');
    // The operator's edit: the built-in development chain on free loopback ports, no roles.
    const [rpcPort, p2pPort, promPort] = [await freePort(), await freePort(), await freePort()];
    const shipped = readFileSync(CONF, 'utf8');
    const edited = shipped
      .replace(/^CUSTODIA_CHAIN=.*$/m, 'CUSTODIA_CHAIN=dev')
      .replace(/^CUSTODIA_LISTEN_ADDR=.*$/m, `CUSTODIA_LISTEN_ADDR=/ip4/127.0.0.1/tcp/${p2pPort}`)
      .replace(/^CUSTODIA_RPC_PORT=.*$/m, `CUSTODIA_RPC_PORT=${rpcPort}`)
      .replace(/^CUSTODIA_PROMETHEUS_PORT=.*$/m, `CUSTODIA_PROMETHEUS_PORT=${promPort}`)
      .replace(/^CUSTODIA_EXTRA_ARGS=.*$/m, 'CUSTODIA_EXTRA_ARGS=--no-mdns --no-telemetry');
    assert.notEqual(edited, shipped);
    const staged = join(out, 'custodia.conf');
    writeFileSync(staged, edited);
    await root('install', ['-m', '0640', '-o', 'root', '-g', 'custodia', staged, CONF]);

    const env = environmentFile(readFileSync(CONF, 'utf8'));
    const argv = expandCommandLine(unit.ExecStart, env);
    assert.equal(argv[0], '/usr/bin/custodia-node');
    assert.deepEqual(argv.slice(argv.indexOf('--chain'), argv.indexOf('--chain') + 2), ['--chain', 'dev']);
    // What systemd does for User=/Group=: drop to the unit's user, with its groups.
    const node = spawn('setpriv', ['--reuid=custodia', '--regid=custodia', '--init-groups', '--reset-env', ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    node.stdout.on('data', (d) => { log += d; });
    node.stderr.on('data', (d) => { log += d; });
    const exited = new Promise((resolve) => node.once('exit', (code, signal) => resolve({ code, signal })));
    try {
      await waitFor('the packaged node to answer JSON-RPC', async () => (await rpc(rpcPort, 'system_health')) !== undefined, 120_000, 1000);
      assert.equal(await rpc(rpcPort, 'system_chain'), 'Custodia Development');
      const [chainDir] = readdirSync(join(STATE, 'chains'));
      const database = join(STATE, 'chains', chainDir, 'paritydb');
      assert.ok(existsSync(database), `the chain database is in the state directory (${database})`);
      assert.equal(statSync(database).uid, statSync(STATE).uid, 'written by the custodia user');
    } finally {
      node.kill('SIGTERM');
    }
    const { code, signal } = await Promise.race([exited, new Promise((r) => setTimeout(() => r({ code: 'still running 60 s after SIGTERM' }), 60_000))]);
    assert.equal(signal, null, `exited by itself, not killed:\n${log.slice(-3000)}`);
    assert.equal(code, 0, `clean exit on SIGTERM:\n${log.slice(-3000)}`);
    assert.doesNotMatch(log, /panicked/);
  });
});
