/**
 * The public statistics portal: no login and no signer code. Reads pallet `Statistics` (Prio3
 * with differential privacy): every published statistic with its purpose, requester, data
 * category, kind with its fields and units, cohort size, ε and the noise each value carries, the
 * number of aggregators, block and date, and its values (a mean: its noisy sum over the exact number of reports; a
 * bar chart and table per histogram field); a line chart per series (same purpose, category,
 * kind and field over publications), each chart followed by a table as its text alternative; and
 * the jobs that published nothing, with the reason. Updates on new blocks.
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
import {
  aggregatorsText,
  epsilonText,
  failureText,
  fieldName,
  fieldText,
  fmt,
  kindFields,
  kindText,
  minCohortSize,
  noiseText,
  readings,
  series,
  seriesName,
  stdDevText,
  StatisticsReader,
  unitText,
  valueLabels,
  valueNoiseMillis,
  type PublishedStatistic,
  type Reading,
  type Series,
  type StatisticJob,
} from '../lib/statistics';
import { formatDate } from '../lib/time';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LineController, LineElement, PointElement, Tooltip, Legend);
Chart.defaults.font.family = 'system-ui, sans-serif';
Chart.defaults.color = '#1d2421';

const ACCENT = '#1f5f4a';
const reader = new StatisticsReader();
let memberMap = new Map<string, Member>();
let k: number | null = null;
const times = new Map<number, number>();
const charts: Chart[] = [];
let rendered = false;
let block = 0;

const nameOf = (a: string | null): string => (a ? (memberMap.get(a)?.name ?? short(a)) : 'unknown');
const dateOf = (b: number): string => (times.has(b) ? formatDate(times.get(b)!) : `block ${b.toLocaleString('en')}`);
const upperFirst = (s: string): string => s.replace(/^./, (c) => c.toUpperCase());
const withUnit = (value: string, unit: string): string => (unitText(unit) ? `${value} ${unitText(unit)}` : value);

/** "Mean (average) of heart rate (/min) · Wearable readings". */
function title(job: StatisticJob, fields = kindFields(job.kind, reader.schemas.get(job.schema) ?? null)): string {
  return `${kindText(job.kind, fields)} · ${category(job.category).label}`;
}

/** A table with its caption, in a region that scrolls sideways on narrow screens (focusable, so keyboards can scroll it). */
function table(caption: string, head: string[], rows: (string | number)[][]): HTMLElement {
  const id = uid('caption');
  return h(
    'div',
    { className: 'table-wrap', role: 'region', 'aria-labelledby': id, tabindex: 0 },
    h('table', {}, h('caption', { id }, caption), h('thead', {}, h('tr', {}, head.map((t) => h('th', { scope: 'col' }, t)))), h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c, i) => (i === 0 ? h('th', { scope: 'row' }, String(c)) : h('td', {}, String(c)))))))),
  );
}

function chartBox(label: string, make: (canvas: HTMLCanvasElement) => Chart): HTMLElement {
  const canvas = h('canvas', { role: 'img', 'aria-label': label }) as HTMLCanvasElement;
  const box = h('div', { className: 'chart-box' }, canvas);
  queueMicrotask(() => charts.push(make(canvas)));
  return box;
}

/** The values in a sentence per reading: what a person reads first. */
function readingText(r: Reading): string {
  switch (r.kind) {
    case 'Count':
      return `${fmt(r.count)} people (noisy count)`;
    case 'Sum':
      return `Sum of ${fieldName(r.field)}: ${withUnit(fmt(r.sum), r.field.unit)}`;
    case 'Mean':
      return r.mean === null
        ? `Mean ${fieldName(r.field)}: undefined, no reports were summed (noisy sum ${fmt(r.sum)})`
        : `Mean ${fieldName(r.field)}: ${withUnit(fmt(r.mean), r.field.unit)} (noisy sum ${fmt(r.sum)} ÷ ${fmt(r.reports)} reports, an exact number)`;
    case 'Histogram':
      return `${upperFirst(fieldName(r.field))}: people per bucket in ${r.buckets.length} buckets, chart and table below`;
  }
}

function histogram(s: PublishedStatistic, r: Extract<Reading, { kind: 'Histogram' }>, noise: (number | null)[]): HTMLElement[] {
  const name = fieldText(r.field);
  const labels = r.buckets.map((b) => b.label);
  const counts = r.buckets.map((b) => b.count);
  return [
    h('h4', {}, `Histogram of ${name}`),
    chartBox(`Bar chart: people per bucket of ${name} (statistic ${s.job.id}, noisy counts). The table below lists the same numbers.`, (canvas) => new Chart(canvas, {
      type: 'bar',
      data: { labels, datasets: [{ label: 'People in bucket (noisy)', data: counts, backgroundColor: ACCENT }] },
      options: { responsive: true, maintainAspectRatio: false, animation: false, plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    })),
    table(`Histogram of ${name}, statistic ${s.job.id}`, [`Bucket (${unitText(r.field.unit) || 'value'})`, 'People (noisy)', 'Noise (standard deviation)'], r.buckets.map((b, i) => [b.label, fmt(b.count), noise[i] === null || noise[i] === undefined ? '—' : `±${stdDevText(noise[i]!)}`])),
  ];
}

function card(s: PublishedStatistic): HTMLElement {
  const id = uid('stat');
  const { job, published: p } = s;
  const cat = category(job.category);
  const pu = purpose(job.purpose);
  const r = readings(job.kind, s.fields, p.values, p.reports);
  const noise = valueNoiseMillis(p.noise, p.values.length);
  const labels = valueLabels(job.kind, s.fields);
  let body: (HTMLElement | null)[] = [];
  if (!r) {
    body = [h('p', { className: 'notice' }, `The ${p.values.length} published values do not match this kind and schema; they are listed as the chain holds them.`), table(`Values of statistic ${job.id}`, ['Value', 'Number'], p.values.map((v, i) => [`value ${i + 1}`, fmt(v)]))];
  } else if (job.kind.name === 'Histogram') {
    let at = 0;
    body = r.flatMap((x) => {
      if (x.kind !== 'Histogram') return [];
      const out = histogram(s, x, noise.slice(at, at + x.buckets.length));
      at += x.buckets.length;
      return out;
    });
  } else {
    const rows: (string | number)[][] = labels.map((l, i) => [upperFirst(l), fmt(p.values[i]), noise[i] === null || noise[i] === undefined ? '—' : `±${stdDevText(noise[i]!)}`]);
    for (const x of r) if (x.kind === 'Mean') rows.push([`Mean ${fieldName(x.field)} (sum ÷ reports)`, x.mean === null ? 'undefined (no reports)' : withUnit(fmt(x.mean), x.field.unit), '—']);
    body = [table(`Values of statistic ${job.id}`, ['Value', 'Number (noisy)', 'Noise (standard deviation)'], rows)];
  }
  return h(
    'article',
    { 'aria-labelledby': id, 'data-job': job.id },
    h('h3', { id }, title(job, s.fields)),
    r ? r.map((x) => h('p', { className: 'lead' }, h('strong', {}, readingText(x)))) : null,
    dl([
      ['Purpose', [upperFirst(pu.display), ' ', h('span', { className: 'tech' }, purposeText(job.purpose))]],
      ['Requested by', nameOf(job.requester)],
      ['Data', [cat.label, ' ', h('span', { className: 'tech' }, `FHIR ${cat.fhir}${cat.loinc ? ` · LOINC ${cat.loinc}` : ''} · schema ${job.schema}`)]],
      ['Kind', kindDetail(job, s.fields)],
      ['Cohort size', `${p.reports.toLocaleString('en')} ${p.reports === 1 ? 'person' : 'people'} (verified reports summed)`],
      ['Privacy', `${noiseText(s)}; ${aggregatorsText(p.aggregators)}.`],
      ['Published', `${dateOf(p.publishedAt)} (block ${p.publishedAt.toLocaleString('en')}); requested in block ${job.requestedAt.toLocaleString('en')}`],
      ['Technical', h('span', { className: 'tech' }, `job ${job.id} · aggregator epoch ${job.epoch} · ε ${p.epsilonMillis}/1000 · noise ${p.noise.map((g) => `${g.values} value${g.values === 1 ? '' : 's'}: sensitivity ${g.sensitivity}, ε ${epsilonText(g.epsilonMillis)}, σ ±${stdDevText(g.totalStdDevMillis)}`).join('; ')} · raw values [${p.values.join(', ')}]`)],
    ]),
    body,
  );
}

/** The kind, its fields and, for histograms, their bucket boundaries. */
function kindDetail(job: StatisticJob, fields = kindFields(job.kind, reader.schemas.get(job.schema) ?? null)): string {
  const text = kindText(job.kind, fields);
  if (job.kind.name !== 'Histogram') return text;
  return `${text}; bucket boundaries: ${fields.map((f) => `${fieldName(f)} ${withUnit((f.buckets ?? []).map((b) => b.toLocaleString('en')).join(', ') || 'none', f.unit)}`).join('; ')}`;
}

function failedCard(job: StatisticJob): HTMLElement {
  const id = uid('failed');
  const cat = category(job.category);
  const at = job.status.at ?? job.deadline;
  return h(
    'article',
    { 'aria-labelledby': id, 'data-job': job.id, 'data-status': 'failed' },
    h('h3', { id }, title(job)),
    h('p', { className: 'lead' }, h('strong', {}, upperFirst(failureText(job.status.reason, k)))),
    dl([
      ['Purpose', [upperFirst(purpose(job.purpose).display), ' ', h('span', { className: 'tech' }, purposeText(job.purpose))]],
      ['Requested by', nameOf(job.requester)],
      ['Data', [cat.label, ' ', h('span', { className: 'tech' }, `schema ${job.schema}`)]],
      ['Kind', kindDetail(job)],
      ['Privacy asked', `ε = ${epsilonText(job.epsilonMillis)}`],
      ['Failed', `${dateOf(at)} (block ${at.toLocaleString('en')}); requested in block ${job.requestedAt.toLocaleString('en')}`],
      ['Technical', h('span', { className: 'tech' }, `job ${job.id} · aggregator epoch ${job.epoch} · ${job.status.reason?.name ?? 'unknown reason'}`)],
    ]),
  );
}

function trend(g: Series): HTMLElement {
  const id = uid('trend');
  const name = `${seriesName(g)} · ${category(g.category).label} (${g.purpose})`;
  const labels = g.points.map((x) => dateOf(x.stat.published.publishedAt));
  const values = g.points.map((x) => x.value);
  const unit = g.field?.unit ?? '';
  return h(
    'article',
    { 'aria-labelledby': id },
    h('h3', { id }, name),
    chartBox(`Line chart: ${name} over ${g.points.length} publications (noisy values). The table below lists the same numbers.`, (canvas) => new Chart(canvas, {
      type: 'line',
      data: { labels, datasets: [{ label: name, data: values, borderColor: ACCENT, backgroundColor: ACCENT, tension: 0 }] },
      options: { responsive: true, maintainAspectRatio: false, animation: false, plugins: { legend: { display: false } } },
    })),
    table(`${name}, by publication`, ['Published', g.kind === 'Count' ? 'People (noisy)' : unitText(unit) ? `Value (noisy, ${unitText(unit)})` : 'Value (noisy)', 'Cohort size', 'ε', 'Block'], g.points.map((x, i) => [labels[i]!, fmt(values[i]), x.stat.published.reports, epsilonText(x.stat.published.epsilonMillis), x.stat.published.publishedAt])),
  );
}

async function render(api: ApiPromise): Promise<void> {
  const changed = await reader.refresh(api);
  if (!changed && rendered) return;
  const all = reader.publishedStatistics();
  const failed = reader.failedJobs();
  const pending = reader.pendingJobs();
  memberMap = await members(api);
  k = minCohortSize(api);
  const blocks = [...all.map((s) => s.published.publishedAt), ...failed.map((j) => j.status.at ?? j.deadline)];
  const missing = [...new Set(blocks)].filter((b) => !times.has(b));
  await Promise.all(missing.map(async (b) => times.set(b, await timestampAt(api, b).catch(() => NaN))));
  for (const [b, t] of times) if (!Number.isFinite(t)) times.delete(b);
  rendered = true;
  charts.splice(0).forEach((c) => c.destroy());
  const groups = series(all);
  fill(
    $('trends-body'),
    groups.length
      ? groups.map(trend)
      : h('p', {}, all.length ? 'No series yet: a trend appears once the same statistic is published again.' : 'No statistic has been published yet.'),
  );
  const inProgress = pending.length
    ? h('p', { className: 'hint' }, `${pending.length} more statistic${pending.length > 1 ? 's are' : ' is'} being computed by the aggregators (job${pending.length > 1 ? 's' : ''} ${pending.map((j) => j.id).join(', ')}).`)
    : null;
  fill(
    $('published-body'),
    all.length
      ? [h('p', { className: 'hint' }, `${all.length} statistic${all.length > 1 ? 's' : ''} published, newest first. Every value carries random noise (differential privacy): small counts may even be below zero.`), inProgress, ...[...all].reverse().map(card)]
      : [h('p', {}, 'No statistic has been published yet. Statistics appear here as soon as the chain publishes them.'), inProgress],
  );
  fill(
    $('failed-body'),
    failed.length
      ? [h('p', { className: 'hint' }, `${failed.length} statistic${failed.length > 1 ? 's' : ''} not published, newest first. Nothing partial is ever published.`), ...[...failed].reverse().map(failedCard)]
      : h('p', {}, 'Every statistic requested so far was published or is still being computed.'),
  );
  status(`${all.length} published statistic${all.length === 1 ? '' : 's'}, ${failed.length} not published, as of block ${block.toLocaleString('en')}.`);
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
      if (!rendered) for (const id of ['trends-body', 'published-body', 'failed-body']) fill($(id), h('p', {}, 'The statistics appear once the portal reaches the node.'));
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
        if ($('alert').textContent?.startsWith('Reading the statistics failed')) alertError('');
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
