import { describe, expect, it } from 'vitest';
import { u8aConcat, u8aToHex } from '@polkadot/util';
import { randomAsU8a } from '@polkadot/util-crypto';
import { x25519Public } from '../src/lib/keys';
import { HEADER_LEN, Kind, MAX_BODY_BYTES, RECORD_INFO, contentHash, header, open, openRecord, openVaultCopy, seal, sealRecord, sealVaultCopy } from '../src/lib/object';

async function keyPair() {
  const secret = randomAsU8a(32);
  return { secret, public: await x25519Public(secret) };
}
const enc = (s: string) => new TextEncoder().encode(s);

describe('record objects', () => {
  it('are the header and the envelope, and open for their owner only', async () => {
    const owner = await keyPair();
    const object = await sealRecord(owner.public, enc('{}'));
    expect(u8aToHex(object.subarray(0, 8))).toBe(u8aToHex(enc('CUSTODIA')));
    expect(object.subarray(12, HEADER_LEN)).toEqual(new Uint8Array(4)); // no section
    expect(await openRecord(owner.secret, object)).toEqual(enc('{}'));
    const tampered = object.slice();
    tampered[tampered.length - 1] ^= 1;
    await expect(openRecord(owner.secret, tampered)).rejects.toThrow(/does not open/);
    const stranger = await keyPair();
    await expect(openRecord(stranger.secret, object)).rejects.toThrow(/does not open/);
  });
  it('with a section (as records made before FHE cohort fields were retired) open, the section bound', async () => {
    const owner = await keyPair();
    const section = new Uint8Array(100).fill(7);
    const h = header(Kind.Record, section.length);
    const object = u8aConcat(h, section, await seal(owner.public, RECORD_INFO, u8aConcat(h, contentHash(section)), enc('{}')));
    expect(await openRecord(owner.secret, object)).toEqual(enc('{}'));
    const swapped = object.slice();
    swapped[HEADER_LEN + 4] ^= 1;
    await expect(openRecord(owner.secret, swapped)).rejects.toThrow(/does not open/);
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

describe('HPKE suite conforms to RFC 9180 (so the Rust client and the app interoperate)', () => {
  // RFC 9180 Appendix A.2.1: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20Poly1305, base mode, sequence 0.
  const hx = (s: string) => Uint8Array.from(s.match(/../g)!.map((b) => parseInt(b, 16)));
  const skR = hx('8057991eef8f1f1af18f4a9491d16a1ce333f695d4db8e38da75975c4478e0fb');
  const pkR = hx('4310ee97d88cc1f088a5576c77ab0cf5c3ac797f3d95139c6c84b5429c59662a');
  const enc = hx('1afa08d3dec047a643885163f1180476fa7ddb54c6a8029ea33f95796bf2ac4a');
  const info = hx('4f6465206f6e2061204772656369616e2055726e');
  const aad = hx('436f756e742d30');
  const ct = hx('1c5250d8034ec2b784ba2cfd69dbdb8af406cfe3ff938e131f0def8c8b60b4db21993c62ce81883d2dd1b51a28');
  it('derives the recipient public key', async () => {
    expect(await x25519Public(skR)).toEqual(pkR);
  });
  it('opens the RFC envelope (enc ‖ ct) to the RFC plaintext', async () => {
    const envelope = new Uint8Array([...enc, ...ct]);
    expect(new TextDecoder().decode(await open(skR, info, aad, envelope))).toBe('Beauty is truth, truth beauty');
    await expect(open(skR, info, new Uint8Array([1]), envelope)).rejects.toThrow(/does not open/);
  });
});

describe('associated data layout (as cli/src/object.rs)', () => {
  it('vault copy AAD = header ‖ grant u64 LE ‖ record u64 LE, info custodia/vault/v1', async () => {
    const k = await keyPair();
    const copy = await sealVaultCopy(k.public, 0x0102, 7, enc('x'));
    const header = copy.subarray(0, HEADER_LEN);
    expect(Array.from(header)).toEqual([...enc('CUSTODIA'), 1, 2, 0, 0, 0, 0, 0, 0]);
    const aad = new Uint8Array([...header, 0x02, 0x01, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0]);
    expect(await open(k.secret, enc('custodia/vault/v1'), aad, copy.subarray(HEADER_LEN))).toEqual(enc('x'));
  });
  it('record AAD = header ‖ BLAKE2b-256(empty section), info custodia/record/v1', async () => {
    const k = await keyPair();
    const object = await sealRecord(k.public, enc('y'));
    const h = object.subarray(0, HEADER_LEN);
    expect(Array.from(h)).toEqual([...enc('CUSTODIA'), 1, 1, 0, 0, 0, 0, 0, 0]);
    const aad = new Uint8Array([...h, ...contentHash(new Uint8Array())]);
    expect(await open(k.secret, enc('custodia/record/v1'), aad, object.subarray(HEADER_LEN))).toEqual(enc('y'));
  });
});
