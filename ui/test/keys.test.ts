import { readFileSync } from 'node:fs';
import { u8aToHex } from '@polkadot/util';
import { describe, expect, it } from 'vitest';
import { belongsTo, envelopeKeyFromSecret64, identityFromJson, identityFromUri, secret64FromUri } from '../src/lib/keys';

const ALICE_SECRET64 =
  '0x98319d4ff8a9508c4bb0cf0b5a78d760a0b2082c02775e6e82370816fedfff48925a225d97aa00682d6a59b95b18780c10d7032336e88f3442b42361f4a66011';
const ALICE_ENVELOPE_SECRET = '0x847bbc0e74f37a32af72b91efdf5f2d52e765e5c78d2fca0bdd91c534c4c5f17';
const ALICE_ENVELOPE_PUBLIC = '0x63762c83e87b6ad1cf31c9c09f685c71095120725a9935656ca03b7e8c549948';
const ALICE = '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY';

describe('identities (docs/identities.md known-answer vector)', () => {
  it('//Alice has the documented 64-byte secret', () => {
    expect(u8aToHex(secret64FromUri('//Alice').secretKey)).toBe(ALICE_SECRET64);
  });
  it('derives the documented envelope key', async () => {
    const key = await envelopeKeyFromSecret64(secret64FromUri('//Alice').secretKey);
    expect(u8aToHex(key.secret)).toBe(ALICE_ENVELOPE_SECRET);
    expect(u8aToHex(key.public)).toBe(ALICE_ENVELOPE_PUBLIC);
  });
  it('a URI ending in a soft junction gives the same envelope key every time, the one the client derives', async () => {
    // Vector from the client: `custodia keys import soft --suri-file F` with F = "//Custodia/x/y".
    const first = secret64FromUri('//Custodia/x/y');
    const again = secret64FromUri('//Custodia/x/y');
    expect(u8aToHex(again.secretKey)).toBe(u8aToHex(first.secretKey));
    const key = await envelopeKeyFromSecret64(first.secretKey);
    expect(u8aToHex(key.public)).toBe('0xde1d5bdf1f102494a192594cf88994b369beaffeae3068f7b012ab66c71c1c5e');
    const identity = await identityFromUri('//Custodia/x/y', 'soft');
    expect(identity.address).toBe('5Ew1964TAUFdtjL2pShW52wCJZuKuCztqDdxvd1XjwYi28SG');
  });
  it('an identity from //Alice has her address and envelope key', async () => {
    const id = await identityFromUri('//Alice');
    expect(id.address).toBe(ALICE);
    expect(u8aToHex(id.envelope.public)).toBe(ALICE_ENVELOPE_PUBLIC);
    expect(belongsTo(id, ALICE)).toBe(true);
    expect(belongsTo(id, '5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty')).toBe(false);
  });
  it('refuses a phrase with a wrong word count or checksum', async () => {
    await expect(identityFromUri('one two three')).rejects.toThrow(/12 or 24 words/);
    await expect(identityFromUri('abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon')).rejects.toThrow(/not valid/);
  });
});

describe('polkadot.js JSON account import', () => {
  const text = readFileSync(new URL('./fixtures/alice-polkadotjs.json', import.meta.url), 'utf8');
  it('opens with its password and gives the same secret and envelope key as //Alice', async () => {
    const id = await identityFromJson(text, 'correct horse');
    expect(id.address).toBe(ALICE);
    expect(u8aToHex(id.envelope.secret)).toBe(ALICE_ENVELOPE_SECRET);
    expect(u8aToHex(id.envelope.public)).toBe(ALICE_ENVELOPE_PUBLIC);
    const sig = id.pair.sign(new Uint8Array([1, 2, 3]));
    expect(id.pair.verify(new Uint8Array([1, 2, 3]), sig, id.pair.publicKey)).toBe(true);
  }, 30_000);
  it('refuses a wrong password', async () => {
    await expect(identityFromJson(text, 'wrong')).rejects.toThrow(/password/);
  }, 30_000);
  it('refuses a file that is not an account', async () => {
    await expect(identityFromJson('{"hello":1}', 'x')).rejects.toThrow(/not a polkadot.js/);
    await expect(identityFromJson('nope', 'x')).rejects.toThrow(/not a JSON/);
  });
});
