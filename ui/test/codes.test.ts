import { describe, expect, it } from 'vitest';
import { CATEGORIES, PURPOSES, category, categoryText, purpose, purposeText } from '../src/lib/codes';
import { blockDate, blockTime, blocksDuration, daysToBlocks } from '../src/lib/time';

describe('codes', () => {
  it('has the 18 runtime categories in SCALE order', () => {
    expect(CATEGORIES).toHaveLength(18);
    CATEGORIES.forEach((c, i) => expect(c.index).toBe(i));
    expect(category('WearableReadings').loinc).toBe('8867-4');
    expect(category(17).name).toBe('RiskAssessments');
    expect(categoryText('LaboratoryResults')).toContain('Observation (laboratory), DiagnosticReport; LOINC 30954-2');
    expect(categoryText('Demographics')).toBe('Personal details (FHIR Patient)');
  });
  it('has the 12 HL7 purposes in SCALE order', () => {
    expect(PURPOSES.map((p) => p.code)).toEqual(['TREAT', 'ETREAT', 'CAREMGT', 'HRESCH', 'CLINTRCH', 'PUBHLTH', 'POPHLTH', 'HOPERAT', 'HPAYMT', 'PATRQT', 'FAMRQT', 'PWATRNY']);
    expect(purpose(5).code).toBe('PUBHLTH');
    expect(purposeText('TREAT')).toBe('TREAT — treatment: to provide care to you');
  });
  it('unknown codes still read', () => {
    expect(category('Future').label).toBe('Future');
    expect(purpose('NEW').code).toBe('NEW');
  });
});

describe('time', () => {
  it('estimates dates from a block and its timestamp', () => {
    const clock = { block: 100, timestamp: Date.UTC(2026, 0, 1) };
    expect(blockTime(clock, 110)).toBe(Date.UTC(2026, 0, 1) + 60_000);
    expect(blockTime(clock, 90)).toBe(Date.UTC(2026, 0, 1) - 60_000);
    expect(blockDate(clock, 200)).toMatch(/^block 200 \(≈ /);
    expect(blockDate(null, 5)).toBe('block 5');
    expect(blocksDuration(600)).toBe('600 blocks ≈ 60 minutes');
    expect(blocksDuration(14_400)).toBe('14,400 blocks ≈ 24 hours');
    expect(daysToBlocks(1)).toBe(14_400);
  });
});
