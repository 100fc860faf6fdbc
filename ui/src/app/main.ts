/**
 * The consent app's entry: reads the configuration, connects to the node (showing the chain and
 * the connection state, with Retry), keeps the clock, follows the signed-in person's storage
 * (pending requests, grants, cohorts, records) through subscriptions and new blocks, and keeps
 * the audit index current from finalized heads.
 */
import type { ApiPromise } from '@polkadot/api';
import {
  cohortGrantIds,
  grantsById,
  grantsOf,
  members,
  openVaultsOfRecords,
  pendingRequests,
  recordsOf,
} from '../lib/chain';
import { STATISTICS_PURPOSES } from '../lib/codes';
import { Connection, loadConfig, stateText } from '../lib/connection';
import { $, alertError, fill, h } from '../lib/dom';
import { renderAccount, setAccountListener } from './account';
import { reportError, state } from './state';
import { chooseHistory, renderAudit, renderCohorts, renderGrants, renderRecords, renderRequests, resetViews } from './views';

let personUnsub: (() => void) | null = null;
let refreshing: Promise<void> | null = null;
let again = false;
let progressHooked = false;

function renderConnection(c: Connection): void {
  $('connection').textContent = stateText(c) + (state.clock && c.state === 'connected' ? ` · block ${state.clock.block.toLocaleString('en')}` : '');
  const retry = $('retry') as HTMLButtonElement;
  retry.hidden = c.state === 'connected' || c.state === 'connecting';
  if (c.state === 'failed') {
    alertError(stateText(c));
    if (!state.api) fill($('account-body'), h('p', {}, 'Signing in becomes possible once the app reaches the node.'));
  }
  if (c.state === 'connected' && $('alert').textContent?.startsWith('Cannot reach')) alertError('');
}

function renderAll(): void {
  if (!state.account || !state.data) return;
  renderRequests();
  renderGrants();
  renderCohorts();
  renderRecords(chooseHistory);
  renderAudit();
}

function signedOutViews(): void {
  resetViews();
  fill($('requests-body'), h('p', {}, 'Sign in to see requests.'));
  fill($('grants-body'), h('p', {}, 'Sign in to see your grants.'));
  fill($('cohorts-body'), h('p', {}, 'Sign in to see your cohorts.'));
  fill($('records-body'), h('p', {}, 'Sign in to see your records.'));
  fill($('audit-body'), h('p', {}, 'Sign in to see the history of your records and grants.'));
}

/** Reads everything the person's sections show; serialized, coalescing bursts. */
function refresh(): Promise<void> {
  if (refreshing) {
    again = true;
    return refreshing;
  }
  refreshing = (async () => {
    do {
      again = false;
      const api = state.api;
      const me = state.account?.address;
      if (!api || !me) break;
      try {
        const [memberMap, requests, grants, cohortIds, records] = await Promise.all([
          members(api),
          pendingRequests(api, me),
          grantsOf(api, me),
          cohortGrantIds(api, me),
          recordsOf(api, me),
        ]);
        const cohortGrants = await grantsById(api, [...cohortIds.values()]);
        const vaults = await openVaultsOfRecords(api, records.map((r) => r.id));
        if (state.account?.address !== me) break;
        state.members = memberMap;
        const cohorts = new Map<string, (typeof cohortGrants)[number]>();
        for (const [code, id] of cohortIds) {
          const g = cohortGrants.find((x) => x.id === id);
          if (g) cohorts.set(code, g);
        }
        state.data = { requests, grants, cohorts, records, vaults };
        renderAll();
      } catch (error) {
        reportError('Reading your data from the chain', error);
      }
    } while (again);
  })().finally(() => {
    refreshing = null;
  });
  return refreshing;
}

async function followPerson(): Promise<void> {
  personUnsub?.();
  personUnsub = null;
  const api = state.api;
  const me = state.account?.address;
  if (!api || !me) {
    signedOutViews();
    return;
  }
  resetViews();
  fill($('requests-body'), h('p', {}, 'Loading your requests…'));
  const unsub = await api.queryMulti(
    [
      [api.query.consent.pendingRequests, me],
      [api.query.consent.grantsBySubject, me],
      [api.query.vaults.recordsOf, me],
      ...STATISTICS_PURPOSES.map((p) => [api.query.consent.cohortGrants, [p, me]] as [typeof api.query.consent.cohortGrants, unknown[]]),
    ],
    () => void refresh(),
  );
  personUnsub = unsub as unknown as () => void;
}

async function onReady(api: ApiPromise): Promise<void> {
  state.api = api;
  alertError('');
  renderAccount();
  try {
    state.members = await members(api);
  } catch (error) {
    reportError('Reading the consortium members', error);
  }
  await api.queryMulti([api.query.system.number, api.query.timestamp.now], ([number, timestamp]) => {
    state.clock = { block: Number(number!.toString()), timestamp: Number(timestamp!.toString()) };
    if (state.connection) renderConnection(state.connection);
  });
  // Every new block may end a grant or a vault: re-read (the reads are few and small).
  await api.rpc.chain.subscribeNewHeads(() => void refresh());
  if (!progressHooked) {
    progressHooked = true;
    state.index.onProgress(() => state.account && renderAudit());
  }
  await state.index.start(api);
  await followPerson();
}

async function connect(): Promise<void> {
  const connection = state.connection!;
  try {
    await connection.connect();
  } catch {
    // Shown by renderConnection (state "failed"): the Retry button appears.
  }
}

async function main(): Promise<void> {
  try {
    state.config = await loadConfig();
  } catch (error) {
    reportError('Reading the configuration', error);
    return;
  }
  const connection = new Connection(state.config.rpc);
  state.connection = connection;
  connection.onChange(renderConnection);
  connection.onReady((api) => void onReady(api).catch((error) => reportError('Starting', error)));
  ($('retry') as HTMLButtonElement).addEventListener('click', () => {
    alertError('');
    void connect();
  });
  setAccountListener(() => void followPerson());
  await connect();
}

void main();
