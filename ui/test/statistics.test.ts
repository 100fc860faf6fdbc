import { describe, expect, it } from 'vitest';
import { bucketLabels, headline, privacyText, series, type PublishedStatistic } from '../src/lib/statistics';

const base: PublishedStatistic = {
  job: 1, purpose: 'PUBHLTH', category: 'WearableReadings', field: 0, kind: 'Mean', bounds: [], cohortSize: 20,
  values: [1450, 20], epoch: 0, requestedAt: 10, publishedAt: 30, aggregateCid: 'Qm', requester: null, privacy: [],
};

describe('statistics', () => {
  it('a mean reads as its quotient', () => {
    expect(headline(base)).toBe(72.5);
    expect(headline({ ...base, kind: 'Count', values: [20] })).toBe(20);
    expect(headline({ ...base, kind: 'Histogram', values: [1, 2] })).toBeNull();
  });
  it('labels histogram buckets', () => {
    expect(bucketLabels([60, 80])).toEqual(['below 60', '60 to under 80', '80 or more']);
  });
  it('says plainly when there is no noise', () => {
    expect(privacyText(base)).toBe('Exact value, no differential-privacy noise');
    expect(privacyText({ ...base, privacy: [['epsilon', '0.5']] })).toBe('epsilon: 0.5');
  });
  it('groups series by purpose, category, field and kind', () => {
    const g = series([base, { ...base, job: 2, publishedAt: 40 }, { ...base, job: 3, kind: 'Sum' }, { ...base, job: 4, kind: 'Histogram' }]);
    expect([...g.keys()]).toEqual(['PUBHLTH|WearableReadings|0|Mean', 'PUBHLTH|WearableReadings|0|Sum']);
    expect(g.get('PUBHLTH|WearableReadings|0|Mean')).toHaveLength(2);
  });
});
