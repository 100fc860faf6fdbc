import { describe, expect, it } from 'vitest';
import { TypeRegistry } from '@polkadot/types';
import { CATEGORIES, PURPOSES } from '../src/lib/codes';
import {
  aggregatorsText,
  bucketLabels,
  bytesText,
  decodeJob,
  decodePublished,
  decodeSchema,
  epsilonText,
  expectedValueCount,
  failureText,
  fieldText,
  kindFields,
  kindText,
  meanOf,
  noiseText,
  readings,
  series,
  seriesName,
  StatisticsReader,
  unitText,
  valueLabels,
  valueNoiseMillis,
  type PublishedStatistic,
  type Schema,
  type SchemaField,
} from '../src/lib/statistics';

// pallet-statistics' types as @polkadot/api builds them from metadata: field names camelCase,
// `EpsilonMillis(u32)` (a one-field tuple struct) a bare u32.
const registry = new TypeRegistry();
registry.register({
  PurposeOfUse: { _enum: PURPOSES.map((p) => p.code) },
  DataCategory: { _enum: CATEGORIES.map((c) => c.name) },
  EpsilonMillis: 'u32',
  SchemaField: { name: 'Bytes', unit: 'Bytes', max: 'u64', buckets: 'Option<Vec<u64>>' },
  StatisticSchema: { category: 'DataCategory', fields: 'Vec<SchemaField>' },
  SchemaInfo: { schema: 'StatisticSchema', registeredAt: 'u32', superseded: 'bool' },
  StatisticKind: { _enum: { Count: 'Null', Sum: 'Vec<u16>', Mean: 'Vec<u16>', Histogram: 'Vec<u16>' } },
  StatisticFailure: { _enum: { CohortTooSmall: { reports: 'u32' }, SharesDisagree: 'Null', Timeout: { missing: 'u32' } } },
  StatisticStatus: { _enum: { AwaitingShares: 'Null', Published: { at: 'u32' }, Failed: { reason: 'StatisticFailure', at: 'u32' } } },
  StatisticJob: {
    requester: 'AccountId32', schema: 'u32', category: 'DataCategory', kind: 'StatisticKind', purpose: 'PurposeOfUse', epoch: 'u32',
    epsilon: 'EpsilonMillis', requestedAt: 'u32', deadline: 'u32', status: 'StatisticStatus',
  },
  NoiseSegment: { values: 'u16', sensitivity: 'u128', epsilon: 'EpsilonMillis', totalStdDevMillis: 'u64' },
  PublishedStatistic: { reports: 'u32', values: 'Vec<i128>', epsilon: 'EpsilonMillis', aggregators: 'u32', noise: 'Vec<NoiseSegment>', publishedAt: 'u32' },
});
const BOB = '5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty';

const schemaCodec = () => registry.createType('SchemaInfo', {
  schema: {
    category: 'WearableReadings',
    fields: [
      { name: 'heart_rate', unit: '/min', max: 250, buckets: [60, 100] },
      { name: 'steps', unit: '{steps}', max: 100_000, buckets: null },
      { name: 'skin_temperature', unit: '°C', max: 45, buckets: [35, 38] },
    ],
  },
  registeredAt: 3,
  superseded: false,
});
const job = (kind: unknown, status: unknown = { Published: { at: 40 } }) => registry.createType('StatisticJob', {
  requester: BOB, schema: 0, category: 'WearableReadings', kind, purpose: 'PUBHLTH', epoch: 1, epsilon: 500, requestedAt: 30, deadline: 130, status,
});
const schema: Schema = decodeSchema(0, schemaCodec());
const [heart, steps, temperature] = schema.fields as [SchemaField, SchemaField, SchemaField];

/** A published statistic of `kind` over `fields` of the schema above. */
function stat(id: number, kind: unknown, values: number[], noise: { values: number; totalStdDevMillis: number }[], publishedAt = 40): PublishedStatistic {
  const j = { ...decodeJob(id, job(kind)), id };
  return {
    job: j,
    published: {
      reports: 52, values, epsilonMillis: 500, aggregators: 2, publishedAt,
      noise: noise.map((n) => ({ ...n, sensitivity: 2, epsilonMillis: 250 })),
    },
    schema,
    fields: kindFields(j.kind, schema),
  };
}

describe('decoding pallet Statistics storage', () => {
  it('a schema: names and units as text (also non-ASCII), buckets optional', () => {
    expect(schema).toEqual({
      id: 0, category: 'WearableReadings', registeredAt: 3, superseded: false,
      fields: [
        { index: 0, name: 'heart_rate', unit: '/min', max: 250, buckets: [60, 100] },
        { index: 1, name: 'steps', unit: '{steps}', max: 100_000, buckets: null },
        { index: 2, name: 'skin_temperature', unit: '°C', max: 45, buckets: [35, 38] },
      ],
    });
    expect(bytesText('0xff00')).toBe('0xff00');
    expect(bytesText('0x')).toBe('');
    expect(bytesText(registry.createType('Bytes', '0xc2b043'))).toBe('°C');
  });
  it('a job of each kind and status', () => {
    const j = decodeJob(7, job({ Mean: [0, 1] }));
    expect(j).toEqual({
      id: 7, requester: BOB, schema: 0, category: 'WearableReadings', kind: { name: 'Mean', fields: [0, 1] }, purpose: 'PUBHLTH', epoch: 1,
      epsilonMillis: 500, requestedAt: 30, deadline: 130, status: { name: 'Published', at: 40, reason: null },
    });
    expect(decodeJob(1, job('Count')).kind).toEqual({ name: 'Count', fields: [] });
    expect(decodeJob(1, job({ Sum: [2] })).kind).toEqual({ name: 'Sum', fields: [2] });
    expect(decodeJob(1, job({ Histogram: [0, 2] })).kind).toEqual({ name: 'Histogram', fields: [0, 2] });
    expect(decodeJob(1, job('Count', 'AwaitingShares')).status).toEqual({ name: 'AwaitingShares', at: null, reason: null });
    expect(decodeJob(1, job('Count', { Failed: { reason: { CohortTooSmall: { reports: 7 } }, at: 50 } })).status).toEqual({ name: 'Failed', at: 50, reason: { name: 'CohortTooSmall', reports: 7 } });
    expect(decodeJob(1, job('Count', { Failed: { reason: 'SharesDisagree', at: 50 } })).status.reason).toEqual({ name: 'SharesDisagree' });
    expect(decodeJob(1, job('Count', { Failed: { reason: { Timeout: { missing: 1 } }, at: 131 } })).status.reason).toEqual({ name: 'Timeout', missing: 1 });
  });
  it('a published statistic: negative (noisy) i128 values, u128 sensitivity, noise segments', () => {
    const p = decodePublished(registry.createType('PublishedStatistic', {
      reports: 52, values: [3765, -2, 51], epsilon: 1000, aggregators: 2, publishedAt: 40,
      noise: [{ values: 2, sensitivity: 255, epsilon: 500, totalStdDevMillis: 1_020_400 }, { values: 1, sensitivity: 2, epsilon: 500, totalStdDevMillis: 5_700 }],
    }));
    expect(p).toEqual({
      reports: 52, values: [3765, -2, 51], epsilonMillis: 1000, aggregators: 2, publishedAt: 40,
      noise: [{ values: 2, sensitivity: 255, epsilonMillis: 500, totalStdDevMillis: 1_020_400 }, { values: 1, sensitivity: 2, epsilonMillis: 500, totalStdDevMillis: 5_700 }],
    });
    const big = decodePublished(registry.createType('PublishedStatistic', { reports: 1, values: ['-12345678901234567890'], epsilon: 1, aggregators: 2, publishedAt: 1, noise: [] }));
    expect(big.values[0]).toBeCloseTo(-12345678901234567890, -5);
  });
  it('a kind listing a field the schema lacks still reads', () => {
    expect(kindFields({ name: 'Sum', fields: [9] }, schema)[0]).toMatchObject({ index: 9, name: 'field 9' });
    expect(kindFields({ name: 'Sum', fields: [0] }, null)[0]!.name).toBe('field 0');
  });
});

describe('values per kind', () => {
  it('count: one value', () => {
    expect(expectedValueCount({ name: 'Count', fields: [] }, [])).toBe(1);
    expect(readings({ name: 'Count', fields: [] }, [], [53], 53)).toEqual([{ kind: 'Count', count: 53 }]);
    expect(valueLabels({ name: 'Count', fields: [] }, [])).toEqual(['count']);
  });
  it('sum: one value per listed field', () => {
    const r = readings({ name: 'Sum', fields: [0, 1] }, [heart, steps], [3765, 410_000], 52);
    expect(r).toEqual([{ kind: 'Sum', field: heart, sum: 3765 }, { kind: 'Sum', field: steps, sum: 410_000 }]);
    expect(valueLabels({ name: 'Sum', fields: [0, 1] }, [heart, steps])).toEqual(['sum of heart rate', 'sum of steps']);
  });
  it('mean: the sums then the noisy count; the mean is each sum over the exact number of reports, undefined with none', () => {
    const r = readings({ name: 'Mean', fields: [0, 1] }, [heart, steps], [3770, 416_000, 49], 52);
    expect(r).toEqual([
      { kind: 'Mean', field: heart, sum: 3770, count: 49, reports: 52, mean: 3770 / 52 },
      { kind: 'Mean', field: steps, sum: 416_000, count: 49, reports: 52, mean: 8000 },
    ]);
    expect(meanOf(10, 0)).toBeNull();
    expect(readings({ name: 'Mean', fields: [0] }, [heart], [-40, -1], 0)).toEqual([{ kind: 'Mean', field: heart, sum: -40, count: -1, reports: 0, mean: null }]);
    expect(valueLabels({ name: 'Mean', fields: [0] }, [heart])).toEqual(['sum of heart rate', 'count']);
  });
  it('histogram: each field\'s buckets in turn (boundaries + 1 each), counts may be negative', () => {
    expect(expectedValueCount({ name: 'Histogram', fields: [0, 2] }, [heart, temperature])).toBe(6);
    const r = readings({ name: 'Histogram', fields: [0, 2] }, [heart, temperature], [4, 40, -1, 0, 50, 2], 45);
    expect(r).toEqual([
      { kind: 'Histogram', field: heart, buckets: [{ label: '[0, 60) /min', count: 4 }, { label: '[60, 100) /min', count: 40 }, { label: '[100, 250] /min', count: -1 }] },
      { kind: 'Histogram', field: temperature, buckets: [{ label: '[0, 35) °C', count: 0 }, { label: '[35, 38) °C', count: 50 }, { label: '[38, 45] °C', count: 2 }] },
    ]);
    expect(valueLabels({ name: 'Histogram', fields: [0] }, [heart])).toEqual(['heart rate [0, 60) /min', 'heart rate [60, 100) /min', 'heart rate [100, 250] /min']);
  });
  it('values that do not match the kind and schema are not mapped', () => {
    expect(readings({ name: 'Mean', fields: [0] }, [heart], [1], 1)).toBeNull();
    expect(readings({ name: 'Histogram', fields: [0] }, [heart], [1, 2], 1)).toBeNull();
    expect(readings({ name: 'Quantile', fields: [0] }, [heart], [1], 1)).toBeNull();
  });
});

describe('words', () => {
  it('bucket labels "[lo, hi)" in the field\'s unit, the last closed at the field\'s max', () => {
    expect(bucketLabels({ buckets: [60, 100], max: 250, unit: '/min' })).toEqual(['[0, 60) /min', '[60, 100) /min', '[100, 250] /min']);
    expect(bucketLabels({ buckets: [18, 65], max: 130, unit: 'a' })).toEqual(['[0, 18) years', '[18, 65) years', '[65, 130] years']);
    expect(bucketLabels({ buckets: [1000], max: 20000, unit: '' })).toEqual(['[0, 1,000)', '[1,000, 20,000]']);
    expect(bucketLabels({ buckets: null, max: 10, unit: '1' })).toEqual(['[0, 10]']);
  });
  it('units and kinds', () => {
    expect(unitText('mm[Hg]')).toBe('mmHg');
    expect(unitText('{steps}')).toBe('steps');
    expect(unitText('mg/dL')).toBe('mg/dL');
    expect(fieldText(heart)).toBe('heart rate (/min)');
    expect(kindText({ name: 'Count', fields: [] }, [])).toBe('Count of people');
    expect(kindText({ name: 'Mean', fields: [0] }, [heart])).toBe('Mean (average) of heart rate (/min)');
    expect(kindText({ name: 'Histogram', fields: [0, 1, 2] }, [heart, steps, temperature])).toBe('Histogram of heart rate (/min), steps (steps) and skin temperature (°C)');
  });
  it('ε and the noise each value carries', () => {
    expect(epsilonText(500)).toBe('0.5');
    expect(epsilonText(1000)).toBe('1');
    expect(epsilonText(1250)).toBe('1.25');
    const h = stat(1, { Histogram: [0] }, [4, 40, 8], [{ values: 3, totalStdDevMillis: 11_314 }]);
    expect(noiseText(h)).toBe('ε = 0.5, differential privacy: each value carries noise of standard deviation ±11.3');
    const m = stat(2, { Mean: [0] }, [3770, 52], [{ values: 1, totalStdDevMillis: 1_020_400 }, { values: 1, totalStdDevMillis: 16_000 }]);
    expect(noiseText(m)).toBe('ε = 0.5, differential privacy: each value carries noise of standard deviation ±1,020 (sum of heart rate), ±16 (count)');
    const two = stat(3, { Histogram: [0, 2] }, [1, 2, 3, 4, 5, 6], [{ values: 3, totalStdDevMillis: 16_000 }, { values: 3, totalStdDevMillis: 16_000 }]);
    expect(noiseText(two)).toBe('ε = 0.5, differential privacy: each value carries noise of standard deviation ±16');
    expect(noiseText(stat(4, 'Count', [5], []))).toBe('ε = 0.5, differential privacy: the noise is not described');
    expect(valueNoiseMillis(m.published.noise, 2)).toEqual([1_020_400, 16_000]);
    expect(valueNoiseMillis([], 2)).toEqual([null, null]);
  });
  it('aggregators', () => {
    expect(aggregatorsText(2)).toBe('private while any one of 2 aggregators is honest');
    expect(aggregatorsText(1)).toBe('private only while its single aggregator is honest');
  });
  it('why a job failed', () => {
    expect(failureText({ name: 'CohortTooSmall', reports: 7 }, 10)).toBe('not published: fewer than 10 people (7 reports)');
    expect(failureText({ name: 'CohortTooSmall', reports: 1 })).toBe('not published: fewer than k people (1 report)');
    expect(failureText({ name: 'Timeout', missing: 1 })).toBe('not published: an aggregator did not answer in time (1 missing)');
    expect(failureText({ name: 'Timeout', missing: 3 })).toBe('not published: aggregators did not answer in time (3 missing)');
    expect(failureText({ name: 'SharesDisagree' })).toBe('not published: the aggregators disagreed');
    expect(failureText({ name: 'Vetoed' })).toBe('not published: Vetoed');
  });
});

describe('series', () => {
  it('groups counts, sums and means by purpose, category, kind and field; two publications or more; histograms apart', () => {
    const all = [
      stat(1, { Mean: [0, 1] }, [3770, 416_000, 52], [], 40),
      stat(2, { Mean: [0] }, [3900, 50], [], 50),
      stat(3, { Histogram: [0] }, [1, 2, 3], [], 60),
      stat(4, 'Count', [52], [], 70),
      stat(5, { Mean: [0] }, [100, 0], [], 80),
    ];
    const g = series(all);
    expect(g.map((s) => s.key)).toEqual(['PUBHLTH|WearableReadings|Mean|heart_rate|/min']);
    expect(g[0]!.points.map((p) => [p.stat.job.id, p.value])).toEqual([[1, 3770 / 52], [2, 3900 / 52], [5, 100 / 52]]);
    expect(seriesName(g[0]!)).toBe('Mean (average) of heart rate (/min)');
    expect(series([...all, stat(6, 'Count', [60], [], 90)]).map((s) => s.key)).toContain('PUBHLTH|WearableReadings|Count|');
  });
});

describe('StatisticsReader', () => {
  /** A stand-in for api.query.statistics over a mutable chain state. */
  function fakeApi(state: { jobs: Map<number, unknown>; published: Map<number, unknown> }) {
    const reads: string[] = [];
    const opt = (type: string, v: unknown) => registry.createType(`Option<${type}>`, v ?? null);
    const statistics = {
      nextJobId: async () => { reads.push('nextJobId'); return registry.createType('u64', Math.max(-1, ...state.jobs.keys()) + 1); },
      jobs: Object.assign(async () => undefined, {
        entries: async () => { reads.push('jobs.entries'); return [...state.jobs].map(([id, v]) => [{ args: [registry.createType('u64', id)] }, opt('StatisticJob', v)]); },
        multi: async (ids: number[]) => { reads.push(`jobs.multi ${ids}`); return ids.map((id) => opt('StatisticJob', state.jobs.get(id))); },
      }),
      publishedStatistics: { multi: async (ids: number[]) => { reads.push(`published.multi ${ids}`); return ids.map((id) => opt('PublishedStatistic', state.published.get(id))); } },
      schemas: { multi: async (ids: number[]) => { reads.push(`schemas.multi ${ids}`); return ids.map((id) => opt('SchemaInfo', id === 0 ? schemaCodec() : null)); } },
    };
    return { api: { query: { statistics } } as never, reads };
  }
  const published = { reports: 52, values: [3770, 52], epsilon: 500, aggregators: 2, publishedAt: 40, noise: [{ values: 1, sensitivity: 255, epsilon: 250, totalStdDevMillis: 1_020_400 }, { values: 1, sensitivity: 2, epsilon: 250, totalStdDevMillis: 16_000 }] };

  it('reads everything once, then only new jobs and those still awaiting shares', async () => {
    const state = {
      jobs: new Map<number, unknown>([[0, job({ Mean: [0] }).toJSON()], [1, job('Count', { Failed: { reason: { CohortTooSmall: { reports: 7 } }, at: 35 } }).toJSON()], [2, job({ Histogram: [0] }, 'AwaitingShares').toJSON()]]),
      published: new Map<number, unknown>([[0, published]]),
    };
    const { api, reads } = fakeApi(state);
    const reader = new StatisticsReader();
    expect(await reader.refresh(api)).toBe(true);
    expect(reads).toEqual(['jobs.entries', 'published.multi 0', 'schemas.multi 0']);
    const [s] = reader.publishedStatistics();
    expect(s!.job.id).toBe(0);
    expect(s!.fields.map((f) => f.name)).toEqual(['heart_rate']);
    expect(readings(s!.job.kind, s!.fields, s!.published.values, s!.published.reports)).toEqual([{ kind: 'Mean', field: heart, sum: 3770, count: 52, reports: s!.published.reports, mean: 3770 / s!.published.reports }]);
    expect(reader.failedJobs().map((j) => [j.id, failureText(j.status.reason, 10)])).toEqual([[1, 'not published: fewer than 10 people (7 reports)']]);
    expect(reader.pendingJobs().map((j) => j.id)).toEqual([2]);

    reads.length = 0;
    expect(await reader.refresh(api)).toBe(false);
    expect(reads).toEqual(['nextJobId', 'jobs.multi 2']);

    state.jobs.set(2, job({ Histogram: [0] }, { Failed: { reason: { Timeout: { missing: 1 } }, at: 131 } }).toJSON());
    state.jobs.set(3, job({ Histogram: [0] }).toJSON());
    state.published.set(3, { ...published, values: [4, 40, 8], noise: [{ values: 3, sensitivity: 2, epsilon: 500, totalStdDevMillis: 11_314 }], publishedAt: 140 });
    reads.length = 0;
    expect(await reader.refresh(api)).toBe(true);
    expect(reads).toEqual(['nextJobId', 'jobs.multi 2,3', 'published.multi 3']);
    expect(reader.publishedStatistics().map((x) => x.job.id)).toEqual([0, 3]);
    expect(reader.failedJobs().map((j) => failureText(j.status.reason))).toEqual(['not published: fewer than k people (7 reports)', 'not published: an aggregator did not answer in time (1 missing)']);
    expect(reader.pendingJobs()).toEqual([]);
  });
  it('says so when the chain has no Statistics pallet', async () => {
    await expect(new StatisticsReader().refresh({ query: {} } as never)).rejects.toThrow(/no Statistics pallet/);
  });
});
