import { describe, expect, it } from 'vitest';
import { TypeRegistry } from '@polkadot/types';
import { u8aToHex } from '@polkadot/util';
import { CATEGORIES, PURPOSES } from '../src/lib/codes';
import { decodeGrant, decodeMember, decodeRecord, decodeRequest, decodeVault, grantState, variant } from '../src/lib/chain';

// The runtime's types as @polkadot/api builds them from metadata (field names camelCase).
const registry = new TypeRegistry();
registry.register({
  PurposeOfUse: { _enum: PURPOSES.map((p) => p.code) },
  DataCategory: { _enum: CATEGORIES.map((c) => c.name) },
  Period: { start: 'u32', end: 'u32' },
  RequestStatus: { _enum: { Pending: 'Null', Granted: { grant: 'u64' }, Denied: { at: 'u32' }, Withdrawn: { at: 'u32' }, Lapsed: { at: 'u32' } } },
  ConsentRequest: {
    institution: 'AccountId32', subject: 'AccountId32', scope: 'Vec<DataCategory>', purpose: 'PurposeOfUse', period: 'Period',
    timestamp: 'u64', requestedAt: 'u32', consortiumKey: '[u8;32]', institutionKey: '[u8;32]', requesterKey: '[u8;32]', status: 'RequestStatus',
  },
  Grantee: { _enum: { Institution: 'AccountId32', AnyMember: 'Null' } },
  RevocationReason: { _enum: { BySubject: { by: 'AccountId32' }, GranteeSuspended: 'Null' } },
  GrantStatus: { _enum: { Active: 'Null', Revoked: { at: 'u32', reason: 'RevocationReason' } } },
  Grant: { subject: 'AccountId32', grantee: 'Grantee', scope: 'Vec<DataCategory>', purpose: 'PurposeOfUse', period: 'Period', request: 'Option<u64>', grantedBy: 'AccountId32', grantedAt: 'u32', status: 'GrantStatus' },
  RecordOrigin: { _enum: { Owner: 'Null', Institution: 'AccountId32' } },
  HealthRecord: {
    owner: 'AccountId32', origin: 'RecordOrigin', cid: 'Bytes', contentHash: 'H256', size_: 'u64', categories: 'Vec<DataCategory>',
    steward: 'AccountId32', registeredAt: 'u32', retiredAt: 'Option<u32>', unpinnedAt: 'Option<u32>',
  },
  CloseReason: { _enum: ['BySubject', 'ByGrantee', 'GrantRevoked', 'RecordRetired'] },
  VaultState: { _enum: { Open: 'Null', Expired: { at: 'u32' }, Closed: { at: 'u32', reason: 'CloseReason' } } },
  Unpinned: { by: 'AccountId32', at: 'u32' },
  Vault: {
    grant: 'u64', record: 'u64', subject: 'AccountId32', grantee: 'AccountId32', steward: 'AccountId32', cid: 'Bytes', openedBy: 'AccountId32',
    openedAt: 'u32', expiresAt: 'u32', state: 'VaultState', unpinned: 'Option<Unpinned>', removalAttestedAt: 'Option<u32>',
  },
  MemberKind: { _enum: ['Institution', 'DataSteward', 'Evaluator'] },
  MemberStatus: { _enum: ['Active', 'Suspended'] },
  Member: { kinds: 'Vec<MemberKind>', name: 'Bytes', hpkeKey: '[u8;32]', ipfsAddress: 'Option<Bytes>', status: 'MemberStatus', admittedAt: 'u32', statusChangedAt: 'u32' },
});
const ALICE = '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY';
const BOB = '5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty';
const key = u8aToHex(new Uint8Array(32).fill(7));

describe('decoding storage values', () => {
  it('a consent request', () => {
    const codec = registry.createType('ConsentRequest', {
      institution: BOB, subject: ALICE, scope: ['LaboratoryResults', 'VitalSigns'], purpose: 'TREAT', period: { start: 5, end: 100 },
      timestamp: 1_700_000_000_000, requestedAt: 5, consortiumKey: key, institutionKey: key, requesterKey: key, status: { Granted: { grant: 3 } },
    });
    const r = decodeRequest(2, codec);
    expect(r).toMatchObject({ id: 2, institution: BOB, subject: ALICE, scope: ['LaboratoryResults', 'VitalSigns'], purpose: 'TREAT', period: { start: 5, end: 100 }, timestamp: 1_700_000_000_000, requestedAt: 5, requesterKey: key });
    expect(r.status).toEqual({ name: 'Granted', value: { grant: 3 } });
    expect(decodeRequest(2, registry.createType('ConsentRequest', { ...codec.toJSON(), status: 'Pending' })).status.name).toBe('Pending');
  });
  it('grants to an institution and consortium-wide', () => {
    const g = decodeGrant(1, registry.createType('Grant', { subject: ALICE, grantee: { Institution: BOB }, scope: ['Genomics'], purpose: 'HRESCH', period: { start: 1, end: 10 }, request: 4, grantedBy: ALICE, grantedAt: 2, status: 'Active' }));
    expect(g).toMatchObject({ institution: BOB, request: 4, status: { name: 'Active' } });
    expect(grantState(g, 5)).toBe('live');
    expect(grantState(g, 0)).toBe('not started');
    expect(grantState(g, 10)).toBe('ended');
    const c = decodeGrant(2, registry.createType('Grant', { subject: ALICE, grantee: 'AnyMember', scope: ['WearableReadings'], purpose: 'PUBHLTH', period: { start: 1, end: 10 }, request: null, grantedBy: ALICE, grantedAt: 2, status: { Revoked: { at: 3, reason: { BySubject: { by: ALICE } } } } }));
    expect(c.institution).toBeNull();
    expect(c.request).toBeNull();
    expect(grantState(c, 5)).toBe('revoked');
  });
  it('a record with its CID, hash, size and origin', () => {
    const r = decodeRecord(0, registry.createType('HealthRecord', {
      owner: ALICE, origin: { Institution: BOB }, cid: 'QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG', contentHash: key, size_: 1234,
      categories: ['VitalSigns'], steward: BOB, registeredAt: 7, retiredAt: null, unpinnedAt: null,
    }));
    expect(r).toMatchObject({ cid: 'QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG', contentHash: key, size: 1234, categories: ['VitalSigns'], retiredAt: null, origin: { name: 'Institution', value: BOB } });
  });
  it('a closed vault, unpinned', () => {
    const v = decodeVault(4, registry.createType('Vault', {
      grant: 1, record: 0, subject: ALICE, grantee: BOB, steward: BOB, cid: 'QmX', openedBy: ALICE, openedAt: 10, expiresAt: 30,
      state: { Closed: { at: 12, reason: 'GrantRevoked' } }, unpinned: { by: BOB, at: 13 }, removalAttestedAt: 14,
    }));
    expect(v).toMatchObject({ id: 4, grant: 1, cid: 'QmX', state: { name: 'Closed', value: { at: 12, reason: 'GrantRevoked' } }, unpinned: { by: BOB, at: 13 }, removalAttestedAt: 14 });
  });
  it('a member with a UTF-8 name', () => {
    const m = decodeMember(BOB, registry.createType('Member', { kinds: ['Institution'], name: 'Hôpital Saint-Éloi', hpkeKey: key, ipfsAddress: null, status: 'Active', admittedAt: 0, statusChangedAt: 0 }));
    expect(m).toEqual({ address: BOB, name: 'Hôpital Saint-Éloi', kinds: ['Institution'], hpkeKey: key, active: true });
  });
  it('enum primitives become variants', () => {
    expect(variant('Pending')).toEqual({ name: 'Pending', value: null });
    expect(variant({ bySubject: { by: ALICE } })).toEqual({ name: 'BySubject', value: { by: ALICE } });
  });
});
