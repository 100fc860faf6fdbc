/**
 * Audit index: the node does not index events, so the app reads `System.Events` (and the block's
 * timestamp) of every block, in concurrent batches with progress, keeps the Consent and Vaults
 * events in memory, and follows finalized heads to stay current. Timelines per record, grant and
 * request are built from these events plus storage (e.g. a grant that ended by itself).
 */
import type { ApiPromise } from '@polkadot/api';
import type { Codec } from '@polkadot/types/types';
import { u8aToBn } from '@polkadot/util';
import type { Grant } from './chain';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

export interface IndexedEvent {
  block: number;
  /** Position in the block's events. */
  index: number;
  section: string;
  method: string;
  data: Record<string, Any>;
}

export interface Progress {
  scanned: number;
  target: number;
  done: boolean;
}

const SECTIONS_DEFAULT = ['consent', 'vaults'];

export class EventIndex {
  readonly events: IndexedEvent[] = [];
  readonly timestamps = new Map<number, number>();
  /** Every block up to this one is indexed. */
  scanned = 0;
  target = 0;
  private api: ApiPromise | null = null;
  private listeners = new Set<(p: Progress) => void>();
  private unsub: (() => void) | null = null;
  private running: Promise<void> | null = null;
  private generation = 0;

  constructor(
    private readonly sections: string[] = SECTIONS_DEFAULT,
    private readonly concurrency = 24,
  ) {}

  onProgress(cb: (p: Progress) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  private emit(): void {
    const p = { scanned: this.scanned, target: this.target, done: this.scanned >= this.target };
    for (const cb of this.listeners) cb(p);
  }

  /** Indexes up to the finalized head, then follows finalized heads. Keeps what it has on reconnect (same genesis). */
  async start(api: ApiPromise): Promise<void> {
    this.generation++;
    this.unsub?.();
    this.api = api;
    const generation = this.generation;
    this.unsub = await api.rpc.chain.subscribeFinalizedHeads((header) => {
      if (generation !== this.generation) return;
      this.target = Math.max(this.target, header.number.toNumber());
      this.emit();
      void this.catchUp(generation);
    });
  }

  stop(): void {
    this.generation++;
    this.unsub?.();
    this.unsub = null;
  }

  private catchUp(generation: number): Promise<void> {
    if (this.running) return this.running;
    this.running = (async () => {
      try {
        while (generation === this.generation && this.scanned < this.target) {
          const from = this.scanned + 1;
          const to = Math.min(this.target, this.scanned + this.concurrency * 4);
          await this.scanRange(from, to);
          if (generation !== this.generation) return;
          this.scanned = to;
          this.emit();
        }
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }

  private async scanRange(from: number, to: number): Promise<void> {
    const api = this.api!;
    const blocks = Array.from({ length: to - from + 1 }, (_, i) => from + i);
    const found: IndexedEvent[][] = new Array(blocks.length);
    let next = 0;
    const eventsKey = api.query.system.events.key();
    const nowKey = api.query.timestamp.now.key();
    const type = api.registry.createLookupType((api.query.system.events.creator.meta.type as Any).asPlain);
    const worker = async () => {
      while (next < blocks.length) {
        const i = next++;
        const block = blocks[i]!;
        const hash = await api.rpc.chain.getBlockHash(block);
        const [rawEvents, rawNow] = await Promise.all([
          api.rpc.state.getStorage(eventsKey, hash) as Promise<Codec>,
          api.rpc.state.getStorage(nowKey, hash) as Promise<Codec>,
        ]);
        const nowBytes = rawNow.toU8a(true);
        if (nowBytes.length === 8) this.timestamps.set(block, u8aToBn(nowBytes, { isLe: true }).toNumber());
        const eventBytes = rawEvents.toU8a(true);
        const list: IndexedEvent[] = [];
        if (eventBytes.length) {
          const records = api.registry.createTypeUnsafe(type, [eventBytes]) as Any;
          records.forEach((record: Any, index: number) => {
            const { event } = record;
            if (!this.sections.includes(event.section)) return;
            const data: Record<string, Any> = {};
            const names: string[] = event.data.names ?? [];
            event.data.forEach((value: Codec, j: number) => (data[names[j] ?? String(j)] = value.toPrimitive()));
            list.push({ block, index, section: event.section, method: event.method, data });
          });
        }
        found[i] = list;
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, blocks.length) }, worker));
    for (const list of found) this.events.push(...list);
  }

  /** Events matching a predicate, in chain order. */
  where(pred: (e: IndexedEvent) => boolean): IndexedEvent[] {
    return this.events.filter(pred);
  }
}

/** One step of a timeline. */
export interface Step {
  block: number;
  /** Unix ms when known (the block's timestamp). */
  time: number | null;
  /** Plain words. */
  what: string;
  /** Technical detail (event name, ids). */
  detail: string;
  kind: 'requested' | 'granted' | 'denied' | 'withdrawn' | 'lapsed' | 'revoked' | 'opened' | 'expired' | 'closed' | 'unpinned' | 'attested' | 'registered' | 'retired' | 'ended';
}

const n = (v: Any): number => Number(v);
const targetOf = (t: Any): { kind: string; id: number } | null => {
  if (!t || typeof t !== 'object') return null;
  const [k] = Object.keys(t);
  return k ? { kind: k.toLowerCase(), id: n(t[k]) } : null;
};

const CLOSE_REASONS: Record<string, string> = {
  bySubject: 'by you',
  byGrantee: 'by the institution',
  grantRevoked: 'because the grant was revoked',
  recordRetired: 'because the record was retired',
};

function reasonText(r: Any): string {
  if (typeof r === 'string') return CLOSE_REASONS[r.charAt(0).toLowerCase() + r.slice(1)] ?? r;
  if (r && typeof r === 'object') {
    const [k] = Object.keys(r);
    if (k === 'bySubject') return 'by you (or your delegate)';
    if (k === 'granteeSuspended') return 'because the institution was suspended';
    return k ? (CLOSE_REASONS[k] ?? k) : '';
  }
  return '';
}

/** A step for one indexed event, or null if it is not one a person reads. */
export function stepOf(e: IndexedEvent, name: (address: string) => string, time: number | null): Step | null {
  const d = e.data;
  const base = { block: e.block, time, detail: `${e.section}.${e.method}` };
  switch (e.method) {
    case 'ConsentRequested':
      return { ...base, kind: 'requested', what: `${name(d.institution)} asked for consent (request ${d.request})` };
    case 'ConsentGranted':
      return { ...base, kind: 'granted', what: `Granted: grant ${d.grant} to ${name(d.institution)}, blocks ${d.period?.start}–${d.period?.end}` };
    case 'ConsortiumWideConsentGranted':
      return { ...base, kind: 'granted', what: `Joined the ${d.purpose} statistics cohort (grant ${d.grant})` };
    case 'ConsentDenied':
      return { ...base, kind: 'denied', what: `Request ${d.request} denied` };
    case 'RequestWithdrawn':
      return { ...base, kind: 'withdrawn', what: `The institution withdrew request ${d.request}` };
    case 'RequestLapsed':
      return { ...base, kind: 'lapsed', what: `Request ${d.request} lapsed unanswered` };
    case 'ConsentRevoked':
      return { ...base, kind: 'revoked', what: `Grant ${d.grant} revoked ${reasonText(d.reason)}`.trim() };
    case 'VaultOpened':
      return { ...base, kind: 'opened', what: `Vault ${d.vault} opened: record ${d.record} shared with ${name(d.grantee)} until block ${d.expiresAt}` };
    case 'VaultExpired':
      return { ...base, kind: 'expired', what: `Vault ${d.vault} expired` };
    case 'VaultClosed':
      return { ...base, kind: 'closed', what: `Vault ${d.vault} closed ${reasonText(d.reason)}`.trim() };
    case 'UnpinConfirmed': {
      const t = targetOf(d.target);
      return { ...base, kind: 'unpinned', what: `${name(d.steward)} confirmed it unpinned ${t ? `${t.kind} ${t.id}` : 'the copy'}` };
    }
    case 'RemovalAttested':
      return { ...base, kind: 'attested', what: `${name(d.grantee)} attested it removed its copy of vault ${d.vault}` };
    case 'RecordRegistered':
      return { ...base, kind: 'registered', what: `Record ${d.record} registered` };
    case 'RecordRetired':
      return { ...base, kind: 'retired', what: `Record ${d.record} retired (${d.vaultsClosed} open vaults closed)` };
    default:
      return null;
  }
}

/** The vault ids opened under a grant or for a record, from the index. */
function vaultsWhere(index: EventIndex, pred: (d: Record<string, Any>) => boolean): Set<number> {
  return new Set(index.where((e) => e.method === 'VaultOpened' && pred(e.data)).map((e) => n(e.data.vault)));
}

function vaultEvents(e: IndexedEvent, vaults: Set<number>): boolean {
  if (['VaultOpened', 'VaultExpired', 'VaultClosed', 'RemovalAttested'].includes(e.method)) return vaults.has(n(e.data.vault));
  if (e.method === 'UnpinConfirmed') {
    const t = targetOf(e.data.target);
    return t?.kind === 'vault' && vaults.has(t.id);
  }
  return false;
}

function toSteps(events: IndexedEvent[], index: EventIndex, name: (a: string) => string): Step[] {
  return events.flatMap((e) => {
    const s = stepOf(e, name, index.timestamps.get(e.block) ?? null);
    return s ? [s] : [];
  });
}

/** A record's life: registered → vaults opened/ended/unpinned/attested → retired → unpinned. */
export function recordTimeline(index: EventIndex, record: number, name: (a: string) => string): Step[] {
  const vaults = vaultsWhere(index, (d) => n(d.record) === record);
  const events = index.where((e) => {
    if (e.method === 'RecordRegistered' || e.method === 'RecordRetired') return n(e.data.record) === record;
    if (e.method === 'UnpinConfirmed') {
      const t = targetOf(e.data.target);
      if (t?.kind === 'record') return t.id === record;
    }
    return vaultEvents(e, vaults);
  });
  return toSteps(events, index, name);
}

/** A grant's life: requested → granted → vaults … → revoked or ended (from storage). */
export function grantTimeline(index: EventIndex, grant: Grant, now: number, name: (a: string) => string): Step[] {
  const vaults = vaultsWhere(index, (d) => n(d.grant) === grant.id);
  const events = index.where((e) => {
    if (e.method === 'ConsentRequested') return grant.request !== null && n(e.data.request) === grant.request;
    if (['ConsentGranted', 'ConsortiumWideConsentGranted', 'ConsentRevoked'].includes(e.method)) return n(e.data.grant) === grant.id;
    return vaultEvents(e, vaults);
  });
  const steps = toSteps(events, index, name);
  if (grant.status.name !== 'Revoked' && grant.period.end <= now) {
    steps.push({ block: grant.period.end, time: index.timestamps.get(grant.period.end) ?? null, kind: 'ended', what: `Grant ${grant.id} ended by itself at the end of its period`, detail: 'Consent.Grants period.end' });
  }
  return steps.sort((a, b) => a.block - b.block);
}

/** A request's life: requested → granted / denied / withdrawn / lapsed. */
export function requestTimeline(index: EventIndex, request: number, name: (a: string) => string): Step[] {
  const events = index.where(
    (e) => ['ConsentRequested', 'ConsentGranted', 'ConsentDenied', 'RequestWithdrawn', 'RequestLapsed'].includes(e.method) && n(e.data.request) === request,
  );
  return toSteps(events, index, name);
}
