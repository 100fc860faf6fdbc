/**
 * Cohort statistics of pallet `Statistics` (Prio3 with differential privacy; primitives
 * `statistics.rs`): storage decoded to plain objects (`Schemas`, `Jobs`, `PublishedStatistics`),
 * the values a person reads per kind (count, sums, means = noisy sum / noisy count, histogram
 * buckets "[lo, hi)"), the privacy parameters in words (ε, the noise's standard deviation, how
 * many aggregators), why a job failed, and series of the same purpose/category/kind/field over
 * successive publications. `StatisticsReader` keeps them up to date block by block.
 */
import type { ApiPromise } from '@polkadot/api';
import { hexToU8a } from '@polkadot/util';
import { variant } from './chain';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

/** One field of a statistic schema. */
export interface SchemaField {
  /** Its index in the schema. */
  index: number;
  /** Its name as registered, e.g. `heart_rate`. */
  name: string;
  /** Its unit as registered (UCUM where one exists), e.g. `/min`. */
  unit: string;
  /** The largest value a report may carry (the proof enforces 0 ≤ value ≤ max). */
  max: number;
  /** Histogram bucket boundaries, strictly increasing; null when the field has no histogram. */
  buckets: number[] | null;
}

/** A registered statistic schema. */
export interface Schema {
  id: number;
  category: string;
  fields: SchemaField[];
  registeredAt: number;
  superseded: boolean;
}

export type KindName = 'Count' | 'Sum' | 'Mean' | 'Histogram';

/** What was asked: a kind and the schema fields it covers (none for a count). */
export interface StatisticKind {
  name: KindName | string;
  fields: number[];
}

/** Why a job failed (`StatisticFailure`). */
export interface Failure {
  name: 'CohortTooSmall' | 'SharesDisagree' | 'Timeout' | string;
  /** CohortTooSmall: the reports the aggregators summed. */
  reports?: number;
  /** Timeout: how many aggregators had not submitted. */
  missing?: number;
}

/** Where a job stands (`StatisticStatus`). */
export interface JobStatus {
  name: 'AwaitingShares' | 'Published' | 'Failed' | string;
  /** Published / Failed: the block. */
  at: number | null;
  /** Failed: why. */
  reason: Failure | null;
}

/** A statistic job (`StatisticJob`). */
export interface StatisticJob {
  id: number;
  requester: string;
  schema: number;
  category: string;
  kind: StatisticKind;
  purpose: string;
  epoch: number;
  /** ε in thousandths. */
  epsilonMillis: number;
  requestedAt: number;
  deadline: number;
  status: JobStatus;
}

/** The noise one segment of a published statistic's values carries. */
export interface NoiseSegment {
  /** How many values (in order) it covers. */
  values: number;
  /** L1 sensitivity. */
  sensitivity: number;
  /** ε of the segment, in thousandths. */
  epsilonMillis: number;
  /** Standard deviation of the total noise of each value (all aggregators), in thousandths. */
  totalStdDevMillis: number;
}

/** What the chain published for a job (`PublishedStatistic`). */
export interface Published {
  /** Verified reports summed: the cohort size (exact, compared with k). */
  reports: number;
  /** The noisy values, in the order the kind documents. */
  values: number[];
  epsilonMillis: number;
  /** Number of aggregators, each of which added its own noise. */
  aggregators: number;
  noise: NoiseSegment[];
  publishedAt: number;
}

/** A published statistic with its job and the schema fields it covers. */
export interface PublishedStatistic {
  job: StatisticJob;
  published: Published;
  /** The job's schema (null if the chain no longer has it). */
  schema: Schema | null;
  /** The kind's fields, resolved against the schema. */
  fields: SchemaField[];
}

// ---------------------------------------------------------------------------------------------
// Decoding (codecs from @polkadot/api, or their `toPrimitive()` form)

const prim = (codec: Any): Any => (codec && typeof codec.toPrimitive === 'function' ? codec.toPrimitive() : codec);
const num = (v: Any): number => (v === null || v === undefined ? 0 : Number(v));
/** A newtype such as `EpsilonMillis(u32)`: metadata makes it a bare u32; accept `[n]` too. */
const inner = (v: Any): number => num(Array.isArray(v) ? v[0] : v && typeof v === 'object' ? Object.values(v)[0] : v);

/**
 * `Bytes` as text. `toPrimitive()` gives printable ASCII as a string and anything else as hex,
 * so hex is read back as UTF-8 (e.g. a unit `°C`); bytes that are not UTF-8 stay hex.
 */
export function bytesText(v: Any): string {
  if (v && typeof v.toUtf8 === 'function' && typeof v.toU8a === 'function') v = v.toPrimitive();
  if (typeof v !== 'string') return v === null || v === undefined ? '' : String(v);
  if (v === '0x') return '';
  if (/^0x(?:[0-9a-f]{2})+$/i.test(v)) {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(hexToU8a(v));
    } catch {
      return v;
    }
  }
  return v;
}

function decodeKind(v: Any): StatisticKind {
  const k = variant(v);
  return { name: k.name, fields: Array.isArray(k.value) ? k.value.map(Number) : [] };
}

function decodeFailure(v: Any): Failure {
  const f = variant(v);
  const out: Failure = { name: f.name };
  if (f.value && typeof f.value === 'object') {
    if (f.value.reports !== undefined) out.reports = num(f.value.reports);
    if (f.value.missing !== undefined) out.missing = num(f.value.missing);
  }
  return out;
}

function decodeStatus(v: Any): JobStatus {
  const s = variant(v);
  const value = s.value && typeof s.value === 'object' ? s.value : {};
  return {
    name: s.name,
    at: value.at === undefined ? null : num(value.at),
    reason: s.name === 'Failed' && value.reason !== undefined ? decodeFailure(value.reason) : null,
  };
}

/** `Schemas(id)` → `SchemaInfo`. */
export function decodeSchema(id: number, codec: Any): Schema {
  const p = prim(codec);
  const fields = (p.schema?.fields ?? []) as Any[];
  return {
    id,
    category: String(p.schema?.category),
    fields: fields.map((f, index) => ({
      index,
      name: bytesText(f.name),
      unit: bytesText(f.unit),
      max: num(f.max),
      buckets: f.buckets === null || f.buckets === undefined ? null : (f.buckets as Any[]).map(Number),
    })),
    registeredAt: num(p.registeredAt),
    superseded: Boolean(p.superseded),
  };
}

/** `Jobs(id)` → `StatisticJob`. */
export function decodeJob(id: number, codec: Any): StatisticJob {
  const p = prim(codec);
  return {
    id,
    requester: String(p.requester),
    schema: num(p.schema),
    category: String(p.category),
    kind: decodeKind(p.kind),
    purpose: String(p.purpose),
    epoch: num(p.epoch),
    epsilonMillis: inner(p.epsilon),
    requestedAt: num(p.requestedAt),
    deadline: num(p.deadline),
    status: decodeStatus(p.status),
  };
}

/** `PublishedStatistics(job)` → `PublishedStatistic` (i128 values may be negative: noise). */
export function decodePublished(codec: Any): Published {
  const p = prim(codec);
  return {
    reports: num(p.reports),
    values: ((p.values ?? []) as Any[]).map(Number),
    epsilonMillis: inner(p.epsilon),
    aggregators: num(p.aggregators),
    noise: ((p.noise ?? []) as Any[]).map((s) => ({
      values: num(s.values),
      sensitivity: num(s.sensitivity),
      epsilonMillis: inner(s.epsilon),
      totalStdDevMillis: num(s.totalStdDevMillis),
    })),
    publishedAt: num(p.publishedAt),
  };
}

/** The schema fields a kind lists (unknown indices get a placeholder). */
export function kindFields(kind: StatisticKind, schema: Schema | null): SchemaField[] {
  return kind.fields.map((i) => schema?.fields[i] ?? { index: i, name: `field ${i}`, unit: '', max: 0, buckets: null });
}

// ---------------------------------------------------------------------------------------------
// Words and numbers

const UNIT_WORDS: Record<string, string> = {
  a: 'years',
  mo: 'months',
  wk: 'weeks',
  d: 'days',
  h: 'hours',
  min: 'minutes',
  s: 'seconds',
  'mm[Hg]': 'mmHg',
  Cel: '°C',
  '[degF]': '°F',
  '1': '',
  'kg/m2': 'kg/m²',
};

/** A UCUM unit for people: `a` → "years", `mm[Hg]` → "mmHg", `{steps}` → "steps"; others as they are. */
export function unitText(unit: string): string {
  if (unit in UNIT_WORDS) return UNIT_WORDS[unit]!;
  const annotation = /^\{(.+)\}$/.exec(unit);
  return annotation ? annotation[1]! : unit;
}

/** A field's name for people: `heart_rate` → "heart rate". */
export const fieldName = (f: SchemaField): string => f.name.replace(/_/g, ' ');

/** "heart rate (/min)", or just the name when the field has no unit. */
export function fieldText(f: SchemaField): string {
  const u = unitText(f.unit);
  return u ? `${fieldName(f)} (${u})` : fieldName(f);
}

/** "a, b and c". */
export function listText(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

const KIND_WORDS: Record<string, string> = { Count: 'Count', Sum: 'Sum', Mean: 'Mean (average)', Histogram: 'Histogram' };

/** "Count of people", "Mean (average) of heart rate (/min)", "Histogram of heart rate (/min) and age (years)". */
export function kindText(kind: StatisticKind, fields: SchemaField[]): string {
  if (kind.name === 'Count') return 'Count of people';
  return `${KIND_WORDS[kind.name] ?? kind.name} of ${listText(fields.map(fieldText))}`;
}

/** ε = millis / 1000, e.g. 500 → "0.5". */
export const epsilonText = (millis: number): string => (millis / 1000).toLocaleString('en', { maximumFractionDigits: 3 });

/** A number for people: integers grouped, others to at most `digits` decimals. */
export function fmt(n: number | null | undefined, digits = 2): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  return Number.isInteger(n) ? n.toLocaleString('en') : n.toLocaleString('en', { maximumFractionDigits: digits });
}

/** A standard deviation given in thousandths: 1 decimal below 100, none above. */
export function stdDevText(millis: number): string {
  const x = millis / 1000;
  return x.toLocaleString('en', { maximumFractionDigits: x >= 100 ? 0 : x >= 1 ? 1 : 3 });
}

/** Each bucket's range: [0, b0), [b0, b1), …, [b_last, max]. Values are 0 … max. */
export function bucketRanges(field: Pick<SchemaField, 'buckets' | 'max'>): { lo: number; hi: number; last: boolean }[] {
  const b = field.buckets ?? [];
  const edges = [0, ...b];
  return edges.map((lo, i) => (i < b.length ? { lo, hi: b[i]!, last: false } : { lo, hi: Math.max(field.max, lo), last: true }));
}

/** Bucket labels in the field's unit: "[0, 60) /min", "[60, 100) /min", "[100, 250] /min". */
export function bucketLabels(field: Pick<SchemaField, 'buckets' | 'max' | 'unit'>): string[] {
  const u = unitText(field.unit);
  return bucketRanges(field).map(({ lo, hi, last }) => `[${lo.toLocaleString('en')}, ${hi.toLocaleString('en')}${last ? ']' : ')'}${u ? ` ${u}` : ''}`);
}

/** How many values a kind publishes over these fields (`value_count` of the pallet). */
export function expectedValueCount(kind: StatisticKind, fields: SchemaField[]): number {
  switch (kind.name) {
    case 'Count':
      return 1;
    case 'Sum':
      return fields.length;
    case 'Mean':
      return fields.length + 1;
    case 'Histogram':
      return fields.reduce((n, f) => n + (f.buckets?.length ?? 0) + 1, 0);
    default:
      return -1;
  }
}

/** A name for each published value, in order: "count", "sum of heart rate", "heart rate [60, 100) /min". */
export function valueLabels(kind: StatisticKind, fields: SchemaField[]): string[] {
  switch (kind.name) {
    case 'Count':
      return ['count'];
    case 'Sum':
      return fields.map((f) => `sum of ${fieldName(f)}`);
    case 'Mean':
      return [...fields.map((f) => `sum of ${fieldName(f)}`), 'count'];
    case 'Histogram':
      return fields.flatMap((f) => bucketLabels(f).map((l) => `${fieldName(f)} ${l}`));
    default:
      return [];
  }
}

/**
 * The mean a person reads: the noisy sum over the number of reports summed, undefined (null)
 * when there are none. The number of reports is exact and public (the cohort is on chain), so
 * dividing by the noisy count would only add noise.
 */
export const meanOf = (sum: number, reports: number): number | null => (reports > 0 ? sum / reports : null);

/** What the values say, per kind. */
export type Reading =
  | { kind: 'Count'; count: number }
  | { kind: 'Sum'; field: SchemaField; sum: number }
  | { kind: 'Mean'; field: SchemaField; sum: number; count: number; reports: number; mean: number | null }
  | { kind: 'Histogram'; field: SchemaField; buckets: { label: string; count: number }[] };

/**
 * The values mapped to what they mean: Count → [count]; Sum → one sum per field; Mean → one sum
 * per field then the (noisy) count, the mean being each sum over the exact number of `reports`;
 * Histogram → each field's bucket counts in turn. Null when the number of values does not match
 * the kind and schema (then show the raw values).
 */
export function readings(kind: StatisticKind, fields: SchemaField[], values: number[], reports: number): Reading[] | null {
  if (expectedValueCount(kind, fields) !== values.length) return null;
  switch (kind.name) {
    case 'Count':
      return [{ kind: 'Count', count: values[0]! }];
    case 'Sum':
      return fields.map((field, i) => ({ kind: 'Sum', field, sum: values[i]! }));
    case 'Mean': {
      const count = values[fields.length]!;
      return fields.map((field, i) => ({ kind: 'Mean', field, sum: values[i]!, count, reports, mean: meanOf(values[i]!, reports) }));
    }
    case 'Histogram': {
      let at = 0;
      return fields.map((field) => {
        const labels = bucketLabels(field);
        const buckets = labels.map((label, i) => ({ label, count: values[at + i]! }));
        at += labels.length;
        return { kind: 'Histogram', field, buckets };
      });
    }
    default:
      return null;
  }
}

/** The standard deviation of each value's noise, in thousandths (from the segments, in order). */
export function valueNoiseMillis(noise: NoiseSegment[], count: number): (number | null)[] {
  const out: (number | null)[] = [];
  for (const s of noise) for (let i = 0; i < s.values; i++) out.push(s.totalStdDevMillis);
  return Array.from({ length: count }, (_, i) => out[i] ?? null);
}

/**
 * The privacy line: "ε = 0.5, differential privacy: each value carries noise of standard
 * deviation ±12.3". When segments differ (a mean's sums and count), each says which values it
 * covers: "… ±1,020 (sum of heart rate), ±16 (count)".
 */
export function noiseText(s: Pick<PublishedStatistic, 'published' | 'job' | 'fields'>): string {
  const head = `ε = ${epsilonText(s.published.epsilonMillis)}, differential privacy`;
  const segments = s.published.noise;
  if (!segments.length) return `${head}: the noise is not described`;
  const distinct = new Set(segments.map((g) => g.totalStdDevMillis));
  if (distinct.size === 1) return `${head}: each value carries noise of standard deviation ±${stdDevText(segments[0]!.totalStdDevMillis)}`;
  const labels = valueLabels(s.job.kind, s.fields);
  let at = 0;
  const parts = segments.map((g) => {
    const covered = labels.slice(at, at + g.values);
    at += g.values;
    const what = covered.length === 0 ? `${g.values} values` : covered.length <= 3 ? covered.join(', ') : `${covered[0]} … ${covered[covered.length - 1]}`;
    return `±${stdDevText(g.totalStdDevMillis)} (${what})`;
  });
  return `${head}: each value carries noise of standard deviation ${parts.join(', ')}`;
}

/** "private while any one of 2 aggregators is honest". */
export function aggregatorsText(n: number): string {
  if (n === 1) return 'private only while its single aggregator is honest';
  return `private while any one of ${n.toLocaleString('en')} aggregators is honest`;
}

/** Why a job published nothing, in words. `k` is the runtime's smallest cohort when known. */
export function failureText(reason: Failure | null, k?: number | null): string {
  if (!reason) return 'not published';
  switch (reason.name) {
    case 'CohortTooSmall': {
      const r = reason.reports ?? 0;
      return `not published: fewer than ${k ?? 'k'} people (${r.toLocaleString('en')} report${r === 1 ? '' : 's'})`;
    }
    case 'SharesDisagree':
      return 'not published: the aggregators disagreed';
    case 'Timeout': {
      const m = reason.missing ?? 0;
      return `not published: ${m > 1 ? 'aggregators' : 'an aggregator'} did not answer in time (${m.toLocaleString('en')} missing)`;
    }
    default:
      return `not published: ${reason.name}`;
  }
}

// ---------------------------------------------------------------------------------------------
// Series

export interface SeriesPoint {
  stat: PublishedStatistic;
  /** The count, the field's sum, or the field's mean (null when undefined). */
  value: number | null;
}

export interface Series {
  key: string;
  kind: string;
  purpose: string;
  category: string;
  /** The field (null for a count). */
  field: SchemaField | null;
  points: SeriesPoint[];
}

/** "Mean (average) of heart rate (/min)". */
export function seriesName(s: Series): string {
  return kindText({ name: s.kind, fields: s.field ? [s.field.index] : [] }, s.field ? [s.field] : []);
}

/**
 * Counts, sums and means grouped by purpose, category, kind and field (by name and unit, so a
 * newer schema of the category continues the series), oldest first; only groups of two or more
 * publications. A sum or mean of several fields feeds one series per field.
 */
export function series(all: PublishedStatistic[]): Series[] {
  const groups = new Map<string, Series>();
  const add = (s: PublishedStatistic, field: SchemaField | null, value: number | null) => {
    const key = [s.job.purpose, s.job.category, s.job.kind.name, field ? `${field.name}|${field.unit}` : ''].join('|');
    const g = groups.get(key) ?? { key, kind: s.job.kind.name, purpose: s.job.purpose, category: s.job.category, field, points: [] };
    g.points.push({ stat: s, value });
    groups.set(key, g);
  };
  const sorted = [...all].sort((a, b) => a.published.publishedAt - b.published.publishedAt || a.job.id - b.job.id);
  for (const s of sorted) {
    const r = readings(s.job.kind, s.fields, s.published.values, s.published.reports);
    if (!r) continue;
    for (const x of r) {
      if (x.kind === 'Count') add(s, null, x.count);
      else if (x.kind === 'Sum') add(s, x.field, x.sum);
      else if (x.kind === 'Mean') add(s, x.field, x.mean);
    }
  }
  return [...groups.values()].filter((g) => g.points.length >= 2);
}

// ---------------------------------------------------------------------------------------------
// Reading the chain

/** The smallest cohort a statistic may be published for (k), when the runtime exposes it. */
export function minCohortSize(api: ApiPromise): number | null {
  const c = (api.consts as Any).statistics?.minCohortSize;
  return c ? Number(c.toString()) : null;
}

/**
 * Keeps the Statistics pallet's jobs, published statistics and schemas, reading only what changed:
 * the first `refresh` reads every job; later ones read the jobs created since (`NextJobId`) and
 * those still awaiting shares, then the published values and schemas not yet known.
 */
export class StatisticsReader {
  readonly jobs = new Map<number, StatisticJob>();
  readonly published = new Map<number, Published>();
  readonly schemas = new Map<number, Schema>();
  private loaded = false;

  /** Reads what changed; resolves with whether anything did. */
  async refresh(api: ApiPromise): Promise<boolean> {
    const q = (api.query as Any).statistics;
    if (!q?.jobs) throw new Error('This chain has no Statistics pallet: its runtime predates Prio3 statistics.');
    let changed = false;
    const seen = (id: number, codec: Any) => {
      const job = decodeJob(id, codec);
      const before = this.jobs.get(id);
      if (!before || JSON.stringify(before.status) !== JSON.stringify(job.status)) changed = true;
      this.jobs.set(id, job);
    };
    if (!this.loaded) {
      for (const [key, value] of (await q.jobs.entries()) as [Any, Any][]) {
        if (value.isSome) seen(Number(key.args[0].toString()), value.unwrap());
      }
      this.loaded = true;
      changed = true;
    } else {
      const next = Number(((await q.nextJobId()) as Any).toString());
      const known = this.jobs.size ? Math.max(...this.jobs.keys()) : -1;
      const ids = [...[...this.jobs.values()].filter((j) => j.status.name === 'AwaitingShares').map((j) => j.id)];
      for (let id = known + 1; id < next; id++) ids.push(id);
      if (ids.length) {
        const values = (await q.jobs.multi(ids)) as Any[];
        values.forEach((v, i) => v.isSome && seen(ids[i]!, v.unwrap()));
      }
    }
    const toRead = [...this.jobs.values()].filter((j) => j.status.name === 'Published' && !this.published.has(j.id)).map((j) => j.id);
    if (toRead.length) {
      const values = (await q.publishedStatistics.multi(toRead)) as Any[];
      values.forEach((v, i) => {
        if (v.isSome) {
          this.published.set(toRead[i]!, decodePublished(v.unwrap()));
          changed = true;
        }
      });
    }
    const schemaIds = [...new Set([...this.jobs.values()].map((j) => j.schema))].filter((id) => !this.schemas.has(id));
    if (schemaIds.length) {
      const values = (await q.schemas.multi(schemaIds)) as Any[];
      values.forEach((v, i) => {
        if (v.isSome) {
          this.schemas.set(schemaIds[i]!, decodeSchema(schemaIds[i]!, v.unwrap()));
          changed = true;
        }
      });
    }
    return changed;
  }

  /** Published statistics, oldest first. */
  publishedStatistics(): PublishedStatistic[] {
    return [...this.jobs.values()]
      .filter((j) => this.published.has(j.id))
      .map((job) => {
        const schema = this.schemas.get(job.schema) ?? null;
        return { job, published: this.published.get(job.id)!, schema, fields: kindFields(job.kind, schema) };
      })
      .sort((a, b) => a.published.publishedAt - b.published.publishedAt || a.job.id - b.job.id);
  }

  /** Failed jobs, oldest first. */
  failedJobs(): StatisticJob[] {
    return [...this.jobs.values()].filter((j) => j.status.name === 'Failed').sort((a, b) => (a.status.at ?? 0) - (b.status.at ?? 0) || a.id - b.id);
  }

  /** Jobs still awaiting the aggregators' shares. */
  pendingJobs(): StatisticJob[] {
    return [...this.jobs.values()].filter((j) => j.status.name === 'AwaitingShares').sort((a, b) => a.id - b.id);
  }
}
