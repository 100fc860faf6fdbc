// A real browser for the end-to-end tests: Debian's chromium (apt `chromium`, installed by
// scripts/setup.sh) driven by playwright-core, an accessibility check with axe-core, screenshots
// kept as test artifacts, and a stand-in for the polkadot.js extension.
//
// playwright-core and @axe-core/playwright come from ui/node_modules (the web app's dev
// dependencies), so one install serves the app's build and these tests.

import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { REPO_ROOT } from './node.mjs';

const requireFromUi = createRequire(join(REPO_ROOT, 'ui', 'package.json'));
const { chromium } = requireFromUi('playwright-core');
const { default: AxeBuilder } = requireFromUi('@axe-core/playwright');

/** Where screenshots go (kept by CI as artifacts; ignored by git). */
export const ARTIFACTS = process.env.CUSTODIA_TEST_ARTIFACTS ?? join(REPO_ROOT, 'ui', 'test-artifacts');

/** Desktop and phone viewports the pages are checked at. */
export const VIEWPORTS = { desktop: { width: 1280, height: 900 }, phone: { width: 390, height: 844 } };

/**
 * Starts headless Debian chromium. As root the sandbox must be off; the background-networking
 * flags keep it from calling out of this closed network at start.
 */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CUSTODIA_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
}

/** Runs axe-core (WCAG 2.0/2.1 A and AA rules) on the page; resolves with its violations. */
export async function accessibilityViolations(page) {
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return result.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5),
  }));
}

/** A full-page PNG in ARTIFACTS/NAME.png; resolves with its path. */
export async function screenshot(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/**
 * Makes `page` see a polkadot.js extension holding `pairs` (keyring pairs of this process),
 * the way @polkadot/extension-dapp discovers one: `window.injectedWeb3['polkadot-js']` with
 * `enable()` → { accounts, signer }. The page hands payloads to `signPayload`, which signs them
 * here with the pair, as the extension does in its own process; `api` supplies the registry.
 * `onSign` sees every payload (to assert that the extension, not the page, signed).
 */
export async function injectExtension(page, api, pairs, onSign = () => {}) {
  const byAddress = new Map(pairs.map((pair) => [pair.address, pair]));
  await page.exposeFunction('__custodiaTestExtensionSign', (payload) => {
    const pair = byAddress.get(payload.address);
    if (!pair) throw new Error(`the test extension holds no account ${payload.address}`);
    onSign(payload);
    api.registry.setSignedExtensions(payload.signedExtensions);
    const extrinsicPayload = api.registry.createType('ExtrinsicPayload', payload, { version: payload.version });
    return extrinsicPayload.sign(pair).signature;
  });
  const accounts = pairs.map((pair) => ({ address: pair.address, name: pair.meta.name ?? 'test account', type: 'sr25519' }));
  await page.addInitScript((accounts) => {
    let id = 0;
    const injected = {
      accounts: {
        get: async () => accounts,
        subscribe: (cb) => { cb(accounts); return () => {}; },
      },
      signer: {
        signPayload: async (payload) => ({ id: ++id, signature: await window.__custodiaTestExtensionSign(payload) }),
      },
    };
    window.injectedWeb3 = { 'polkadot-js': { version: '0.63.1', enable: async () => injected } };
  }, accounts);
}
