/**
 * Record and vault-copy objects (cli/src/object.rs) and their HPKE envelopes
 * (cli/src/envelope.rs), byte-for-byte compatible with the `custodia` client.
 *
 * ```text
 * "CUSTODIA" ‖ version u8 (1) ‖ kind u8 (1 record, 2 vault copy) ‖ reserved u16 (0)
 *   ‖ section length u32 LE ‖ section ‖ HPKE envelope (enc 32 bytes ‖ ciphertext)
 * ```
 * Every object written now has an empty section (length 0); records written before FHE cohort
 * statistics were retired carried their FHE fields there, and readers still skip them.
 * Suite: HPKE base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305.
 * Record AAD = header ‖ BLAKE2b-256(section); vault AAD = header ‖ grant u64 LE ‖ record u64 LE.
 */
import { CipherSuite } from '@hpke/core';
import { Chacha20Poly1305 } from '@hpke/chacha20poly1305';
import { DhkemX25519HkdfSha256, HkdfSha256 } from '@hpke/dhkem-x25519';
import { u8aConcat, stringToU8a } from '@polkadot/util';
import { blake2AsU8a } from '@polkadot/util-crypto';

export const MAGIC = stringToU8a('CUSTODIA');
export const VERSION = 1;
export const HEADER_LEN = 16;
export const ENCAPPED_KEY_LEN = 32;
/** The largest FHIR body accepted. */
export const MAX_BODY_BYTES = 4 << 20;
/** The largest object read back (body, envelope and a section). */
export const MAX_OBJECT_BYTES = MAX_BODY_BYTES + (1 << 20);
export const RECORD_INFO = stringToU8a('custodia/record/v1');
export const VAULT_INFO = stringToU8a('custodia/vault/v1');
export const SUITE_NAME = 'HPKE base, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305';

export enum Kind {
  Record = 1,
  VaultCopy = 2,
}

const suite = new CipherSuite({
  kem: new DhkemX25519HkdfSha256(),
  kdf: new HkdfSha256(),
  aead: new Chacha20Poly1305(),
});

/** BLAKE2b-256 of bytes: the chain's content hash. */
export const contentHash = (bytes: Uint8Array): Uint8Array => blake2AsU8a(bytes, 256);

function le64(n: bigint | number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(n), true);
  return out;
}

export function header(kind: Kind, sectionLen: number): Uint8Array {
  if (sectionLen > 0xffffffff) throw new Error('the section is too large');
  const h = new Uint8Array(HEADER_LEN);
  h.set(MAGIC, 0);
  h[8] = VERSION;
  h[9] = kind;
  new DataView(h.buffer).setUint32(12, sectionLen, true);
  return h;
}

/** Header, section and envelope of an object of `kind`; throws with a reason. */
export function split(object: Uint8Array, kind: Kind): { header: Uint8Array; section: Uint8Array; envelope: Uint8Array } {
  const magicOk = object.length >= HEADER_LEN && MAGIC.every((b, i) => object[i] === b);
  if (!magicOk) throw new Error('not a Custodia record or vault object');
  if (object[8] !== VERSION) throw new Error(`object format version ${object[8]} is not supported (this app reads ${VERSION})`);
  if (object[10] !== 0 || object[11] !== 0) throw new Error('malformed object header');
  if (object[9] !== kind) {
    const is = object[9] === Kind.Record ? 'record' : 'vault copy';
    throw new Error(`this object is a ${is}, not a ${kind === Kind.Record ? 'record' : 'vault copy'}`);
  }
  const sectionLen = new DataView(object.buffer, object.byteOffset, object.byteLength).getUint32(12, true);
  if (object.length - HEADER_LEN < sectionLen) throw new Error('the section runs past the end of the object');
  return {
    header: object.subarray(0, HEADER_LEN),
    section: object.subarray(HEADER_LEN, HEADER_LEN + sectionLen),
    envelope: object.subarray(HEADER_LEN + sectionLen),
  };
}

const recordAad = (h: Uint8Array, section: Uint8Array) => u8aConcat(h, contentHash(section));
const vaultAad = (h: Uint8Array, grant: bigint | number, record: bigint | number) => u8aConcat(h, le64(grant), le64(record));

const ab = (u: Uint8Array): ArrayBuffer => u.slice().buffer as ArrayBuffer;

/** Seals `plaintext` to an X25519 public key: encapsulated key ‖ ciphertext. */
export async function seal(recipient: Uint8Array, info: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array> {
  if (recipient.length !== 32) throw new Error('not an X25519 public key');
  const recipientPublicKey = await suite.kem.deserializePublicKey(ab(recipient));
  const { ct, enc } = await suite.seal({ recipientPublicKey, info: ab(info) }, ab(plaintext), ab(aad));
  return u8aConcat(new Uint8Array(enc), new Uint8Array(ct));
}

/** Opens an envelope made by {@link seal} with the recipient's X25519 secret. */
export async function open(secret: Uint8Array, info: Uint8Array, aad: Uint8Array, envelope: Uint8Array): Promise<Uint8Array> {
  if (envelope.length < ENCAPPED_KEY_LEN + 16) {
    throw new Error(`the envelope is ${envelope.length} bytes, too short to hold a key and a tag`);
  }
  const recipientKey = await suite.kem.deserializePrivateKey(ab(secret));
  try {
    const pt = await suite.open(
      { recipientKey, enc: ab(envelope.subarray(0, ENCAPPED_KEY_LEN)), info: ab(info) },
      ab(envelope.subarray(ENCAPPED_KEY_LEN)),
      ab(aad),
    );
    return new Uint8Array(pt);
  } catch {
    throw new Error('the envelope does not open with this key (sealed to someone else, or altered)');
  }
}

/** A record object: `body` sealed to its owner (no section). */
export async function sealRecord(ownerKey: Uint8Array, body: Uint8Array): Promise<Uint8Array> {
  if (body.length > MAX_BODY_BYTES) throw new Error(`the body is ${body.length} bytes; at most ${MAX_BODY_BYTES} are accepted`);
  const h = header(Kind.Record, 0);
  const none = new Uint8Array();
  return u8aConcat(h, await seal(ownerKey, RECORD_INFO, recordAad(h, none), body));
}

/** The body of a record object, opened with its owner's envelope secret. */
export async function openRecord(secret: Uint8Array, object: Uint8Array): Promise<Uint8Array> {
  const { header: h, section, envelope } = split(object, Kind.Record);
  return open(secret, RECORD_INFO, recordAad(h, section), envelope);
}

/** A vault copy: `body` re-sealed to the grantee key for (grant, record). */
export async function sealVaultCopy(granteeKey: Uint8Array, grant: bigint | number, record: bigint | number, body: Uint8Array): Promise<Uint8Array> {
  const h = header(Kind.VaultCopy, 0);
  return u8aConcat(h, await seal(granteeKey, VAULT_INFO, vaultAad(h, grant, record), body));
}

/** The body of a vault copy, opened with the grantee's envelope secret. */
export async function openVaultCopy(secret: Uint8Array, grant: bigint | number, record: bigint | number, object: Uint8Array): Promise<Uint8Array> {
  const { header: h, envelope } = split(object, Kind.VaultCopy);
  return open(secret, VAULT_INFO, vaultAad(h, grant, record), envelope);
}
