// The README's main job on a dev chain, then its consent app and statistics portal in a real
// browser. `scripts/run.sh` (without --once) starts a real IPFS daemon, a dev node whose worker
// is steward, evaluator and aggregator, and Bob's node (the second aggregator), tells the whole
// story with the `custodia` client (every step checked by scripts/story.sh; this test reads its
// JSON step log: every step ok, in order, at its block, with its facts as numbers), serves the app
// and prints its URL beside the Apps link, and keeps running. Then, in Debian's chromium driven by
// playwright-core, the story's person uses the app while the story's institution uses the client:
// - the story's published statistics (pallet Statistics: a mean and a histogram of heart rate,
//   Prio3 with differential privacy) are on the portal with ε, the noise, the cohort size, the
//   aggregators, a bar chart and tables (no login; values are noisy, so none is asserted);
// - the person signs in with a polkadot.js JSON account exported by `custodia keys export`;
// - a request made with the client appears in the inbox without a reload; granted from the page
//   (narrower than asked) it lands on chain;
// - a vault opened in the page is fetched and decrypted by `custodia vault fetch`, byte for byte
//   the person's record;
// - deny and revoke from the page land on chain; the audit timeline shows request → grant →
//   vault opened → closed → unpinned → removal attested;
// - a refused action (granting to an institution suspended meanwhile) shows the pallet error's
//   documentation from the metadata;
// - an extension account (an injected stand-in implementing the polkadot.js extension's
//   interface) signs joining and leaving a statistics cohort;
// - axe-core finds no violation on any page state at desktop and phone width; screenshots are
//   kept in ui/test-artifacts.
// Finally SIGTERM stops everything (exit 143) and the node never panicked.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { connect, panicsIn, REPO_ROOT, waitFor } from './lib/node.mjs';
import { submit } from './lib/tx.mjs';
import { scratchDir } from './lib/scratch.mjs';
import { checkStory, plain, readStepLog, runEnvironment, storyFailure } from './lib/story.mjs';
import { accessibilityViolations, injectExtension, launchBrowser, screenshot, VIEWPORTS } from './lib/browser.mjs';

const CLI = join(process.env.CARGO_TARGET_DIR ?? join(process.env.HOME, '.cache/custodia/target'), 'debug/custodia');
const PEOPLE = Number(process.env.CUSTODIA_TEST_PEOPLE ?? 52);
const STORY_PASSPHRASE = 'custodia demo passphrase';
const EXPORT_PASSWORD = 'a password only this test knows';
// A ceiling, not a pace: a block every 6 s, but beside three other end-to-end files (each with its
// nodes and workers) and chromium on two cores, a transaction or a steward's round can take minutes.
const CHAIN_TIMEOUT = 180_000;

describe(`the main job on a dev chain (${PEOPLE}-person cohort), then its consent app and portal in chromium`, () => {
  const state = scratchDir('custodia-app-');
  const { ports, env, log } = runEnvironment({ state, people: PEOPLE, lane: 1 });
  const appUrl = `http://127.0.0.1:${ports.ui}`;
  const wsUrl = `ws://127.0.0.1:${ports.rpc}`;
  let job;
  let jobExit;
  let output = '';
  let browser;
  let api;
  let sudo;
  const accounts = {};
  const files = {};

  /** The custodia client as the story's identities; resolves with { code, stdout, stderr }. */
  function cli(args) {
    return new Promise((resolve) => {
      execFile(CLI, ['--url', wsUrl, ...args], {
        env: {
          ...process.env, CUSTODIA_KEYS_DIR: join(state, 'keys'), CUSTODIA_PASSPHRASE: STORY_PASSPHRASE,
          CUSTODIA_IPFS_API: `http://127.0.0.1:${ports.ipfs}`,
        },
      }, (error, stdout, stderr) => resolve({ code: error ? error.code : 0, stdout, stderr }));
    });
  }
  async function cliJson(args) {
    const r = await cli([...args, '--json']);
    assert.equal(r.code, 0, `custodia ${args.join(' ')}: ${r.stderr}`);
    return JSON.parse(r.stdout);
  }

  /** A page of the app at `viewport`, failing the test on any uncaught page error. */
  async function openPage(path, { viewport = VIEWPORTS.desktop, extension = null } = {}) {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (error) => errors.push(error.message));
    if (extension) await injectExtension(page, api, extension.pairs, extension.onSign);
    await page.goto(`${appUrl}${path}`);
    page.pageErrors = errors;
    return page;
  }

  /** axe-core finds nothing on `page`; a screenshot named `name` is kept either way. */
  async function checkAccessibleAndKeep(page, name) {
    await screenshot(page, name);
    const violations = await accessibilityViolations(page);
    assert.deepEqual(violations, [], `axe-core on ${name}: ${JSON.stringify(violations, null, 2)}`);
  }

  async function signInWithJsonFile(page) {
    await page.getByRole('radio', { name: /^JSON account file/ }).check();
    await page.getByLabel('JSON account file', { exact: true }).setInputFiles(files.meJson);
    await page.getByLabel('Password of the file', { exact: true }).fill(EXPORT_PASSWORD);
    await page.getByRole('button', { name: 'Use account file' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor({ timeout: 30_000 });
  }

  /** Waits for the page's status region to report a finalized transaction. */
  async function waitFinalized(page) {
    await waitFor('the page to report the transaction finalized', async () => {
      const alert = (await page.locator('#alert').textContent())?.trim();
      if (alert) throw new Error(`the page shows an error: ${alert}`);
      return /finalized/i.test(await page.locator('#status').textContent());
    }, CHAIN_TIMEOUT, 500);
  }

  const requestOnChain = async (id) => (await api.query.consent.requests(id)).unwrap().toJSON();
  const grantOnChain = async (id) => (await api.query.consent.grants(id)).unwrap().toJSON();
  const vaultOnChain = async (id) => (await api.query.vaults.vaults(id)).unwrap().toJSON();

  before(async () => {
    await cryptoWaitReady();
    job = spawn(join(REPO_ROOT, 'scripts/run.sh'), [], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    job.stdout.on('data', (d) => { output += d; });
    job.stderr.on('data', (d) => { output += d; });
    jobExit = new Promise((resolve) => job.once('exit', (code, signal) => resolve({ code, signal })));
    // The banner comes once the story is told: the app's URLs beside the Apps link.
    const served = waitFor('scripts/run.sh to tell the story and print the consent app\'s URL',
      () => plain(output).includes('Press Ctrl-C to stop.') || job.exitCode !== null, 35 * 60_000, 1000);
    await served;
    if (job.exitCode !== null) {
      const failure = storyFailure(readStepLog(log)) ?? 'no step failed';
      throw new Error(`run.sh exited ${job.exitCode} before serving the app (${failure}):\n${plain(output).slice(-6000)}`);
    }
    api = await connect(wsUrl);
    for (const identity of await cliJson(['keys', 'list'])) accounts[identity.name] = identity.account;
    sudo = new Keyring({ type: 'sr25519' }).addFromUri('//Alice');
    files.password = join(state, 'export-password');
    writeFileSync(files.password, `${EXPORT_PASSWORD}\n`, { mode: 0o600 });
    files.meJson = join(state, 'me-polkadotjs.json');
    await cliJson(['keys', 'export', 'me', '--out', files.meJson, '--password-file', files.password]);
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await api?.disconnect();
    if (job && job.exitCode === null) {
      job.kill('SIGTERM');
      const { code } = await jobExit;
      assert.equal(code, 143, 'run.sh stops on SIGTERM with 143');
    }
    assert.deepEqual(panicsIn(readFileSync(join(state, 'dev-node.log'), 'utf8')), [], 'no panic in the node log');
  });

  test('run.sh told every step of the story (its step log), then printed the consent app and portal URLs beside the Apps link', () => {
    checkStory(readStepLog(log), { people: PEOPLE, net: false });
    const text = plain(output);
    assert.ok(text.includes(`The story's step log (JSON Lines, one object per step): ${log}\n`), 'run.sh prints where the step log is');
    assert.match(text, new RegExp(`Consent app: +${appUrl}/\\n`));
    assert.match(text, new RegExp(`Statistics portal: +${appUrl}/portal.html\\n`));
    assert.match(text, /polkadot\.js Apps: +https:\/\/polkadot\.js\.org\/apps\//);
  });

  test('the portal shows the story\'s published mean and histogram with ε, noise, cohort size, chart and tables, without a login', async () => {
    // What the chain holds (pallet Statistics); the portal must say it. Values are noisy: only
    // their presence is checked, never a number.
    const stats = [];
    for (const [key, value] of await api.query.statistics.publishedStatistics.entries()) {
      const id = key.args[0].toNumber();
      const job = (await api.query.statistics.jobs(id)).unwrap();
      const schema = (await api.query.statistics.schemas(job.schema)).unwrap().schema;
      const fields = job.kind.isCount ? [] : job.kind.value.map((i) => schema.fields[i.toNumber()]);
      const published = value.unwrap();
      stats.push({
        id, kind: job.kind.type, category: job.category.type, fields, reports: published.reports.toNumber(), aggregators: published.aggregators.toNumber(),
        epsilon: (published.epsilon.toNumber() / 1000).toLocaleString('en', { maximumFractionDigits: 3 }),
        publishedAt: published.publishedAt.toNumber(),
      });
    }
    const mean = stats.find((s) => s.kind === 'Mean');
    const histogram = stats.find((s) => s.kind === 'Histogram');
    assert.ok(mean && histogram, `the story published a mean and a histogram: ${JSON.stringify(stats.map((s) => s.kind))}`);
    const logged = Object.fromEntries(readStepLog(log).map((e) => [e.step, e.facts]));
    assert.deepEqual([mean.id, histogram.id], [logged['mean-published'].job, logged['histogram-published'].job], 'the statistics the story logged');
    const fieldName = (f) => f.name.toUtf8().replace(/_/g, ' ');
    assert.match(fieldName(mean.fields[0]), /heart|pulse/i, 'the mean is of heart rate');
    assert.match(fieldName(histogram.fields[0]), /heart|pulse/i, 'the histogram is of heart rate');
    for (const s of [mean, histogram]) assert.equal(s.reports, PEOPLE, `statistic ${s.id} summed every person's report`);
    const CATEGORY_LABELS = { WearableReadings: 'Wearable readings', VitalSigns: 'Vital signs' }; // ui/src/lib/codes.ts
    const escape = (t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

    for (const [name, viewport] of Object.entries(VIEWPORTS)) {
      const page = await openPage('/portal.html', { viewport });
      for (const s of [mean, histogram]) {
        const card = page.locator(`article[data-job="${s.id}"]`);
        // The first render loads polkadot.js, the metadata, the jobs and their blocks' times:
        // seconds alone, over a minute beside the other files' nets (seen once in a full run).
        await card.waitFor({ timeout: 180_000 });
        const text = await card.textContent();
        const what = `statistic ${s.id} (${s.kind}) at ${name}`;
        assert.match(text, /PUBHLTH — public health/, `${what}: the purpose, HL7 code and meaning`);
        assert.match(text, /Public Health Agency/, `${what}: the requesting institution`);
        if (CATEGORY_LABELS[s.category]) assert.match(text, new RegExp(`Data${CATEGORY_LABELS[s.category]}`), `${what}: the schema's category`);
        assert.match(text, new RegExp(`${s.kind === 'Mean' ? 'Mean \\(average\\)' : 'Histogram'} of ${escape(fieldName(s.fields[0]))}`), `${what}: the kind with its field`);
        assert.match(text, new RegExp(`Cohort size${s.reports.toLocaleString('en')} people`), `${what}: the cohort size`);
        assert.match(text, new RegExp(`ε = ${escape(s.epsilon)}, differential privacy: each value carries noise of standard deviation ±[\\d,.]+`), `${what}: ε and the noise`);
        assert.match(text, new RegExp(`private while any one of ${s.aggregators} aggregators is honest`), `${what}: the aggregators`);
        assert.match(text, new RegExp(`\\(block ${s.publishedAt.toLocaleString('en')}\\)`), `${what}: the block`);
        assert.doesNotMatch(text, /no differential-privacy noise|exact value/i, `${what}: no claim of exact values`);
      }
      // The mean: the noisy sum over the exact number of reports, and a table of the values.
      assert.match(await page.locator(`article[data-job="${mean.id}"]`).textContent(),
        new RegExp(`Mean ${escape(fieldName(mean.fields[0]))}: (.+ \\(noisy sum .+ ÷ ${PEOPLE} reports, an exact number\\)|undefined)`), 'the mean: the noisy sum over the exact number of reports');
      assert.equal(await page.getByRole('table', { name: `Values of statistic ${mean.id}`, exact: true }).count(), 1, 'the mean\'s table');
      // The histogram: a bar chart per field (a canvas with an accessible name) and a table of its buckets.
      const field = histogram.fields[0];
      const boundaries = field.buckets.unwrap().map((b) => b.toNumber());
      const chart = page.locator(`article[data-job="${histogram.id}"] canvas[role="img"]`);
      await chart.first().waitFor({ timeout: 30_000 });
      assert.match(await chart.first().getAttribute('aria-label'), new RegExp(`^Bar chart: people per bucket of ${escape(fieldName(field))}`));
      const table = page.locator(`article[data-job="${histogram.id}"]`).getByRole('table', { name: new RegExp(`^Histogram of ${escape(fieldName(field))}.*, statistic ${histogram.id}$`) });
      assert.equal(await table.count(), 1, 'the histogram\'s table');
      const buckets = await table.locator('tbody th[scope="row"]').allTextContents();
      assert.equal(buckets.length, boundaries.length + 1, 'one row per bucket (boundaries + 1)');
      assert.ok(buckets[0].startsWith(`[0, ${boundaries[0].toLocaleString('en')})`), `the first bucket: ${buckets[0]}`);
      assert.ok(buckets.at(-1).startsWith(`[${boundaries.at(-1).toLocaleString('en')}, ${field.max.toNumber().toLocaleString('en')}]`), `the last bucket: ${buckets.at(-1)}`);
      await page.getByRole('heading', { name: 'Not published', level: 2 }).waitFor();
      await checkAccessibleAndKeep(page, `portal-${name}`);
      assert.deepEqual(page.pageErrors, []);
      await page.context().close();
    }
  });

  test('the person signs in with the exported JSON account; a request made with the client appears without a reload and is granted narrower from the page', async () => {
    const page = await openPage('/');
    await signInWithJsonFile(page);
    assert.match(await page.locator('main').textContent(), new RegExp(accounts.me.slice(0, 6)));
    await checkAccessibleAndKeep(page, 'app-signed-in-desktop');

    const asked = await cliJson(['consent', 'request', '--as', 'clinic', '--subject', accounts.me,
      '--scope', 'wearable-readings,vital-signs', '--purpose', 'TREAT', '--blocks', '600']);
    const card = page.getByRole('article', { name: `Request ${asked.request} from General Hospital` });
    await card.waitFor({ timeout: CHAIN_TIMEOUT });
    await checkAccessibleAndKeep(page, 'app-inbox-desktop');
    await card.getByRole('checkbox', { name: /^Vital signs/ }).uncheck();
    await card.getByRole('button', { name: 'Grant' }).click();
    await waitFinalized(page);

    const request = await requestOnChain(asked.request);
    assert.ok(request.status.granted, `request ${asked.request} granted: ${JSON.stringify(request.status)}`);
    const grant = await grantOnChain(request.status.granted.grant);
    assert.deepEqual(grant.scope, ['WearableReadings'], 'granted narrower than asked');
    assert.equal(grant.subject, accounts.me);
    files.grant = request.status.granted.grant;
    files.request = asked.request;
    assert.deepEqual(page.pageErrors, []);
    await page.context().close();
  });

  test('a vault opened in the page is fetched and decrypted by the client, byte for byte the person\'s record', async () => {
    const records = await cliJson(['record', 'list', '--as', 'me']);
    const record = records.find((r) => !r.retired) ?? records[0];
    const page = await openPage('/');
    await signInWithJsonFile(page);
    const grantCard = page.getByRole('article', { name: `Grant ${files.grant} to General Hospital` });
    await grantCard.waitFor({ timeout: CHAIN_TIMEOUT });
    await grantCard.getByLabel('Record to share', { exact: true }).selectOption({ value: String(record.id) });
    await grantCard.getByRole('radio', { name: /^For a number of blocks/ }).check();
    await grantCard.getByLabel('Number of blocks', { exact: true }).fill('100');
    await grantCard.getByRole('button', { name: 'Open vault' }).click();
    await waitFinalized(page);

    const vaults = (await api.query.vaults.vaultsOfGrant(files.grant)).toJSON();
    assert.equal(vaults.length, 1, `one vault under grant ${files.grant}`);
    files.vault = vaults[0];
    const copy = join(state, `vault-${files.vault}-from-app.json`);
    await cliJson(['vault', 'fetch', '--as', 'clinic', String(files.vault), '--out', copy]);
    assert.ok(readFileSync(copy).equals(readFileSync(join(state, 'my-record.json'))), 'the vault holds the person\'s record, byte for byte');
    files.vaultCopy = copy;
    await checkAccessibleAndKeep(page, 'app-vault-open-desktop');
    await page.context().close();
  });

  test('deny and revoke from the page land on chain; the audit timeline shows every step of the grant', async () => {
    const page = await openPage('/', { viewport: VIEWPORTS.phone });
    await signInWithJsonFile(page);

    const asked = await cliJson(['consent', 'request', '--as', 'clinic', '--subject', accounts.me,
      '--scope', 'laboratory-results', '--purpose', 'HRESCH', '--blocks', '600']);
    const card = page.getByRole('article', { name: `Request ${asked.request} from General Hospital` });
    await card.waitFor({ timeout: CHAIN_TIMEOUT });
    await checkAccessibleAndKeep(page, 'app-inbox-phone');
    await card.getByRole('button', { name: 'Deny' }).click();
    await waitFinalized(page);
    assert.ok((await requestOnChain(asked.request)).status.denied, 'denied on chain');

    await page.getByRole('article', { name: `Grant ${files.grant} to General Hospital` }).getByRole('button', { name: 'Revoke' }).click();
    await waitFinalized(page);
    assert.ok((await grantOnChain(files.grant)).status.revoked, 'revoked on chain');
    // Revocation closes the vault; its steward unpins it and confirms; the institution attests.
    await waitFor('the vault to close and its unpin to be confirmed', async () => {
      const vault = await vaultOnChain(files.vault);
      return vault.state.open === undefined && (await cliJson(['vault', 'show', String(files.vault)])).unpinned;
    }, CHAIN_TIMEOUT, 2000);
    await cliJson(['vault', 'attest', '--as', 'clinic', String(files.vault), '--delete', files.vaultCopy]);

    const chooser = page.getByLabel('Show the history of', { exact: true });
    const label = await waitFor(`the audit chooser to offer grant ${files.grant}`, async () =>
      (await chooser.locator('option').allTextContents()).find((o) => o.startsWith(`Grant ${files.grant} to`)), CHAIN_TIMEOUT, 1000);
    await chooser.selectOption({ label });
    const history = page.getByRole('list', { name: `History of grant ${files.grant}` });
    const expected = ['requested', 'granted', 'opened', 'closed', 'unpinned', 'attested'];
    const steps = await waitFor('the audit timeline to show every step of the grant', async () => {
      const found = await history.locator('[data-step]').evaluateAll((items) => items.map((i) => i.dataset.step));
      return expected.every((s) => found.includes(s)) && found;
    }, CHAIN_TIMEOUT, 1000);
    const order = expected.map((s) => steps.indexOf(s));
    assert.deepEqual(order, [...order].sort((a, b) => a - b), `in order: ${steps}`);
    for (const item of await history.locator('[data-step]').allTextContents()) {
      assert.match(item, /block \d+/i, `each step names its block: ${item}`);
    }
    await checkAccessibleAndKeep(page, 'app-audit-phone');
    assert.deepEqual(page.pageErrors, []);
    await page.context().close();
  });

  test('a refused action shows the pallet error\'s documentation: granting to an institution suspended meanwhile', async () => {
    const page = await openPage('/');
    await signInWithJsonFile(page);
    const asked = await cliJson(['consent', 'request', '--as', 'clinic', '--subject', accounts.me,
      '--scope', 'wearable-readings', '--purpose', 'TREAT', '--blocks', '600']);
    const card = page.getByRole('article', { name: `Request ${asked.request} from General Hospital` });
    await card.waitFor({ timeout: CHAIN_TIMEOUT });
    await submit(api, api.tx.sudo.sudo(api.tx.consortium.suspendMember(accounts.clinic)), sudo);
    try {
      await card.getByRole('button', { name: 'Grant' }).click();
      const alert = page.getByRole('alert');
      await waitFor('the page to show the refusal', async () => /InstitutionNotActive/.test(await alert.textContent()), CHAIN_TIMEOUT, 500);
      const text = await alert.textContent();
      assert.match(text, /Consent\.InstitutionNotActive/);
      assert.match(text, /Deny the request instead/, 'the error\'s documentation from the metadata');
      await checkAccessibleAndKeep(page, 'app-refused-desktop');
      assert.ok('pending' in (await requestOnChain(asked.request)).status, 'nothing changed on chain');
    } finally {
      await submit(api, api.tx.sudo.sudo(api.tx.consortium.reinstateMember(accounts.clinic)), sudo);
    }
    await page.context().close();
  });

  test('an extension account signs joining and leaving a statistics cohort (the extension signs, not the page)', async () => {
    const keyring = new Keyring({ type: 'sr25519' });
    const me = keyring.addFromJson(JSON.parse(readFileSync(files.meJson, 'utf8')));
    me.decodePkcs8(EXPORT_PASSWORD);
    const signed = [];
    const page = await openPage('/', { extension: { pairs: [me], onSign: (payload) => signed.push(payload.address) } });
    await page.getByRole('radio', { name: /^Browser extension/ }).check();
    await page.getByRole('button', { name: 'Connect extension' }).click();
    await page.getByLabel('Extension account', { exact: true }).selectOption({ value: me.address });
    await page.getByRole('button', { name: 'Use this account' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor({ timeout: 30_000 });

    const join = page.getByRole('form', { name: 'Join a statistics cohort' });
    const purposes = await join.getByLabel('Purpose', { exact: true }).locator('option').allTextContents();
    await join.getByLabel('Purpose', { exact: true }).selectOption({ label: purposes.find((p) => p.startsWith('PUBHLTH')) });
    await join.getByRole('button', { name: 'Join cohort' }).click();
    await waitFinalized(page);
    assert.deepEqual(signed, [me.address], 'the extension signed the join');
    const cohortGrant = async () => (await api.query.consent.grantsBySubject(me.address)).toJSON();
    const live = await Promise.all((await cohortGrant()).map(grantOnChain));
    const joined = live.find((g) => 'anyMember' in g.grantee && g.purpose === 'PUBHLTH' && 'active' in g.status);
    assert.ok(joined, `a consortium-wide PUBHLTH grant on chain: ${JSON.stringify(live)}`);
    await checkAccessibleAndKeep(page, 'app-extension-desktop');

    const cohortCards = page.getByRole('article').filter({ has: page.getByRole('button', { name: 'Leave cohort' }) });
    await cohortCards.first().getByRole('button', { name: 'Leave cohort' }).click();
    await waitFinalized(page);
    assert.equal(signed.length, 2, 'the extension signed the leave');
    assert.deepEqual(page.pageErrors, []);
    await page.context().close();
  });
});
