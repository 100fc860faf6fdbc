import { describe, expect, it } from 'vitest';
import { u8aToHex } from '@polkadot/util';
import { randomAsU8a } from '@polkadot/util-crypto';
import { x25519Public } from '../src/lib/keys';
import { HEADER_LEN, MAX_BODY_BYTES, contentHash, openRecord, openVaultCopy, sealRecord, sealVaultCopy } from '../src/lib/object';

async function keyPair() {
  const secret = randomAsU8a(32);
  return { secret, public: await x25519Public(secret) };
}
const enc = (s: string) => new TextEncoder().encode(s);

describe('record objects', () => {
  it('keep the FHE section at offset 16 and open for their owner only', async () => {
    const owner = await keyPair();
    const section = new Uint8Array(100).fill(7);
    const object = await sealRecord(owner.public, enc('{}'), section);
    expect(u8aToHex(object.subarray(0, 8))).toBe(u8aToHex(enc('CUSTODIA')));
    expect(object.subarray(HEADER_LEN, HEADER_LEN + 100)).toEqual(section);
    expect(await openRecord(owner.secret, object)).toEqual(enc('{}'));
    const swapped = object.slice();
    swapped[20] ^= 1;
    await expect(openRecord(owner.secret, swapped)).rejects.toThrow(/does not open/);
    const stranger = await keyPair();
    await expect(openRecord(stranger.secret, object)).rejects.toThrow(/does not open/);
  });
  it('envelope length is key + body + tag', async () => {
    const owner = await keyPair();
    const object = await sealRecord(owner.public, enc('body'));
    expect(object.length).toBe(HEADER_LEN + 32 + 4 + 16);
  });
  it('content hash is BLAKE2b-256', () => {
    expect(u8aToHex(contentHash(new Uint8Array()))).toBe('0x0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8');
  });
});

describe('vault copies', () => {
  it('open only for their grantee, grant and record', async () => {
    const grantee = await keyPair();
    const copy = await sealVaultCopy(grantee.public, 4, 9, enc('body'));
    expect(await openVaultCopy(grantee.secret, 4, 9, copy)).toEqual(enc('body'));
    await expect(openVaultCopy(grantee.secret, 5, 9, copy)).rejects.toThrow(/does not open/);
    await expect(openVaultCopy(grantee.secret, 4, 8, copy)).rejects.toThrow(/does not open/);
    const other = await keyPair();
    await expect(openVaultCopy(other.secret, 4, 9, copy)).rejects.toThrow(/does not open/);
    await expect(openRecord(grantee.secret, copy)).rejects.toThrow(/vault copy, not a record/);
  });
  it('record → vault copy re-seal round trip', async () => {
    const owner = await keyPair();
    const grantee = await keyPair();
    const body = enc('{"resourceType":"Bundle"}');
    const record = await sealRecord(owner.public, body, new Uint8Array([1, 2, 3]));
    const opened = await openRecord(owner.secret, record);
    const copy = await sealVaultCopy(grantee.public, 2n, 0n, opened);
    expect(await openVaultCopy(grantee.secret, 2n, 0n, copy)).toEqual(body);
  });
});

describe('malformed objects are refused with a reason', () => {
  it('header errors', async () => {
    const owner = await keyPair();
    await expect(openRecord(owner.secret, enc('short'))).rejects.toThrow(/not a Custodia/);
    const object = await sealRecord(owner.public, enc('{}'), new Uint8Array([1, 2, 3]));
    const v9 = object.slice();
    v9[8] = 9;
    await expect(openRecord(owner.secret, v9)).rejects.toThrow(/version 9/);
    const reserved = object.slice();
    reserved[10] = 1;
    await expect(openRecord(owner.secret, reserved)).rejects.toThrow(/malformed/);
    const long = object.slice();
    new DataView(long.buffer).setUint32(12, 0xffffffff, true);
    await expect(openRecord(owner.secret, long)).rejects.toThrow(/past the end/);
    const vault = object.slice();
    vault[9] = 2;
    await expect(openRecord(owner.secret, vault)).rejects.toThrow(/vault copy, not a record/);
    const short = await sealVaultCopy(owner.public, 1, 1, enc('x'));
    await expect(openVaultCopy(owner.secret, 1, 1, short.subarray(0, 40))).rejects.toThrow(/too short/);
    await expect(sealRecord(owner.public, new Uint8Array(MAX_BODY_BYTES + 1))).rejects.toThrow(/at most/);
  });
});
