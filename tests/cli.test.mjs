// The `custodia` client against a real dev node (with an evaluator) and a real IPFS daemon:
// identities sealed at rest; consent asked, listed, granted, revoked; refused calls with the
// pallet's error and exit code 1; wrong passphrase → 4; node unreachable → 3; a model registered
// from its template file; an encrypted prediction whose decrypted score equals the plaintext
// fixed-point score. And (no node needed) identities shared with polkadot.js and the consent app
// (docs/identities.md): create → export → @polkadot/keyring decodes it; a @polkadot/keyring JSON
// imports; the envelope key computed in JS equals the client's, for soft junctions too. Secrets
// and health values off the command line (a prompt, stdin, a file); ws:// to another host refused
// without --insecure; a vault copy added unpinned (the steward's pin is the only one).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Keyring } from '@polkadot/keyring';
import { stringToU8a, u8aToHex } from '@polkadot/util';
import {
  base64Decode, blake2AsU8a, cryptoWaitReady, jsonDecryptData, keyExtractPath, keyFromPath, mnemonicGenerate,
  mnemonicToMiniSecret, sr25519PairFromSeed,
} from '@polkadot/util-crypto';
import { x25519 } from '@noble/curves/ed25519';
import { connect, startDevNode, stopAndCheck, waitFor } from './lib/node.mjs';
import { startIpfs } from './lib/ipfs.mjs';
import { submit } from './lib/tx.mjs';
import { BIAS, FEATURES, plaintextScore, quantise, SCORE_DIVISOR, WEIGHTS } from './lib/heart-model.mjs';
import { scratchDir } from './lib/scratch.mjs';

const UNIT = 10n ** 12n;
const CLI = join(process.env.CARGO_TARGET_DIR ?? join(process.env.HOME, '.cache/custodia/target'), 'debug/custodia');
const PASSPHRASE = 'correct horse battery staple';


describe('custodia CLI (dev node + evaluator + IPFS)', () => {
  let ipfs;
  let node;
  let api;
  const keysDir = join(scratchDir('custodia-cli-'), 'keys');
  const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
  const alice = keyring.addFromUri('//Alice');
  const evaluator = keyring.addFromUri('//Dave');
  const accounts = {};

  /** Runs the CLI (`input` to its stdin); resolves with { code, stdout, stderr } (never rejects on a non-zero exit). */
  function cli(args, { passphrase = PASSPHRASE, url = node.url, input } = {}) {
    return new Promise((resolve) => {
      const child = execFile(CLI, ['--url', url, '--keys-dir', keysDir, ...args], {
        env: { ...process.env, CUSTODIA_PASSPHRASE: passphrase },
      }, (error, stdout, stderr) => resolve({ code: error ? error.code : 0, stdout, stderr }));
      child.stdin.on('error', () => {});
      child.stdin.end(input ?? '');
    });
  }
  async function cliJson(args, options) {
    const r = await cli([...args, '--json'], options);
    assert.equal(r.code, 0, `custodia ${args.join(' ')}: ${r.stderr}`);
    return JSON.parse(r.stdout);
  }

  before(async () => {
    ipfs = await startIpfs();
    node = await startDevNode({ extraArgs: ['--evaluator', '--ipfs-api', ipfs.url, '--worker-dev-key', '//Dave'] });
    api = await connect(node.url);
    for (const name of ['clinic', 'me']) accounts[name] = (await cliJson(['keys', 'create', name])).account;
    for (const name of ['clinic', 'me']) await submit(api, api.tx.balances.transferKeepAlive(accounts[name], 1_000n * UNIT), alice);
    await submit(api, api.tx.sudo.sudo(api.tx.consortium.admitMember(accounts.clinic, ['Institution'], 'CLI Clinic', new Uint8Array(32).fill(3), null)), alice);
    await submit(api, api.tx.sudo.sudo(api.tx.consortium.admitMember(evaluator.address, ['Evaluator'], 'Evaluator Dave', new Uint8Array(32).fill(4), null)), alice);
  });

  after(() => stopAndCheck({ api, node, ipfs }));

  test('identities are sealed at rest: listed without secrets, opened only with the passphrase', async () => {
    const list = await cliJson(['keys', 'list']);
    assert.deepEqual(list.map((i) => i.name), ['clinic', 'me']);
    assert.ok(list.every((i) => /^5[1-9A-HJ-NP-Za-km-z]{47}$/.test(i.account) && /^[0-9a-f]{64}$/.test(i.x25519_public)));
    for (const file of readdirSync(keysDir)) {
      const stored = JSON.parse(readFileSync(join(keysDir, file), 'utf8'));
      assert.equal(stored.kdf.algorithm, 'argon2id');
      assert.equal(stored.cipher, 'xchacha20poly1305');
      assert.ok(!('secrets' in stored) && !JSON.stringify(stored).includes('"x25519_secret"'), 'no secret in the clear');
    }
    const wrong = await cli(['consent', 'requests', '--as', 'me'], { passphrase: 'not it' });
    assert.equal(wrong.code, 4);
    assert.match(wrong.stderr, /wrong passphrase/);
    const duplicate = await cli(['keys', 'create', 'me']);
    assert.equal(duplicate.code, 2);
    assert.match(duplicate.stderr, /may exist already/);
  });

  test('consent: the institution asks, the person lists, grants and revokes; refusals name the pallet error', async () => {
    const asked = await cliJson(['consent', 'request', '--as', 'clinic', '--subject', accounts.me,
      '--scope', 'laboratory-results,vital-signs', '--purpose', 'TREAT', '--blocks', '500']);
    const pending = await cliJson(['consent', 'requests', '--as', 'me']);
    assert.ok(pending.some((r) => JSON.stringify(r).includes(`"id":${asked.request}`) || r.id === asked.request), JSON.stringify(pending));

    const granted = await cliJson(['consent', 'grant', '--as', 'me', String(asked.request), '--blocks', '200']);
    assert.ok(granted.block >= asked.block);
    const grants = await cliJson(['consent', 'grants', '--as', 'clinic', '--institution']);
    assert.ok(grants.some((g) => JSON.stringify(g).includes(`"id":${granted.grant}`) || g.id === granted.grant), JSON.stringify(grants));

    await cliJson(['consent', 'revoke', '--as', 'me', String(granted.grant)]);
    const again = await cli(['consent', 'revoke', '--as', 'me', String(granted.grant)]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /Consent\.GrantNotActive/);
    const unknown = await cli(['consent', 'deny', '--as', 'me', '999999']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /Consent\.UnknownRequest/);
    const badInput = await cli(['consent', 'request', '--as', 'clinic', '--subject', 'not-an-address', '--scope', 'allergies', '--purpose', 'TREAT', '--blocks', '5']);
    assert.equal(badInput.code, 2);
  });

  test('an unreachable node is exit code 3', async () => {
    const r = await cli(['consent', 'requests', '--as', 'me'], { url: 'ws://127.0.0.1:1' });
    assert.equal(r.code, 3);
    assert.match(r.stderr, /cannot reach the node/);
  });

  test('ws:// to another host is refused (exit 2) unless --insecure; loopback ws:// is allowed', async () => {
    const port = new URL(node.url).port;
    for (const url of [`ws://192.0.2.1:${port}`, `ws://0.0.0.0:${port}`, `ws://127.0.0.1@192.0.2.1:${port}`]) {
      const started = Date.now();
      const refused = await cli(['status'], { url });
      assert.equal(refused.code, 2, `${url}: ${refused.stderr}`);
      assert.match(refused.stderr, /unencrypted connection to another machine.*wss:\/\/.*--insecure/s);
      assert.ok(Date.now() - started < 10_000, 'refused before any connection is tried');
    }
    // 0.0.0.0 reaches this machine's node on Linux: with --insecure the same URL works.
    const allowed = await cliJson(['status', '--insecure'], { url: `ws://0.0.0.0:${port}` });
    assert.ok(allowed.finalized >= 0, JSON.stringify(allowed));
    const loopback = await cliJson(['status'], { url: `ws://localhost:${port}` });
    assert.ok(loopback.finalized >= 0);
  });

  test('predict: features encrypted under the identity key → evaluator → decrypted diagnosis', async (t) => {
    // The clinic registers the model through the client, from a template file as
    // `custodia-fhe accuracy --print-model` writes it.
    const templateFile = join(keysDir, '..', 'model.json');
    writeFileSync(templateFile, JSON.stringify({
      features: FEATURES.map(({ name, unit, offset, scale }) => ({ name, unit, offset, scale })),
      weights: WEIGHTS, bias: BIAS, score_unit: 1 / SCORE_DIVISOR,
      outcome: 'log-odds of heart disease × 2^20; > 0 means high risk', provenance: 'test model',
    }));
    const { model } = await cliJson(['model-register', '--as', 'clinic', '--model-name', 'heart-risk-cli-test', templateFile]);
    const badTemplate = join(keysDir, '..', 'bad-model.json');
    writeFileSync(badTemplate, JSON.stringify({ features: [], weights: [], bias: 0, score_unit: 1, outcome: '', provenance: '' }));
    const refused = await cli(['model-register', '--as', 'clinic', '--model-name', 'empty', badTemplate]);
    assert.equal(refused.code, 2, refused.stderr);

    const expected = Number(plaintextScore(quantise({ age: 63, resting_bp: 145, cholesterol: 233 })));
    const started = Date.now();
    // The features off the command line: from stdin (`--features-file -`; a file reads the same).
    const diagnosis = await cliJson(['predict', '--as', 'me', '--model', String(model), '--features-file', '-', '--ipfs-api', ipfs.url], { input: '63\n145, 233\n' });
    t.diagnostic(`job ${diagnosis.job}: requested in block ${diagnosis.requested_in}, final in ${diagnosis.final_in}, ${Date.now() - started} ms end to end`);
    assert.equal(diagnosis.score, expected, 'decrypted score = plaintext fixed-point score');
    assert.equal(diagnosis.class, expected > 0 ? 'positive' : 'negative');
    assert.ok(Math.abs(diagnosis.probability - 1 / (1 + Math.exp(-expected / SCORE_DIVISOR))) < 1e-9);
    assert.equal(diagnosis.model.provenance, 'test model');

    const wrongCount = await cli(['predict', '--as', 'me', '--model', String(model), '--features', '63', '--ipfs-api', ipfs.url]);
    assert.equal(wrongCount.code, 2);
    assert.match(wrongCount.stderr, /takes 3 features/);
  });

  test('records and vaults: sealed to the owner, re-sealed to the grantee; bad input and early attestations lose nothing', async () => {
    // A data steward must pin records (its worker is not needed to register them).
    const steward = keyring.addFromUri('//Eve');
    const { block } = await submit(api, api.tx.sudo.sudo(api.tx.consortium.admitMember(steward.address, ['DataSteward'], 'Steward Eve', new Uint8Array(32).fill(5), 'ipfs-peer-eve')), alice);
    // The client reads finalized state.
    await waitFor('the admission to be final', async () => (await api.rpc.chain.getHeader(await api.rpc.chain.getFinalizedHead())).number.toNumber() >= block);
    const dir = join(keysDir, '..');
    const bundle = { resourceType: 'Bundle', type: 'collection', entry: [{ resource: { resourceType: 'Observation', status: 'final', valueQuantity: { value: 72, unit: '/min' } } }] };
    const bundleFile = join(dir, 'visit.json');
    writeFileSync(bundleFile, JSON.stringify(bundle));
    const notBundle = join(dir, 'patient.json');
    writeFileSync(notBundle, JSON.stringify({ resourceType: 'Patient' }));
    const ipfsArgs = ['--ipfs-api', ipfs.url];

    const bad = await cli(['record', 'add', '--as', 'me', '--fhir', notBundle, '--category', 'vital-signs', ...ipfsArgs]);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /not a FHIR Bundle/);
    const addRecord = (...extra) => cli(['record', 'add', '--as', 'me', '--fhir', bundleFile, '--category', 'vital-signs', ...extra, ...ipfsArgs]);
    const negative = await addRecord('--value', 'heart_rate=-1');
    assert.equal(negative.code, 2, negative.stderr);
    assert.match(negative.stderr, /-1 is not a whole number ≥ 0/);
    const repeated = await addRecord('--value', 'heart_rate=72,heart_rate=73');
    assert.equal(repeated.code, 2, repeated.stderr);
    assert.match(repeated.stderr, /--value heart_rate is given twice/);
    // Values off the command line: a file (or stdin), checked the same way.
    const valuesFile = join(dir, 'visit.values');
    writeFileSync(valuesFile, 'heart_rate=73\n', { mode: 0o600 });
    const alsoInFile = await addRecord('--value', 'heart_rate=72', '--values-file', valuesFile);
    assert.equal(alsoInFile.code, 2, alsoInFile.stderr);
    assert.match(alsoInFile.stderr, /--value heart_rate is given twice/);
    const badStdin = await cli(['record', 'add', '--as', 'me', '--fhir', bundleFile, '--category', 'vital-signs', '--values-file', '-', ...ipfsArgs], { input: 'heart_rate=71.5\n' });
    assert.equal(badStdin.code, 2, badStdin.stderr);
    assert.match(badStdin.stderr, /stdin: .*71\.5 is not a whole number/);
    const pinned = await ipfs.pins();
    const notSteward = await addRecord('--steward', accounts.clinic);
    assert.equal(notSteward.code, 1, notSteward.stderr);
    assert.match(notSteward.stderr, /Vaults\.NotActiveSteward/);
    assert.deepEqual(await ipfs.pins(), pinned, 'the object of a refused record is unpinned');
    // custodia-ipfs's typed errors become exit codes: a daemon nobody runs is 3, like the node.
    const noIpfs = await cli(['record', 'add', '--as', 'me', '--fhir', bundleFile, '--category', 'vital-signs', '--ipfs-api', 'http://127.0.0.1:1']);
    assert.equal(noIpfs.code, 3, noIpfs.stderr);
    assert.match(noIpfs.stderr, /IPFS daemon unreachable during `add`/);
    assert.deepEqual(await cliJson(['record', 'list', '--as', 'me']), [], 'a refused record leaves nothing on chain');

    const added = await cliJson(['record', 'add', '--as', 'me', '--fhir', bundleFile, '--category', 'vital-signs', ...ipfsArgs]);
    assert.equal(added.envelope, 'HPKE base, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305');
    assert.deepEqual(added.reports, []);
    assert.match(added.report_note, /no statistic schema is registered for vital-signs/);
    const stored = await ipfs.cat(added.cid);
    assert.ok(!stored.includes(Buffer.from('Observation')), 'the body is sealed in IPFS');
    const listed = await cliJson(['record', 'list', '--as', 'me']);
    assert.deepEqual(listed.map((r) => r.id), [added.record]);
    const mine = await cliJson(['record', 'show', '--as', 'me', String(added.record), ...ipfsArgs]);
    assert.deepEqual(mine.bundle, bundle, 'the owner opens the body');
    const stranger = await cli(['record', 'show', '--as', 'clinic', String(added.record), ...ipfsArgs]);
    assert.equal(stranger.code, 4);
    assert.match(stranger.stderr, /does not open with `clinic`'s key/);

    const asked = await cliJson(['consent', 'request', '--as', 'clinic', '--subject', accounts.me, '--scope', 'vital-signs', '--purpose', 'TREAT', '--blocks', '500']);
    const { grant } = await cliJson(['consent', 'grant', '--as', 'me', String(asked.request)]);
    const opened = await cliJson(['vault', 'open', '--as', 'me', '--grant', String(grant), '--record', String(added.record), '--blocks', '200', ...ipfsArgs]);
    // The copy is in the daemon but not pinned by the client: the steward's pin is the only one,
    // and it goes when the vault ends. The person's own record stays pinned.
    const pinsAfterOpen = await ipfs.pins();
    assert.ok(!pinsAfterOpen.has(opened.cid), `the vault copy ${opened.cid} is not pinned by the client`);
    assert.ok(pinsAfterOpen.has(added.cid), 'the record stays pinned');
    const shown = await cliJson(['vault', 'show', String(opened.vault)]);
    assert.equal(shown.open, true);
    assert.equal(shown.state, 'Open');
    const theirs = (await cliJson(['vault', 'list', '--as', 'clinic', '--institution'])).map((v) => v.id);
    assert.deepEqual(theirs, [opened.vault]);

    const notGrantee = await cli(['vault', 'fetch', '--as', 'me', String(opened.vault), ...ipfsArgs]);
    assert.equal(notGrantee.code, 4, 'the copy is sealed to the grantee only');
    const copy = join(dir, 'copy.json');
    const fetched = await cliJson(['vault', 'fetch', '--as', 'clinic', String(opened.vault), '--out', copy, ...ipfsArgs]);
    assert.equal(fetched.written_to, copy);
    assert.deepEqual(JSON.parse(readFileSync(copy, 'utf8')), bundle, 'the institution reads the record');
    assert.equal(statSync(copy).mode & 0o777, 0o600, 'health data is written readable by its owner only');
    const early = await cli(['vault', 'attest', '--as', 'clinic', String(opened.vault), '--delete', copy]);
    assert.equal(early.code, 1);
    assert.match(early.stderr, /still open/);
    assert.ok(readFileSync(copy, 'utf8').length > 0, 'a refused attestation deletes nothing');

    await cliJson(['vault', 'close', '--as', 'clinic', String(opened.vault)]);
    const wrongSigner = await cli(['vault', 'attest', '--as', 'me', String(opened.vault), '--delete', copy]);
    assert.equal(wrongSigner.code, 1);
    assert.match(wrongSigner.stderr, /only its grantee attests removal/);
    assert.ok(readFileSync(copy, 'utf8').length > 0, 'a refused attestation deletes nothing');
    const closed = await cli(['vault', 'fetch', '--as', 'clinic', String(opened.vault), ...ipfsArgs]);
    assert.equal(closed.code, 1);
    assert.match(closed.stderr, /is not open/);
    const attested = await cliJson(['vault', 'attest', '--as', 'clinic', String(opened.vault), '--delete', copy]);
    assert.ok(attested.block > opened.block);
    assert.throws(() => readFileSync(copy), 'the copy is deleted');
    const twice = await cli(['vault', 'attest', '--as', 'clinic', String(opened.vault)]);
    assert.equal(twice.code, 1);
    assert.match(twice.stderr, /already attested/);
    const taken = await cli(['vault', 'fetch', '--as', 'clinic', String(opened.vault), '--out', bundleFile, ...ipfsArgs]);
    assert.notEqual(taken.code, 0, 'a closed vault is not read, and no file is written over');
    assert.deepEqual(JSON.parse(readFileSync(bundleFile, 'utf8')), bundle);

    const retired = await cliJson(['record', 'retire', '--as', 'me', String(added.record)]);
    assert.equal(retired.vaults_closed, 0, 'its vault was already closed');
    assert.deepEqual(await cliJson(['record', 'list', '--as', 'me']), []);
    const steward_view = await cli(['steward', 'pins', steward.address, '--json', ...ipfsArgs]);
    const view = JSON.parse(steward_view.stdout);
    assert.equal(steward_view.code, 1, 'Eve runs no worker: what she must unpin is still pinned here (the add pinned it)');
    assert.ok(view.left_to_unpin.some((p) => p.target === `record ${added.record}`), steward_view.stdout);
  });

  test('shell completions', async () => {
    const r = await cli(['completions', 'bash']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /custodia/);
  });
});

describe('custodia keys: identities shared with polkadot.js and the consent app (no node)', () => {
  const dir = scratchDir('custodia-identities-');
  const keysDir = join(dir, 'keys');
  const EXPORT_PASSWORD = 'export pass 🔑';
  const passwordFile = join(dir, 'password');
  writeFileSync(passwordFile, `${EXPORT_PASSWORD}\n`, { mode: 0o600 });

  /** Runs the CLI offline; `input` goes to its stdin. Resolves with { code, stdout, stderr }. */
  function cli(args, { input } = {}) {
    return new Promise((resolve) => {
      const child = execFile(CLI, ['--keys-dir', keysDir, ...args], {
        env: { ...process.env, CUSTODIA_PASSPHRASE: PASSPHRASE },
      }, (error, stdout, stderr) => resolve({ code: error ? error.code : 0, stdout, stderr }));
      // A command that reads no stdin may exit before this is written: that is not a failure.
      child.stdin.on('error', () => {});
      child.stdin.end(input ?? '');
    });
  }
  async function cliJson(args, options) {
    const r = await cli([...args, '--json'], options);
    assert.equal(r.code, 0, `custodia ${args.join(' ')}: ${r.stderr}`);
    return JSON.parse(r.stdout);
  }
  /** docs/identities.md: X25519(BLAKE2b-256(key = context, secret64), 9), hex. */
  const envelopePublic = (secret64) =>
    u8aToHex(x25519.getPublicKey(blake2AsU8a(secret64, 256, stringToU8a('custodia/envelope-x25519/v1'))), -1, false);
  const secret64Of = (json, password) => jsonDecryptData(base64Decode(json.encoded), password, json.encoding.type).subarray(16, 80);
  const listed = async (name) => (await cliJson(['keys', 'list'])).find((i) => i.name === name);

  test('identities shared with polkadot.js: create → export → @polkadot/keyring, and back', async () => {
    await cryptoWaitReady();
    const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });

    // The known-answer vector of docs/identities.md, through the client.
    const alice = await cliJson(['keys', 'import', 'kat-alice', '--suri', '//Alice']);
    assert.equal(alice.x25519_public, '63762c83e87b6ad1cf31c9c09f685c71095120725a9935656ca03b7e8c549948');

    // create: a 12-word phrase, shown once, that polkadot.js turns into the same account.
    const created = await cli(['keys', 'create', 'shared', '--json']);
    assert.equal(created.code, 0, created.stderr);
    const me = JSON.parse(created.stdout);
    assert.match(created.stderr, /Write this recovery phrase down/);
    assert.equal(me.recovery_phrase.split(' ').length, 12);
    assert.equal(keyring.addFromUri(me.recovery_phrase).address, me.account);
    const phraseSecret = keyFromPath(sr25519PairFromSeed(mnemonicToMiniSecret(me.recovery_phrase)), [], 'sr25519').secretKey;
    assert.equal((await listed('shared')).x25519_public, envelopePublic(phraseSecret));
    assert.ok(!readFileSync(join(keysDir, 'shared.json'), 'utf8').includes(me.recovery_phrase.split(' ').slice(0, 3).join(' ')));

    // export: a polkadot.js JSON account, 0600, never over a file.
    const out = join(dir, 'shared-export.json');
    const exported = await cliJson(['keys', 'export', 'shared', '--out', out, '--password-file', passwordFile]);
    assert.equal(exported.account, me.account);
    assert.equal(statSync(out).mode & 0o777, 0o600);
    const again = await cli(['keys', 'export', 'shared', '--out', out, '--password-file', passwordFile]);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /exists: not overwritten/);
    const json = JSON.parse(readFileSync(out, 'utf8'));
    assert.deepEqual(json.encoding, { content: ['pkcs8', 'sr25519'], type: ['scrypt', 'xsalsa20-poly1305'], version: '3' });
    assert.equal(json.meta.name, 'shared');
    assert.equal(json.meta.genesisHash, '');
    assert.equal(typeof json.meta.whenCreated, 'number');
    assert.deepEqual([...base64Decode(json.encoded).subarray(32, 44)], [0, 0x80, 0, 0, 1, 0, 0, 0, 8, 0, 0, 0], 'scrypt N=2^15 p=1 r=8');
    const pair = keyring.addFromJson(json);
    pair.decodePkcs8(EXPORT_PASSWORD);
    assert.equal(pair.address, me.account);
    assert.ok(pair.verify(stringToU8a('hello'), pair.sign(stringToU8a('hello')), pair.publicKey), 'the decoded pair signs');
    assert.throws(() => keyring.addFromJson(json).decodePkcs8('wrong'));
    // The envelope key the consent app computes from the file is the client's.
    const secret64 = secret64Of(json, EXPORT_PASSWORD);
    assert.equal(u8aToHex(secret64), u8aToHex(phraseSecret));
    assert.equal(envelopePublic(secret64), (await listed('shared')).x25519_public);

    // The client imports its own export, and the phrase (stdin), to the same identity.
    const reimported = await cliJson(['keys', 'import', 'shared-again', '--json-file', out, '--password-file', passwordFile]);
    assert.equal(reimported.account, me.account);
    assert.equal(reimported.x25519_public, (await listed('shared')).x25519_public);
    const fromPhrase = await cliJson(['keys', 'import', 'shared-phrase', '--phrase'], { input: `  ${me.recovery_phrase.replace(/ /g, '   ')}\n` });
    assert.equal(fromPhrase.account, me.account);
    assert.equal(fromPhrase.x25519_public, reimported.x25519_public);

    // A JSON account made by @polkadot/keyring (its default scrypt N=2^17) imports.
    const theirs = keyring.addFromUri(`${mnemonicGenerate(12)}//custodia`, { name: 'from-js' });
    const theirsJson = theirs.toJson('their password');
    const theirsFile = join(dir, 'theirs.json');
    writeFileSync(theirsFile, JSON.stringify(theirsJson));
    const theirPasswordFile = join(dir, 'their-password');
    writeFileSync(theirPasswordFile, 'their password');
    const imported = await cliJson(['keys', 'import', 'from-js', '--json-file', theirsFile, '--password-file', theirPasswordFile]);
    assert.equal(imported.account, theirs.address);
    assert.equal(imported.x25519_public, envelopePublic(secret64Of(theirsJson, 'their password')));
    // …and exports back to a file polkadot.js opens as the same account.
    const back = join(dir, 'theirs-back.json');
    await cliJson(['keys', 'export', 'from-js', '--out', back, '--password-file', passwordFile]);
    const backPair = keyring.addFromJson(JSON.parse(readFileSync(back, 'utf8')));
    backPair.decodePkcs8(EXPORT_PASSWORD);
    assert.equal(backPair.address, theirs.address);

    // Refusals: a wrong password (exit 4), a phrase on the command line, an unreadable file.
    const wrong = await cli(['keys', 'import', 'wrong', '--json-file', theirsFile, '--password-file', passwordFile]);
    assert.equal(wrong.code, 4);
    assert.match(wrong.stderr, /wrong password for the JSON account/);
    const onCommandLine = await cli(['keys', 'import', 'visible', '--suri', me.recovery_phrase]);
    assert.equal(onCommandLine.code, 2);
    assert.match(onCommandLine.stderr, /--suri - \(stdin\) or --suri-file/);
    assert.ok(!onCommandLine.stderr.includes(me.recovery_phrase), 'the refusal does not echo the phrase');
    const garbage = join(dir, 'garbage.json');
    writeFileSync(garbage, '{"encoded": "AAAA", "encoding": {"content": ["pkcs8", "sr25519"], "type": ["scrypt", "xsalsa20-poly1305"], "version": "3"}, "address": "x"}');
    const bad = await cli(['keys', 'import', 'garbage', '--json-file', garbage, '--password-file', passwordFile]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /too short/);
    const two = await cli(['keys', 'import', 'two', '--suri', '//Bob', '--json-file', garbage]);
    assert.equal(two.code, 2);
    for (const name of ['wrong', 'visible', 'garbage', 'two']) assert.ok(!existsSync(join(keysDir, `${name}.json`)));
  });

  test('secret URIs off the command line (a file, stdin; a prompt needs a terminal); soft junctions reopen with the same envelope key', async () => {
    await cryptoWaitReady();
    const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
    const DEV_PHRASE = 'bottom drive obey lake curtain smoke basket hold race lonely fit walk';
    /** docs/identities.md: the 64 bytes of a URI; when its last junction is soft, the nonce half is BLAKE2b of the scalar half. */
    const secret64OfUri = (phrase, derivePath) => {
      const { path } = keyExtractPath(derivePath);
      const secret = keyFromPath(sr25519PairFromSeed(mnemonicToMiniSecret(phrase)), path, 'sr25519').secretKey;
      if (path.length && !path[path.length - 1].isHard) {
        secret.set(blake2AsU8a(secret.subarray(0, 32), 256, stringToU8a('custodia/sr25519-soft-nonce/v1')), 32);
      }
      return secret;
    };
    let exports = 0;
    const reopens = async (name) => {
      const r = await cli(['keys', 'export', name, '--out', join(dir, `${name}-export-${exports++}.json`), '--password-file', passwordFile, '--json']);
      assert.equal(r.code, 0, `${name} reopens: ${r.stderr}`);
      return JSON.parse(r.stdout);
    };

    // A file's first line, soft junctions on the development phrase.
    const suriFile = join(dir, 'soft.suri');
    writeFileSync(suriFile, '//Custodia/x/y\n', { mode: 0o600 });
    const soft = await cliJson(['keys', 'import', 'soft', '--suri-file', suriFile]);
    assert.equal(soft.account, keyring.addFromUri('//Custodia/x/y').address);
    assert.equal(soft.x25519_public, envelopePublic(secret64OfUri(DEV_PHRASE, '//Custodia/x/y')));
    for (let i = 0; i < 2; i++) assert.equal((await reopens('soft')).x25519_public, soft.x25519_public);
    // The same URI again: the same envelope key (it was random before the soft-nonce rule).
    assert.equal((await cliJson(['keys', 'import', 'soft-again', '--suri-file', suriFile])).x25519_public, soft.x25519_public);

    // Stdin (`--suri -`): a fresh phrase with a hard then a soft junction.
    const phrase = mnemonicGenerate(12);
    const fromStdin = await cliJson(['keys', 'import', 'stdin', '--suri', '-'], { input: `${phrase}//custodia/0\n` });
    assert.equal(fromStdin.account, keyring.addFromUri(`${phrase}//custodia/0`).address);
    assert.equal(fromStdin.x25519_public, envelopePublic(secret64OfUri(phrase, '//custodia/0')));
    assert.equal((await reopens('stdin')).account, fromStdin.account);
    // A last hard junction keeps its 64 bytes (and so identities made before the rule keep their keys).
    const hard = await cliJson(['keys', 'import', 'hard', '--suri', '-'], { input: `${phrase}//custodia/0//1\n` });
    const hardSecret = keyFromPath(sr25519PairFromSeed(mnemonicToMiniSecret(phrase)), keyExtractPath('//custodia/0//1').path, 'sr25519').secretKey;
    assert.equal(hard.x25519_public, envelopePublic(hardSecret));

    // No source and no terminal to prompt on: refused, nothing stored.
    const noTerminal = await cli(['keys', 'import', 'nothing']);
    assert.equal(noTerminal.code, 2);
    assert.match(noTerminal.stderr, /no terminal to prompt.*--suri -.*--suri-file/);
    assert.ok(!existsSync(join(keysDir, 'nothing.json')));

    // The key file's passphrase from a file: it wins over $CUSTODIA_PASSPHRASE.
    const passphraseFile = join(dir, 'passphrase');
    writeFileSync(passphraseFile, 'a passphrase in a file\n', { mode: 0o600 });
    await cliJson(['keys', 'import', 'filed', '--suri', '//Ferdie', '--passphrase-file', passphraseFile]);
    const withEnv = await cli(['keys', 'export', 'filed', '--out', join(dir, 'filed.json'), '--password-file', passwordFile]);
    assert.equal(withEnv.code, 4, 'sealed under the file\'s passphrase, not the environment\'s');
    const withFile = await cli(['keys', 'export', 'filed', '--out', join(dir, 'filed.json'), '--password-file', passwordFile, '--passphrase-file', passphraseFile]);
    assert.equal(withFile.code, 0, withFile.stderr);
  });
});
