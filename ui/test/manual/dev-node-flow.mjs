// Manual smoke test, step 2 of 2 (NOT YET RUN, see dev-node-setup.mjs). Uses /usr/bin/chromium via playwright-core.
// Run from ui/: BOB_SECRET=0x… W=390 node test/manual/dev-node-flow.mjs   (screenshots in /tmp/uitest).
// Drives the consent app as Alice on a dev node prepared by setup.mjs; axe on every state.
import { chromium } from 'playwright-core';
import AxeBuilder from '@axe-core/playwright';
import { ApiPromise, WsProvider } from '@polkadot/api';
import { CipherSuite } from '@hpke/core';
import { Chacha20Poly1305 } from '@hpke/chacha20poly1305';
import { DhkemX25519HkdfSha256, HkdfSha256 } from '@hpke/dhkem-x25519';
import { hexToU8a, u8aConcat, stringToU8a, u8aToString } from '@polkadot/util';

const UI = process.env.UI ?? 'http://127.0.0.1:18080';
const RPC = process.env.RPC ?? 'ws://127.0.0.1:19944';
const width = Number(process.env.W ?? 390);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
const ctx = await browser.newContext({ viewport: { width, height: 844 } });
const page = await ctx.newPage();
const log = [];
page.on('pageerror', (e) => log.push(`pageerror: ${e.message}`));
page.on('console', (m) => m.type() === 'error' && !/WebSocket|API-WS/.test(m.text()) && log.push(`console: ${m.text()}`));
const axe = async (label) => {
  const r = await new AxeBuilder({ page }).analyze();
  console.log(`axe ${label}: ${r.violations.length} ${r.violations.map((v) => `${v.id}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`).join('; ')}`);
  await page.screenshot({ path: `/tmp/uitest-${label}-${width}.png`, fullPage: true });
};
const waitStatus = async (re, timeout = 60_000) => {
  await page.getByRole('status').filter({ hasText: re }).waitFor({ timeout }).catch(async (e) => {
    console.log('status:', await page.getByRole('status').textContent(), 'alert:', await page.getByRole('alert').textContent().catch(() => ''));
    throw e;
  });
};
await page.goto(`${UI}/?rpc=${encodeURIComponent(RPC)}`);
await page.getByText(/Connected to/).waitFor({ timeout: 30_000 });
await axe('connected');
await page.getByRole('radio', { name: /Development account/ }).check();
await page.getByLabel('Development account', { exact: true }).selectOption('Alice');
await page.getByRole('button', { name: 'Use development account' }).click();
const req = page.getByRole('article', { name: /Request \d+ from City Clinic/ }).last();
await req.waitFor({ timeout: 30_000 });
await axe('request');
await req.getByRole('checkbox', { name: /Medicines/ }).uncheck();
await req.getByRole('button', { name: 'Grant' }).click();
await waitStatus(/granted to City Clinic: grant \d+, finalized/);
console.log('status:', await page.getByRole('status').textContent());
const grant = page.getByRole('article', { name: /Grant \d+ to City Clinic/ }).last();
await grant.waitFor();
await axe('grant');
await grant.getByRole('radio', { name: /For a number of blocks/ }).check();
await grant.getByRole('spinbutton', { name: 'Number of blocks' }).fill('30');
await grant.getByRole('button', { name: 'Open vault' }).click();
await waitStatus(/Vault \d+ opened in block/, 90_000);
console.log('status:', await page.getByRole('status').textContent());
const vaultId = Number((await page.getByRole('status').textContent()).match(/Vault (\d+)/)[1]);
await axe('vault');

// The vault copy opens with Bob's envelope key for (grant, record).
const api = await ApiPromise.create({ provider: new WsProvider(RPC) });
const v = (await api.query.vaults.vaults(vaultId)).unwrap();
const cid = v.cid.toUtf8();
const copy = new Uint8Array(await (await fetch(`${UI}/ipfs/cat?arg=${cid}`)).arrayBuffer());
const suite = new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Chacha20Poly1305() });
const le = (n) => { const b = new Uint8Array(8); new DataView(b.buffer).setBigUint64(0, BigInt(n), true); return b; };
const aad = u8aConcat(copy.subarray(0, 16), le(v.grant.toNumber()), le(v.record.toNumber()));
const sk = await suite.kem.deserializePrivateKey(hexToU8a(process.env.BOB_SECRET).slice().buffer);
const pt = await suite.open({ recipientKey: sk, enc: copy.slice(16, 48).buffer, info: stringToU8a('custodia/vault/v1').buffer }, copy.slice(48).buffer, aad.slice().buffer);
console.log(`vault ${vaultId} (${cid}) opens with Bob's key:`, u8aToString(new Uint8Array(pt)).slice(0, 80));

// Audit trail of the grant.
await grant.getByRole('button', { name: 'Close vault' }).first().click();
await waitStatus(/Closing vault \d+: done/, 60_000);
await page.getByRole('button', { name: 'Show history' }).first().click();
await page.getByRole('list', { name: /History of record/ }).waitFor({ timeout: 60_000 });
await page.waitForTimeout(3000);
console.log('history:', (await page.getByRole('list', { name: /History of/ }).innerText()).replace(/\n/g, ' | '));
await axe('audit');
const cohort = page.getByRole('form', { name: 'Join a statistics cohort' });
await cohort.getByRole('checkbox', { name: /Vital signs/ }).check();
await cohort.getByRole('button', { name: 'Join cohort' }).click();
await waitStatus(/Joining the PUBHLTH cohort: done/);
await page.getByRole('button', { name: 'Leave cohort' }).waitFor();
await axe('cohort');
await page.getByRole('button', { name: 'Retire record' }).first().click();
await waitStatus(/Retiring record \d+: done/);
await axe('retired');
console.log(log.join('\n'));
await api.disconnect();
await browser.close();
