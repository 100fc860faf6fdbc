/**
 * The public statistics portal: no login and no signer code. Lists every published statistic
 * (pallet-fhe PublishedStatistics with its Job) with purpose, requester, cohort size, kind,
 * field, privacy parameters, block and date; a bar chart per histogram and a line chart per
 * series (same purpose/category/field/kind over publications), each with a table as its text
 * alternative. Updates on new blocks.
 */
import type { ApiPromise } from '@polkadot/api';
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from 'chart.js';
import { members, timestampAt, type Member } from '../lib/chain';
import { category, purpose, purposeText } from '../lib/codes';
import { Connection, loadConfig, stateText } from '../lib/connection';
import { $, alertError, dl, fill, h, short, status, uid } from '../lib/dom';
import { bucketLabels, headline, privacyText, publishedStatistics, series, type PublishedStatistic } from '../lib/statistics';
import { formatDate } from '../lib/time';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LineController, LineElement, PointElement, Tooltip, Legend);
Chart.defaults.font.family = 'system-ui, sans-serif';
Chart.defaults.color = '#1d2421';

const ACCENT = '#1f5f4a';
let memberMap = new Map<string, Member>();
const times = new Map<number, number>();
const charts: Chart[] = [];
let lastKey = '';
let block = 0;

const fmt = (n: number | null): string => (n === null || !Number.isFinite(n) ? '—' : Number.isInteger(n) ? n.toLocaleString('en') : n.toLocaleString('en', { maximumFractionDigits: 2 }));
const nameOf = (a: string | null): string => (a ? (memberMap.get(a)?.name ?? short(a)) : 'unknown');
const dateOf = (b: number): string => (times.has(b) ? formatDate(times.get(b)!) : `block ${b}`);
const KIND_WORDS: Record<string, string> = { Count: 'Count', Sum: 'Sum', Mean: 'Mean (average)', Histogram: 'Histogram' };

function title(s: PublishedStatistic): string {
  return `${KIND_WORDS[s.kind] ?? s.kind} of field ${s.field} of ${category(s.category).label.toLowerCase()}`;
}

function valueText(s: PublishedStatistic): string {
  if (s.kind === 'Mean') return `${fmt(headline(s))} (sum ${fmt(s.values[0] ?? null)} over ${fmt(s.values[1] ?? null)} records)`;
  if (s.kind === 'Histogram') return `${s.values.reduce((a, b) => a + b, 0).toLocaleString('en')} values in ${s.values.length} buckets`;
  return fmt(headline(s));
}

function table(caption: string, head: string[], rows: (string | number)[][]): HTMLElement {
  return h(
    'div',
    { className: 'table-wrap' },
    h('table', {}, h('caption', {}, caption), h('thead', {}, h('tr', {}, head.map((t) => h('th', { scope: 'col' }, t)))), h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c, i) => (i === 0 ? h('th', { scope: 'row' }, String(c)) : h('td', {}, String(c)))))))),
  );
}

function chartBox(label: string, make: (canvas: HTMLCanvasElement) => Chart): HTMLElement {
  const canvas = h('canvas', { role: 'img', 'aria-label': label }) as HTMLCanvasElement;
  const box = h('div', { className: 'chart-box' }, canvas);
  queueMicrotask(() => charts.push(make(canvas)));
  return box;
}

function histogramChart(s: PublishedStatistic): HTMLElement[] {
  const labels = bucketLabels(s.bounds);
  const label = `Bar chart: how many values of field ${s.field} fall in each bucket (statistic ${s.job}). The table below lists the same numbers.`;
  return [
    chartBox(label, (canvas) => new Chart(canvas, {
      type: 'bar',
      data: { labels, datasets: [{ label: 'Values in bucket', data: s.values, backgroundColor: ACCENT }] },
      options: { responsive: true, maintainAspectRatio: false, animation: false, plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    })),
    table(`Histogram of statistic ${s.job}`, ['Bucket', 'Values'], labels.map((l, i) => [l, s.values[i] ?? 0])),
  ];
}

function card(s: PublishedStatistic): HTMLElement {
  const id = uid('stat');
  const cat = category(s.category);
  const p = purpose(s.purpose);
  return h(
    'article',
    { 'aria-labelledby': id, 'data-job': s.job },
    h('h3', { id }, title(s)),
    h('p', { className: 'lead' }, h('strong', {}, valueText(s))),
    dl([
      ['Purpose', [`${p.display.replace(/^./, (c) => c.toUpperCase())}`, ' ', h('span', { className: 'tech' }, purposeText(s.purpose))]],
      ['Requested by', nameOf(s.requester)],
      ['People in the cohort', s.cohortSize.toLocaleString('en')],
      ['Kind', s.kind === 'Histogram' ? `Histogram (bucket bounds ${s.bounds.join(', ')})` : KIND_WORDS[s.kind] ?? s.kind],
      ['Data', [cat.label, ' ', h('span', { className: 'tech' }, `field ${s.field} · FHIR ${cat.fhir}${cat.loinc ? ` · LOINC ${cat.loinc}` : ''}`)]],
      ['Privacy', privacyText(s)],
      ['Published', `${dateOf(s.publishedAt)} (block ${s.publishedAt.toLocaleString('en')}); requested in block ${s.requestedAt.toLocaleString('en')}`],
      ['Technical', h('span', { className: 'tech' }, `job ${s.job} · key epoch ${s.epoch} · encrypted aggregate ${s.aggregateCid} · raw values [${s.values.join(', ')}]`)],
    ]),
    s.kind === 'Histogram' ? histogramChart(s) : null,
  );
}

function trend(key: string, list: PublishedStatistic[]): HTMLElement {
  const [purposeCode, cat, field, kind] = key.split('|');
  const id = uid('trend');
  const name = `${KIND_WORDS[kind!] ?? kind} of field ${field} of ${category(cat!).label.toLowerCase()} (${purposeCode})`;
  const labels = list.map((s) => dateOf(s.publishedAt));
  const values = list.map((s) => headline(s));
  return h(
    'article',
    { 'aria-labelledby': id },
    h('h3', { id }, name),
    chartBox(`Line chart: ${name} over ${list.length} publications. The table below lists the same numbers.`, (canvas) => new Chart(canvas, {
      type: 'line',
      data: { labels, datasets: [{ label: name, data: values, borderColor: ACCENT, backgroundColor: ACCENT, tension: 0 }] },
      options: { responsive: true, maintainAspectRatio: false, animation: false, plugins: { legend: { display: false } } },
    })),
    table(`${name}, by publication`, ['Published', 'Value', 'People in the cohort', 'Block'], list.map((s, i) => [labels[i]!, fmt(values[i] ?? null), s.cohortSize, s.publishedAt])),
  );
}

async function render(api: ApiPromise): Promise<void> {
  // Keys first (cheap): read the statistics again only when one was published.
  const keys = await api.query.fhe.publishedStatistics.keys();
  const key = JSON.stringify(keys.map((k) => k.args[0]!.toString()).sort());
  if (key === lastKey) return;
  const all = await publishedStatistics(api);
  memberMap = await members(api);
  const missing = [...new Set(all.map((s) => s.publishedAt))].filter((b) => !times.has(b));
  await Promise.all(missing.map(async (b) => times.set(b, await timestampAt(api, b).catch(() => NaN))));
  for (const [b, t] of times) if (!Number.isFinite(t)) times.delete(b);
  lastKey = key;
  charts.splice(0).forEach((c) => c.destroy());
  const groups = [...series(all).entries()];
  fill(
    $('trends-body'),
    groups.length
      ? groups.map(([k, list]) => trend(k, list))
      : h('p', {}, all.length ? 'No series yet: a trend appears once a statistic is published again.' : 'No statistic has been published yet.'),
  );
  fill(
    $('published-body'),
    all.length ? [h('p', { className: 'hint' }, `${all.length} statistic${all.length > 1 ? 's' : ''} published, newest first.`), ...[...all].reverse().map(card)] : h('p', {}, 'No statistic has been published yet. Statistics appear here as soon as the chain publishes them.'),
  );
  if (all.length) status(`${all.length} published statistics, as of block ${block.toLocaleString('en')}.`);
}

async function main(): Promise<void> {
  let config;
  try {
    config = await loadConfig();
  } catch (error) {
    alertError(String((error as Error).message));
    return;
  }
  const connection = new Connection(config.rpc);
  const show = (c: Connection) => {
    $('connection').textContent = stateText(c) + (c.state === 'connected' && block ? ` · block ${block.toLocaleString('en')}` : '');
    ($('retry') as HTMLButtonElement).hidden = c.state === 'connected' || c.state === 'connecting';
    if (c.state === 'failed') {
      alertError(stateText(c));
      if (!lastKey) for (const id of ['trends-body', 'published-body']) fill($(id), h('p', {}, 'The statistics appear once the portal reaches the node.'));
    }
    if (c.state === 'connected' && $('alert').textContent?.startsWith('Cannot reach')) alertError('');
  };
  connection.onChange(show);
  connection.onReady(async (api) => {
    alertError('');
    let running = false;
    const update = async () => {
      if (running) return;
      running = true;
      try {
        await render(api);
      } catch (error) {
        alertError(`Reading the statistics failed. ${(error as Error).message}`);
      } finally {
        running = false;
      }
    };
    await api.rpc.chain.subscribeNewHeads((header) => {
      block = header.number.toNumber();
      show(connection);
      void update();
    });
  });
  const connect = () => connection.connect().catch(() => undefined);
  $('retry').addEventListener('click', () => {
    alertError('');
    void connect();
  });
  await connect();
}

void main();
