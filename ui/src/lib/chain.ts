/**
 * Chain queries: the consortium's members, a person's consent requests, grants, cohorts,
 * records and vaults, decoded from storage into plain objects (field names as in the
 * primitives, camelCase), plus the grantee key a vault is sealed to (as `custodia vault open`).
 */
import type { ApiPromise } from '@polkadot/api';
import type { Codec } from '@polkadot/types/types';
import { hexToU8a, u8aToHex } from '@polkadot/util';
import { PURPOSES } from './codes';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

export interface Period {
  start: number;
  end: number;
}

/** An enum value: its variant name (as in Rust) and its fields. */
export interface Variant {
  name: string;
  value: Any;
}

export interface Member {
  address: string;
  name: string;
  kinds: string[];
  hpkeKey: string;
  active: boolean;
}

export interface ConsentRequest {
  id: number;
  institution: string;
  subject: string;
  scope: string[];
  purpose: string;
  period: Period;
  timestamp: number;
  requestedAt: number;
  requesterKey: string;
  status: Variant;
}

export interface Grant {
  id: number;
  subject: string;
  /** The institution, or null for a consortium-wide (cohort) grant. */
  institution: string | null;
  scope: string[];
  purpose: string;
  period: Period;
  request: number | null;
  grantedBy: string;
  grantedAt: number;
  status: Variant;
}

export interface HealthRecord {
  id: number;
  owner: string;
  origin: Variant;
  cid: string;
  contentHash: string;
  size: number;
  categories: string[];
  steward: string;
  registeredAt: number;
  retiredAt: number | null;
  unpinnedAt: number | null;
}

export interface Vault {
  id: number;
  grant: number;
  record: number;
  subject: string;
  grantee: string;
  steward: string;
  cid: string;
  openedBy: string;
  openedAt: number;
  expiresAt: number;
  state: Variant;
  unpinned: { by: string; at: number } | null;
  removalAttestedAt: number | null;
}

const upperFirst = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** An enum's primitive form (`"Pending"` or `{ granted: { grant: 3 } }`) as a variant. */
export function variant(v: Any): Variant {
  if (typeof v === 'string') return { name: v, value: null };
  if (v && typeof v === 'object') {
    const [key] = Object.keys(v);
    if (key !== undefined) return { name: upperFirst(key), value: v[key] };
  }
  return { name: String(v), value: null };
}

const num = (v: Any): number => (v === null || v === undefined ? 0 : Number(v));
const optNum = (v: Any): number | null => (v === null || v === undefined ? null : Number(v));
const bytesText = (codec: Any): string => {
  try {
    return codec.toUtf8();
  } catch {
    return codec.toHex();
  }
};
const period = (p: Any): Period => ({ start: num(p.start), end: num(p.end) });

function prim(codec: Codec): Any {
  return codec.toPrimitive();
}

export function decodeMember(address: string, codec: Any): Member {
  const p = prim(codec);
  return {
    address,
    name: bytesText(codec.name),
    kinds: (p.kinds as string[]).map(String),
    hpkeKey: codec.hpkeKey.toHex(),
    active: variant(p.status).name === 'Active',
  };
}

export function decodeRequest(id: number, codec: Any): ConsentRequest {
  const p = prim(codec);
  return {
    id,
    institution: p.institution,
    subject: p.subject,
    scope: p.scope,
    purpose: p.purpose,
    period: period(p.period),
    timestamp: num(p.timestamp),
    requestedAt: num(p.requestedAt),
    requesterKey: codec.requesterKey.toHex(),
    status: variant(p.status),
  };
}

export function decodeGrant(id: number, codec: Any): Grant {
  const p = prim(codec);
  const grantee = variant(p.grantee);
  return {
    id,
    subject: p.subject,
    institution: grantee.name === 'Institution' ? String(grantee.value) : null,
    scope: p.scope,
    purpose: p.purpose,
    period: period(p.period),
    request: optNum(p.request),
    grantedBy: p.grantedBy,
    grantedAt: num(p.grantedAt),
    status: variant(p.status),
  };
}

export function decodeRecord(id: number, codec: Any): HealthRecord {
  const p = prim(codec);
  return {
    id,
    owner: p.owner,
    origin: variant(p.origin),
    cid: bytesText(codec.cid),
    contentHash: codec.contentHash.toHex(),
    // @polkadot/api renames fields that clash with JS or Codec names: `size` → `size_`.
    size: num(p.size_ ?? p.size),
    categories: p.categories,
    steward: p.steward,
    registeredAt: num(p.registeredAt),
    retiredAt: optNum(p.retiredAt),
    unpinnedAt: optNum(p.unpinnedAt),
  };
}

export function decodeVault(id: number, codec: Any): Vault {
  const p = prim(codec);
  return {
    id,
    grant: num(p.grant),
    record: num(p.record),
    subject: p.subject,
    grantee: p.grantee,
    steward: p.steward,
    cid: bytesText(codec.cid),
    openedBy: p.openedBy,
    openedAt: num(p.openedAt),
    expiresAt: num(p.expiresAt),
    state: variant(p.state),
    unpinned: p.unpinned ? { by: p.unpinned.by, at: num(p.unpinned.at) } : null,
    removalAttestedAt: optNum(p.removalAttestedAt),
  };
}

const unwrapAll = (opts: Any[]): Any[] => opts.map((o) => (o.isSome ? o.unwrap() : null));

/** Every consortium member, by address. */
export async function members(api: ApiPromise): Promise<Map<string, Member>> {
  const entries = await api.query.consortium.members.entries();
  const out = new Map<string, Member>();
  for (const [key, value] of entries) {
    const address = key.args[0]!.toString();
    const v = value as Any;
    if (v.isSome) out.set(address, decodeMember(address, v.unwrap()));
  }
  return out;
}

/** The requests waiting for `subject`'s answer, oldest first. */
export async function pendingRequests(api: ApiPromise, subject: string): Promise<ConsentRequest[]> {
  const ids = ((await api.query.consent.pendingRequests(subject)) as Any).map((x: Any) => x.toNumber()) as number[];
  if (!ids.length) return [];
  const values = unwrapAll((await api.query.consent.requests.multi(ids)) as Any[]);
  return ids.flatMap((id, i) => (values[i] ? [decodeRequest(id, values[i])] : []));
}

export async function requestById(api: ApiPromise, id: number): Promise<ConsentRequest | null> {
  const v = (await api.query.consent.requests(id)) as Any;
  return v.isSome ? decodeRequest(id, v.unwrap()) : null;
}

export async function grantsById(api: ApiPromise, ids: number[]): Promise<Grant[]> {
  if (!ids.length) return [];
  const values = unwrapAll((await api.query.consent.grants.multi(ids)) as Any[]);
  return ids.flatMap((id, i) => (values[i] ? [decodeGrant(id, values[i])] : []));
}

/** The grants `subject` gave that are not revoked (some may have ended), oldest first. */
export async function grantsOf(api: ApiPromise, subject: string): Promise<Grant[]> {
  const ids = ((await api.query.consent.grantsBySubject(subject)) as Any).map((x: Any) => x.toNumber()) as number[];
  return grantsById(api, ids);
}

/** The subject's consortium-wide grant id for each purpose that has one. */
export async function cohortGrantIds(api: ApiPromise, subject: string): Promise<Map<string, number>> {
  const values = (await api.query.consent.cohortGrants.multi(PURPOSES.map((p) => [p.code, subject]))) as Any[];
  const out = new Map<string, number>();
  values.forEach((v, i) => v.isSome && out.set(PURPOSES[i]!.code, v.unwrap().toNumber()));
  return out;
}

/** The owner's records that are not retired, oldest first. */
export async function recordsOf(api: ApiPromise, owner: string): Promise<HealthRecord[]> {
  const ids = ((await api.query.vaults.recordsOf(owner)) as Any).map((x: Any) => x.toNumber()) as number[];
  return recordsById(api, ids);
}

export async function recordsById(api: ApiPromise, ids: number[]): Promise<HealthRecord[]> {
  if (!ids.length) return [];
  const values = unwrapAll((await api.query.vaults.records.multi(ids)) as Any[]);
  return ids.flatMap((id, i) => (values[i] ? [decodeRecord(id, values[i])] : []));
}

export async function vaultsById(api: ApiPromise, ids: number[]): Promise<Vault[]> {
  if (!ids.length) return [];
  const values = unwrapAll((await api.query.vaults.vaults.multi(ids)) as Any[]);
  return ids.flatMap((id, i) => (values[i] ? [decodeVault(id, values[i])] : []));
}

/** The open vaults sharing each of the given records. */
export async function openVaultsOfRecords(api: ApiPromise, records: number[]): Promise<Vault[]> {
  if (!records.length) return [];
  const lists = (await api.query.vaults.vaultsOfRecord.multi(records)) as Any[];
  const ids = lists.flatMap((l: Any) => l.map((x: Any) => x.toNumber() as number));
  return vaultsById(api, ids);
}

/** The number of the latest finalized block. */
export async function finalizedNumber(api: ApiPromise): Promise<number> {
  const hash = await api.rpc.chain.getFinalizedHead();
  return (await api.rpc.chain.getHeader(hash)).number.toNumber();
}

/** The Unix ms timestamp of a block. */
export async function timestampAt(api: ApiPromise, block: number): Promise<number> {
  const hash = await api.rpc.chain.getBlockHash(block);
  return ((await api.query.timestamp.now.at(hash)) as Any).toNumber();
}

/** Where a grant stands at block `now`. */
export type GrantState = 'not started' | 'live' | 'ended' | 'revoked' | 'institution suspended';

export function grantState(grant: Grant, now: number, memberMap?: Map<string, Member>): GrantState {
  if (grant.status.name === 'Revoked') return 'revoked';
  if (grant.period.end <= now) return 'ended';
  if (grant.institution && memberMap && memberMap.get(grant.institution)?.active === false) return 'institution suspended';
  if (grant.period.start > now) return 'not started';
  return 'live';
}

/**
 * The key a grant's vaults are sealed to, and the grant's end block: the requester key of its
 * consent request, else the institution's key in the consortium (cli/src/vault.rs `grantee_key`).
 */
export async function granteeKey(api: ApiPromise, grantId: number): Promise<{ key: Uint8Array; end: number; grant: Grant }> {
  const raw = (await api.query.consent.grants(grantId)) as Any;
  if (raw.isNone) throw new Error(`there is no grant ${grantId}`);
  const grant = decodeGrant(grantId, raw.unwrap());
  let key: string;
  if (grant.request !== null) {
    const request = await requestById(api, grant.request);
    if (!request) throw new Error(`grant ${grantId}'s consent request is no longer stored`);
    key = request.requesterKey;
  } else {
    if (!grant.institution) {
      throw new Error(`grant ${grantId} is for the whole consortium (statistics only); vaults are opened under a grant to one institution`);
    }
    const member = (await api.query.consortium.members(grant.institution)) as Any;
    if (member.isNone) throw new Error(`grant ${grantId}'s institution is not a consortium member`);
    key = member.unwrap().hpkeKey.toHex();
  }
  const bytes = hexToU8a(key);
  if (bytes.length !== 32) throw new Error(`grant ${grantId}'s key is not an X25519 key`);
  return { key: bytes, end: grant.period.end, grant };
}

export const hex = (u: Uint8Array): string => u8aToHex(u);
