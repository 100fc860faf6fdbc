/**
 * Published statistics (pallet-fhe `PublishedStatistics` + their `Jobs`): decoding, the value a
 * person reads (a mean is sum / count), histogram buckets, privacy parameters as the chain
 * records them, and series of the same category/field/kind over successive publications.
 */
import type { ApiPromise } from '@polkadot/api';
import { variant } from './chain';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

export interface PublishedStatistic {
  job: number;
  purpose: string;
  category: string;
  field: number;
  kind: string;
  bounds: number[];
  cohortSize: number;
  values: number[];
  epoch: number;
  requestedAt: number;
  publishedAt: number;
  aggregateCid: string;
  requester: string | null;
  /** Privacy parameters the chain records (none today: exact values). */
  privacy: [string, string][];
}

const PRIVACY_FIELD = /epsilon|delta|noise|privacy|sensitivity|differential/i;

export function decodePublished(job: number, codec: Any, jobCodec: Any | null): PublishedStatistic {
  const p = codec.toPrimitive();
  const stat = variant(p.statistic);
  let aggregateCid = '';
  try {
    aggregateCid = codec.aggregate.cid.toUtf8();
  } catch {
    aggregateCid = String(p.aggregate?.cid ?? '');
  }
  const privacy: [string, string][] = Object.entries(p)
    .filter(([k]) => PRIVACY_FIELD.test(k))
    .map(([k, v]) => [k, typeof v === 'object' ? JSON.stringify(v) : String(v)]);
  return {
    job,
    purpose: String(p.purpose),
    category: String(p.category),
    field: Number(p.field),
    kind: stat.name,
    bounds: stat.name === 'Histogram' ? ((stat.value?.bounds ?? []) as Any[]).map(Number) : [],
    cohortSize: Number(p.cohortSize),
    values: (p.values as Any[]).map(Number),
    epoch: Number(p.epoch),
    requestedAt: Number(p.requestedAt),
    publishedAt: Number(p.publishedAt),
    aggregateCid,
    requester: jobCodec ? String(jobCodec.toPrimitive().requester) : null,
    privacy,
  };
}

/** Every published statistic with its job's requester, oldest first. */
export async function publishedStatistics(api: ApiPromise): Promise<PublishedStatistic[]> {
  const entries = await api.query.fhe.publishedStatistics.entries();
  const ids = entries.map(([key]) => Number(key.args[0]!.toString()));
  const jobs = ids.length ? ((await api.query.fhe.jobs.multi(ids)) as Any[]) : [];
  const out = entries.flatMap(([, value], i) => {
    const v = value as Any;
    if (!v.isSome) return [];
    const job = jobs[i]?.isSome ? jobs[i].unwrap() : null;
    return [decodePublished(ids[i]!, v.unwrap(), job)];
  });
  return out.sort((a, b) => a.publishedAt - b.publishedAt || a.job - b.job);
}

/** The single number a person reads: the count, the sum, or the mean (sum / count). */
export function headline(s: PublishedStatistic): number | null {
  if (s.kind === 'Count' || s.kind === 'Sum') return s.values[0] ?? null;
  if (s.kind === 'Mean') return s.values[1] ? s.values[0]! / s.values[1] : null;
  return null;
}

/** Histogram bucket labels: "< b0", "b0 to under b1", …, "≥ bn". */
export function bucketLabels(bounds: number[]): string[] {
  if (!bounds.length) return ['all values'];
  const labels = [`below ${bounds[0]}`];
  for (let i = 1; i < bounds.length; i++) labels.push(`${bounds[i - 1]} to under ${bounds[i]}`);
  labels.push(`${bounds[bounds.length - 1]} or more`);
  return labels;
}

/** Statistics grouped by purpose, category, field and kind (histograms by their bounds too). */
export function series(all: PublishedStatistic[]): Map<string, PublishedStatistic[]> {
  const groups = new Map<string, PublishedStatistic[]>();
  for (const s of all) {
    if (s.kind === 'Histogram') continue;
    const key = `${s.purpose}|${s.category}|${s.field}|${s.kind}`;
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  return groups;
}

/** Words for the privacy parameters. */
export function privacyText(s: PublishedStatistic): string {
  if (!s.privacy.length) return 'Exact value, no differential-privacy noise';
  return s.privacy.map(([k, v]) => `${k}: ${v}`).join(', ');
}
