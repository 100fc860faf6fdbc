/**
 * The consent app's sections: requests waiting (grant narrower or deny), grants (revoke, open
 * and close vaults), statistics cohorts (join, leave), records (retire, history) and the audit
 * trail (timelines from the event index). Each section re-renders only when its data changed,
 * so a form being filled in is not reset by a new block.
 */
import type { ApiPromise } from '@polkadot/api';
import { CATEGORIES, PURPOSE_SYSTEM, STATISTICS_PURPOSES, category, purpose, purposeText } from '../lib/codes';
import { grantState, grantsById, type ConsentRequest, type Grant, type HealthRecord, type Vault } from '../lib/chain';
import { $, dl, fill, h, short, status, uid } from '../lib/dom';
import { grantTimeline, recordTimeline, requestTimeline, type Step } from '../lib/audit';
import { blocksDuration, daysToBlocks, formatDate } from '../lib/time';
import { findEvent } from '../lib/tx';
import { memberName, now, reportError, runTx, state, when } from './state';
import { openVault } from './vault';

const rendered: Record<string, string> = {};

/** Renders `id` with `build` only when `key` differs from last time. */
function section(id: string, key: string, build: () => (HTMLElement | string)[]): void {
  if (rendered[id] === key) return;
  rendered[id] = key;
  fill($(id), ...build());
}

export function resetViews(): void {
  for (const k of Object.keys(rendered)) delete rendered[k];
  requestCards.clear();
  audit = null;
  auditChoice = '';
}

function scopeList(scope: string[]): HTMLElement {
  return h(
    'ul',
    { className: 'plain' },
    scope.map((c) => {
      const cat = category(c);
      return h('li', {}, h('strong', {}, cat.label), ' — ', cat.description, h('br'), h('span', { className: 'tech' }, `FHIR ${cat.fhir}${cat.loinc ? ` · LOINC ${cat.loinc}` : ''}`));
    }),
  );
}

function purposeBlock(code: string): (HTMLElement | string)[] {
  const p = purpose(code);
  return [h('strong', {}, p.display.charAt(0).toUpperCase() + p.display.slice(1)), p.meaning ? ` — ${p.meaning}` : '', h('br'), h('span', { className: 'tech' }, `HL7 v3 PurposeOfUse ${p.code} (${PURPOSE_SYSTEM})`)];
}

function periodText(start: number, end: number): string {
  return `From ${when(start)} until ${when(end)}`;
}

function badge(stateText: string): HTMLElement {
  const cls = stateText === 'live' ? 'live' : stateText === 'ended' || stateText === 'revoked' ? 'ended' : 'warn';
  return h('span', { className: `badge ${cls}` }, stateText);
}

/* ---------- Requests ---------- */

function requestCard(r: ConsentRequest): HTMLElement {
  const titleId = uid('req');
  const institution = memberName(r.institution);
  const boxes = r.scope.map((c) => {
    const id = uid('scope');
    return {
      name: c,
      input: h('input', { type: 'checkbox', id, checked: true, value: c }) as HTMLInputElement,
      id,
    };
  });
  const untilId = uid('until');
  const hintId = uid('until-hint');
  const minEnd = Math.max(r.period.start, now()) + 1;
  const until = h('input', { type: 'number', id: untilId, min: minEnd, max: r.period.end, value: r.period.end, step: 1, 'aria-describedby': hintId }) as HTMLInputElement;
  const hint = h('p', { className: 'hint', id: hintId }, `Until ${when(r.period.end)}. Enter a lower block number to share for a shorter time.`);
  until.addEventListener('input', () => {
    const v = Number(until.value);
    hint.textContent = Number.isFinite(v) && v > 0 ? `Until ${when(v)}${v < r.period.end ? ' (shorter than asked)' : ''}.` : 'Enter a block number.';
  });
  const grantButton = h('button', { type: 'button' }, 'Grant') as HTMLButtonElement;
  const denyButton = h('button', { type: 'button', className: 'danger' }, 'Deny') as HTMLButtonElement;
  grantButton.addEventListener('click', async () => {
    const chosen = boxes.filter((b) => b.input.checked).map((b) => b.name);
    if (!chosen.length) {
      reportError(`Granting request ${r.id}`, new Error('choose at least one kind of data to share, or deny the request.'));
      return;
    }
    const end = Number(until.value);
    if (!Number.isInteger(end) || end <= now() || end > r.period.end) {
      reportError(`Granting request ${r.id}`, new Error(`the end block must be after the current block ${now()} and no later than ${r.period.end}.`));
      return;
    }
    const scope = chosen.length === r.scope.length ? null : chosen;
    const period = end === r.period.end ? null : { start: r.period.start, end };
    const result = await runTx(`Granting request ${r.id} from ${institution}`, (api) => api.tx.consent.grant(r.id, scope, period), [grantButton, denyButton]);
    if (result && state.api) {
      const ev = findEvent(state.api, result, 'consent', 'ConsentGranted');
      status(`Request ${r.id} granted to ${institution}: grant ${ev?.grant ?? ''}, finalized in block ${result.blockNumber}.`);
    }
  });
  denyButton.addEventListener('click', () => void runTx(`Denying request ${r.id} from ${institution}`, (api) => api.tx.consent.deny(r.id), [grantButton, denyButton]));
  return h(
    'article',
    { 'aria-labelledby': titleId, 'data-request': r.id },
    h('h3', { id: titleId }, `Request ${r.id} from ${institution}`),
    dl([
      ['Who asks', [institution, ' ', h('span', { className: 'tech' }, r.institution)]],
      ['Why', purposeBlock(r.purpose)],
      ['For how long', [periodText(r.period.start, r.period.end), h('br'), h('span', { className: 'hint' }, blocksDuration(r.period.end - r.period.start))]],
      ['Asked on', `${r.timestamp ? formatDate(r.timestamp) : ''} (block ${r.requestedAt})`],
    ]),
    h(
      'fieldset',
      {},
      h('legend', {}, 'What to share (untick what you do not want to share)'),
      boxes.map((b) => {
        const cat = category(b.name);
        return h('label', { className: 'inline', for: b.id }, b.input, h('span', {}, cat.label, h('br'), h('span', { className: 'tech' }, `FHIR ${cat.fhir}${cat.loinc ? ` · LOINC ${cat.loinc}` : ''}`)));
      }),
    ),
    h('label', { for: untilId }, 'Share until block'),
    until,
    hint,
    h('div', { className: 'actions' }, grantButton, denyButton),
  );
}

const requestCards = new Map<number, { key: string; el: HTMLElement }>();

/**
 * Requests are rendered per card, keyed by id: a new request arriving does not reset the
 * choices being made on another card.
 */
export function renderRequests(): void {
  const data = state.data;
  if (!data) return;
  const names = [...state.members.values()].map((m) => m.name).join('|');
  const body = $('requests-body');
  if (!data.requests.length) {
    requestCards.clear();
    rendered['requests-body'] = 'empty';
    fill(body, h('p', {}, 'No request is waiting for your answer. New ones appear here by themselves.'));
    return;
  }
  const cards: HTMLElement[] = [];
  const seen = new Set<number>();
  for (const r of data.requests) {
    const key = JSON.stringify([r, names]);
    let entry = requestCards.get(r.id);
    if (!entry || entry.key !== key) {
      entry = { key, el: requestCard(r) };
      requestCards.set(r.id, entry);
    }
    seen.add(r.id);
    cards.push(entry.el);
  }
  for (const id of [...requestCards.keys()]) if (!seen.has(id)) requestCards.delete(id);
  const summary = `${data.requests.length} request${data.requests.length > 1 ? 's' : ''} waiting. Nothing is shared until you grant.`;
  const current = [...body.children];
  const same = current.length === cards.length + 1 && cards.every((c, i) => current[i + 1] === c) && current[0]?.textContent === summary;
  if (same) return;
  rendered['requests-body'] = '';
  // Move existing nodes instead of re-creating them, so focus and input survive.
  const first = (current[0]?.classList.contains('hint') ? current[0] : null) as HTMLElement | null;
  const hint = first ?? h('p', { className: 'hint' });
  hint.textContent = summary;
  for (const el of current) if (el !== hint && !cards.includes(el as HTMLElement)) el.remove();
  body.prepend(hint);
  let prev: Element = hint;
  for (const c of cards) {
    if (prev.nextElementSibling !== c) prev.after(c);
    prev = c;
  }
}

export function resetRequests(): void {
  requestCards.clear();
}

/* ---------- Grants and vaults ---------- */

function vaultItem(v: Vault): HTMLElement {
  const close = h('button', { type: 'button', className: 'secondary' }, 'Close vault') as HTMLButtonElement;
  close.addEventListener('click', () => void runTx(`Closing vault ${v.id}`, (api) => api.tx.vaults.closeVault(v.id), [close]));
  return h(
    'li',
    { 'data-vault': v.id },
    h('span', {}, `Vault ${v.id}: record ${v.record} shared with ${memberName(v.grantee)} until ${when(v.expiresAt)}`),
    ' ',
    h('span', { className: 'tech' }, v.cid),
    h('div', { className: 'actions' }, close),
  );
}

function vaultForm(g: Grant, records: HealthRecord[]): HTMLElement {
  const covered = records.filter((r) => r.retiredAt === null && r.categories.every((c) => g.scope.includes(c)));
  if (!covered.length) {
    return h('p', { className: 'hint' }, records.length ? 'None of your records fits inside this grant’s scope, so none can be shared under it.' : 'You have no record to share yet.');
  }
  const recId = uid('rec');
  const blocksId = uid('blocks');
  const select = h('select', { id: recId }, covered.map((r) => h('option', { value: r.id }, `Record ${r.id}: ${r.categories.map((c) => category(c).label).join(', ')}`))) as HTMLSelectElement;
  const untilEnd = uid('how');
  const forBlocks = uid('how');
  const radioName = uid('howlong');
  const r1 = h('input', { type: 'radio', name: radioName, id: untilEnd, checked: true }) as HTMLInputElement;
  const r2 = h('input', { type: 'radio', name: radioName, id: forBlocks }) as HTMLInputElement;
  const blocks = h('input', { type: 'number', id: blocksId, min: 1, step: 1, value: Math.max(1, Math.min(600, g.period.end - now() - 1)) }) as HTMLInputElement;
  const openButton = h('button', { type: 'submit' }, 'Open vault') as HTMLButtonElement;
  return h(
    'form',
    {
      'aria-label': `Share a record under grant ${g.id}`,
      onsubmit: (event: Event) => {
        event.preventDefault();
        const n = r2.checked ? Number(blocks.value) : null;
        if (n !== null && (!Number.isInteger(n) || n < 1)) {
          reportError('Opening a vault', new Error('the number of blocks must be a whole number, 1 or more.'));
          return;
        }
        void openVault(g.id, Number(select.value), n, [openButton]);
      },
    },
    h('h4', {}, 'Share a record with this institution'),
    h('label', { for: recId }, 'Record to share'),
    select,
    h(
      'fieldset',
      {},
      h('legend', {}, 'For how long'),
      h('label', { className: 'inline', for: untilEnd }, r1, h('span', {}, `Until the grant ends (${when(g.period.end)})`)),
      h('label', { className: 'inline', for: forBlocks }, r2, h('span', {}, 'For a number of blocks (6 seconds each)')),
      h('label', { for: blocksId }, 'Number of blocks'),
      blocks,
    ),
    h('div', { className: 'actions' }, openButton),
  );
}

function grantCard(g: Grant, records: HealthRecord[], vaults: Vault[]): HTMLElement {
  const titleId = uid('grant');
  const st = grantState(g, now(), state.members);
  const institution = g.institution ? memberName(g.institution) : 'any consortium institution';
  const revoke = h('button', { type: 'button', className: 'danger' }, 'Revoke') as HTMLButtonElement;
  revoke.addEventListener('click', () => void runTx(`Revoking grant ${g.id} to ${institution}`, (api) => api.tx.consent.revoke(g.id), [revoke]));
  const mine = vaults.filter((v) => v.grant === g.id && v.state.name === 'Open');
  return h(
    'article',
    { 'aria-labelledby': titleId, 'data-grant': g.id },
    h('h3', { id: titleId }, `Grant ${g.id} to ${institution}`, ' ', badge(st)),
    dl([
      ['What', scopeList(g.scope)],
      ['Why', purposeBlock(g.purpose)],
      ['When', periodText(g.period.start, g.period.end)],
      ['Granted', `${when(g.grantedAt)}${g.request !== null ? ` in answer to request ${g.request}` : ''}`],
    ]),
    mine.length ? [h('h4', {}, 'Open vaults'), h('ul', { className: 'plain' }, mine.map(vaultItem))] : h('p', { className: 'hint' }, 'No record is shared under this grant right now.'),
    st === 'live' ? vaultForm(g, records) : null,
    st === 'ended' || st === 'revoked' ? null : h('div', { className: 'actions' }, revoke),
  );
}

export function renderGrants(): void {
  const data = state.data;
  if (!data) return;
  const grants = data.grants.filter((g) => g.institution !== null && grantState(g, now()) !== 'ended');
  const states = grants.map((g) => grantState(g, now(), state.members));
  const key = JSON.stringify([grants, states, data.records.map((r) => [r.id, r.categories, r.retiredAt]), data.vaults, !!state.account?.envelope]);
  section('grants-body', key, () =>
    grants.length
      ? [h('p', { className: 'hint' }, 'Institutions you allowed to see some of your data. Revoking a grant closes every vault opened under it.'), ...grants.map((g) => grantCard(g, data.records, data.vaults))]
      : [h('p', {}, 'You have no grant in force.')],
  );
}

/* ---------- Cohorts ---------- */

function joinForm(joined: Set<string>): HTMLElement {
  const purposeId = uid('purpose');
  const daysId = uid('days');
  const options = STATISTICS_PURPOSES.filter((p) => !joined.has(p));
  if (!options.length) return h('p', { className: 'hint' }, 'You are in every statistics cohort.');
  const select = h('select', { id: purposeId }, options.map((p) => h('option', { value: p }, purposeText(p)))) as HTMLSelectElement;
  const boxes = CATEGORIES.map((c) => ({ c, id: uid('cohort-cat') }));
  const inputs = boxes.map(({ c, id }) => h('input', { type: 'checkbox', id, value: c.name, checked: c.name === 'WearableReadings' }) as HTMLInputElement);
  const days = h('input', { type: 'number', id: daysId, min: 1, step: 1, value: 365 }) as HTMLInputElement;
  const join = h('button', { type: 'submit' }, 'Join cohort') as HTMLButtonElement;
  return h(
    'form',
    {
      'aria-label': 'Join a statistics cohort',
      onsubmit: async (event: Event) => {
        event.preventDefault();
        const scope = inputs.filter((i) => i.checked).map((i) => i.value);
        const d = Number(days.value);
        if (!scope.length) return reportError('Joining the cohort', new Error('choose at least one kind of data to include.'));
        if (!Number.isFinite(d) || d <= 0) return reportError('Joining the cohort', new Error('the number of days must be 1 or more.'));
        const subject = state.account!.address;
        const start = now();
        const period = { start, end: start + daysToBlocks(d) };
        await runTx(`Joining the ${select.value} cohort`, (api) => api.tx.consent.grantConsortiumWide(subject, scope, select.value, period), [join]);
      },
    },
    h('h3', {}, 'Join a cohort'),
    h('p', { className: 'hint' }, 'Consortium institutions may then include the values of these records in statistics. Your values are split into random-looking pieces, one for each of the consortium\'s aggregators, so no single aggregator ever sees them. Only totals are published, with a little random noise added so that a published number does not give away your own values. That you joined is public.'),
    h('label', { for: purposeId }, 'Purpose'),
    select,
    h('fieldset', {}, h('legend', {}, 'Data to include'), boxes.map(({ c, id }, i) => h('label', { className: 'inline', for: id }, inputs[i]!, h('span', {}, c.label, ' ', h('span', { className: 'tech' }, `FHIR ${c.fhir}`))))),
    h('label', { for: daysId }, 'For how many days'),
    days,
    h('div', { className: 'actions' }, join),
  );
}

export function renderCohorts(): void {
  const data = state.data;
  if (!data) return;
  const live = [...data.cohorts.entries()].filter(([, g]) => grantState(g, now()) !== 'ended' && g.status.name !== 'Revoked');
  const key = JSON.stringify(live);
  section('cohorts-body', key, () => [
    live.length
      ? h(
          'div',
          {},
          live.map(([code, g]) => {
            const titleId = uid('cohort');
            const leave = h('button', { type: 'button', className: 'danger' }, 'Leave cohort') as HTMLButtonElement;
            leave.addEventListener('click', () => void runTx(`Leaving the ${code} cohort`, (api) => api.tx.consent.revoke(g.id), [leave]));
            return h(
              'article',
              { 'aria-labelledby': titleId, 'data-grant': g.id },
              h('h3', { id: titleId }, `${purpose(code).display.replace(/^./, (c) => c.toUpperCase())} cohort (${code})`, ' ', badge(grantState(g, now()))),
              dl([
                ['Data included', scopeList(g.scope)],
                ['Why', purposeBlock(g.purpose)],
                ['When', periodText(g.period.start, g.period.end)],
                ['Grant', `grant ${g.id}`],
              ]),
              h('div', { className: 'actions' }, leave),
            );
          }),
        )
      : h('p', {}, 'You are not in any statistics cohort.'),
    joinForm(new Set(live.map(([c]) => c))),
  ]);
}

/* ---------- Records ---------- */

export function renderRecords(showHistory: (kind: string, id: number) => void): void {
  const data = state.data;
  if (!data) return;
  const key = JSON.stringify([data.records, data.vaults]);
  section('records-body', key, () =>
    data.records.length
      ? data.records.map((r) => {
          const titleId = uid('record');
          const retire = h('button', { type: 'button', className: 'danger' }, 'Retire record') as HTMLButtonElement;
          retire.addEventListener('click', () => void runTx(`Retiring record ${r.id}`, (api) => api.tx.vaults.retireRecord(r.id), [retire]));
          const open = data.vaults.filter((v) => v.record === r.id && v.state.name === 'Open');
          return h(
            'article',
            { 'aria-labelledby': titleId, 'data-record': r.id },
            h('h3', { id: titleId }, `Record ${r.id}: ${r.categories.map((c) => category(c).label).join(', ')}`),
            dl([
              ['Holds', scopeList(r.categories)],
              ['Added', `${when(r.registeredAt)} by ${r.origin.name === 'Owner' ? 'you' : memberName(String(r.origin.value))}`],
              ['Kept by', memberName(r.steward)],
              ['Size', `${r.size.toLocaleString('en')} bytes (encrypted)`],
              ['Content id', h('span', { className: 'tech' }, `${r.cid} · BLAKE2-256 ${r.contentHash}`)],
            ]),
            open.length ? [h('h4', {}, 'Shared in open vaults'), h('ul', { className: 'plain' }, open.map(vaultItem))] : h('p', { className: 'hint' }, 'Not shared with anyone right now.'),
            h(
              'div',
              { className: 'actions' },
              h('button', { type: 'button', className: 'secondary', onclick: () => showHistory('record', r.id) }, 'Show history'),
              retire,
            ),
          );
        })
      : [h('p', {}, 'You have no record on Custodia yet. Records are added with the custodia client or by your institution.')],
  );
}

/* ---------- Audit ---------- */

let auditChoice = '';
/** The audit section's parts, built once per sign-in so that updates keep focus. */
let audit: { owner: string; progress: HTMLProgressElement; label: HTMLElement; text: HTMLElement; chooser: HTMLElement; timeline: HTMLElement; optionsKey: string; timelineKey: string } | null = null;

function stepItem(s: Step): HTMLElement {
  return h(
    'li',
    { 'data-step': s.kind },
    h('span', { className: 'when' }, `Block ${s.block.toLocaleString('en')}${s.time ? ` · ${formatDate(s.time)}` : ''}`),
    s.what,
    ' ',
    h('span', { className: 'tech' }, s.detail),
  );
}

export function chooseHistory(kind: string, id: number): void {
  auditChoice = `${kind}:${id}`;
  if (audit) audit.timelineKey = '';
  renderAudit();
  $('audit').scrollIntoView({ block: 'start' });
  (document.getElementById('audit-choice') as HTMLSelectElement | null)?.focus();
}

function auditOptions(me: string): { value: string; text: string }[] {
  const options: { value: string; text: string }[] = [];
  for (const e of state.index.events) {
    if (e.data.subject !== me && e.data.owner !== me) continue;
    if (e.method === 'RecordRegistered') options.push({ value: `record:${e.data.record}`, text: `Record ${e.data.record}` });
    if (e.method === 'ConsentGranted') options.push({ value: `grant:${e.data.grant}`, text: `Grant ${e.data.grant} to ${memberName(e.data.institution)}` });
    if (e.method === 'ConsortiumWideConsentGranted') options.push({ value: `grant:${e.data.grant}`, text: `Grant ${e.data.grant}: ${e.data.purpose} cohort` });
    if (e.method === 'ConsentRequested') options.push({ value: `request:${e.data.request}`, text: `Request ${e.data.request} from ${memberName(e.data.institution)}` });
  }
  return options;
}

export function renderAudit(): void {
  const me = state.account?.address;
  const api = state.api;
  if (!me || !api) return;
  const index = state.index;
  if (!audit || audit.owner !== me || !audit.progress.isConnected) {
    rendered['audit-body'] = '';
    const progress = h('progress', { id: 'audit-progress', max: 1, value: 0 }) as HTMLProgressElement;
    const label = h('label', { for: 'audit-progress' }, 'Reading the chain’s history');
    const text = h('p', { className: 'hint' });
    const chooser = h('div', {});
    const timeline = h('div', { id: 'audit-timeline' });
    audit = { owner: me, progress, label, text, chooser, timeline, optionsKey: '', timelineKey: '' };
    fill($('audit-body'), h('div', {}, label, progress, text), chooser, timeline);
  }
  const done = index.scanned >= index.target && index.target > 0;
  audit.progress.max = Math.max(1, index.target);
  audit.progress.value = index.scanned;
  audit.label.textContent = done ? 'Chain history read' : 'Reading the chain’s history';
  audit.text.textContent = `Block ${index.scanned.toLocaleString('en')} of ${index.target.toLocaleString('en')} (finalized) read.`;

  const options = auditOptions(me);
  if (!auditChoice && options.length) auditChoice = options[0]!.value;
  const optionsKey = JSON.stringify([options, auditChoice, done]);
  if (optionsKey !== audit.optionsKey) {
    audit.optionsKey = optionsKey;
    const hadFocus = document.activeElement?.id === 'audit-choice';
    if (options.length) {
      const select = h('select', { id: 'audit-choice' }, options.map((o) => h('option', { value: o.value, selected: o.value === auditChoice }, o.text))) as HTMLSelectElement;
      select.addEventListener('change', () => {
        auditChoice = select.value;
        renderAudit();
      });
      fill(audit.chooser, h('label', { for: 'audit-choice' }, 'Show the history of'), select);
      if (hadFocus) select.focus();
    } else {
      fill(audit.chooser, h('p', {}, done ? 'Nothing has happened with your data yet.' : 'Your history appears as the chain is read.'));
    }
  }
  const timelineKey = JSON.stringify([auditChoice, index.events.length, now() >= 0 ? Math.floor(now() / 10) : 0]);
  if (timelineKey !== audit.timelineKey) {
    audit.timelineKey = timelineKey;
    void fillTimeline(api, audit.timeline);
  }
}

async function fillTimeline(api: ApiPromise, el: HTMLElement): Promise<void> {
  if (!auditChoice) {
    fill(el);
    return;
  }
  const choice = auditChoice;
  const [kind, idText] = choice.split(':');
  const id = Number(idText);
  let steps: Step[] = [];
  try {
    if (kind === 'record') steps = recordTimeline(state.index, id, memberName);
    if (kind === 'request') steps = requestTimeline(state.index, id, memberName);
    if (kind === 'grant') {
      const [grant] = await grantsById(api, [id]);
      if (grant) steps = grantTimeline(state.index, grant, now(), memberName);
    }
  } catch (error) {
    reportError('Reading the history', error);
  }
  if (choice !== auditChoice) return;
  const title = `History of ${kind} ${id}`;
  fill(el, h('h3', {}, title), steps.length ? h('ol', { className: 'timeline', 'aria-label': title }, steps.map(stepItem)) : h('p', {}, 'No step recorded yet.'));
}

export { short };
