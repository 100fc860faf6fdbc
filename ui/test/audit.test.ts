import { describe, expect, it } from 'vitest';
import { EventIndex, grantTimeline, recordTimeline, requestTimeline, type IndexedEvent } from '../src/lib/audit';
import type { Grant } from '../src/lib/chain';

const ev = (block: number, section: string, method: string, data: Record<string, unknown>): IndexedEvent => ({ block, index: 0, section, method, data });
const name = (a: string) => (a === 'CLINIC' ? 'City Clinic' : a);

function index(): EventIndex {
  const i = new EventIndex();
  i.events.push(
    ev(2, 'vaults', 'RecordRegistered', { record: 0, owner: 'ME', cid: 'Qm1', categories: ['LaboratoryResults'], steward: 'ST' }),
    ev(3, 'consent', 'ConsentRequested', { request: 0, institution: 'CLINIC', subject: 'ME', scope: ['LaboratoryResults'], purpose: 'TREAT', period: { start: 3, end: 100 } }),
    ev(4, 'consent', 'ConsentGranted', { request: 0, grant: 0, subject: 'ME', institution: 'CLINIC', scope: ['LaboratoryResults'], purpose: 'TREAT', period: { start: 3, end: 50 }, by: 'ME' }),
    ev(5, 'vaults', 'VaultOpened', { vault: 0, grant: 0, record: 0, subject: 'ME', grantee: 'CLINIC', cid: 'Qm2', expiresAt: 17 }),
    ev(17, 'vaults', 'VaultExpired', { vault: 0, grant: 0 }),
    ev(18, 'vaults', 'UnpinConfirmed', { target: { vault: 0 }, steward: 'ST' }),
    ev(19, 'vaults', 'RemovalAttested', { vault: 0, grantee: 'CLINIC', cid: 'Qm2' }),
    ev(20, 'consent', 'ConsentRequested', { request: 1, institution: 'CLINIC', subject: 'ME', scope: ['Genomics'], purpose: 'HRESCH', period: { start: 20, end: 90 } }),
    ev(21, 'consent', 'ConsentDenied', { request: 1, subject: 'ME', institution: 'CLINIC', by: 'ME' }),
    ev(22, 'vaults', 'VaultOpened', { vault: 1, grant: 0, record: 0, subject: 'ME', grantee: 'CLINIC', cid: 'Qm3', expiresAt: 50 }),
    ev(23, 'consent', 'ConsentRevoked', { grant: 0, subject: 'ME', grantee: { institution: 'CLINIC' }, reason: { bySubject: { by: 'ME' } } }),
    ev(23, 'vaults', 'VaultClosed', { vault: 1, grant: 0, reason: 'GrantRevoked' }),
    ev(30, 'vaults', 'RecordRetired', { record: 0, owner: 'ME', vaultsClosed: 0 }),
    ev(31, 'vaults', 'UnpinConfirmed', { target: { record: 0 }, steward: 'ST' }),
  );
  i.timestamps.set(4, 1_700_000_000_000);
  return i;
}

const grant = (over: Partial<Grant> = {}): Grant => ({
  id: 0, subject: 'ME', institution: 'CLINIC', scope: ['LaboratoryResults'], purpose: 'TREAT', period: { start: 3, end: 50 },
  request: 0, grantedBy: 'ME', grantedAt: 4, status: { name: 'Active', value: null }, ...over,
});

describe('audit timelines', () => {
  it('a record: registered → opened → expired → unpinned → attested → … → retired → unpinned', () => {
    const steps = recordTimeline(index(), 0, name);
    expect(steps.map((s) => s.kind)).toEqual(['registered', 'opened', 'expired', 'unpinned', 'attested', 'opened', 'closed', 'retired', 'unpinned']);
    expect(steps[1]!.what).toContain('City Clinic');
    expect(steps[6]!.what).toContain('because the grant was revoked');
  });
  it('a grant: requested → granted → vaults → revoked, with blocks and known times', () => {
    const steps = grantTimeline(index(), grant({ status: { name: 'Revoked', value: {} } }), 60, name);
    expect(steps.map((s) => s.kind)).toEqual(['requested', 'granted', 'opened', 'expired', 'unpinned', 'attested', 'opened', 'revoked', 'closed']);
    expect(steps[1]!.block).toBe(4);
    expect(steps[1]!.time).toBe(1_700_000_000_000);
    expect(steps[0]!.time).toBeNull();
  });
  it('a grant that ended by itself gets an "ended" step from storage', () => {
    const steps = grantTimeline(index(), grant(), 60, name);
    expect(steps.at(-1)!.kind).toBe('ended');
    expect(steps.at(-1)!.block).toBe(50);
    expect(grantTimeline(index(), grant(), 40, name).some((s) => s.kind === 'ended')).toBe(false);
  });
  it('a denied request', () => {
    expect(requestTimeline(index(), 1, name).map((s) => s.kind)).toEqual(['requested', 'denied']);
  });
});
