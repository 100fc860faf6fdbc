/**
 * Keys: a person's account and X25519 envelope key, both derived from one sr25519 secret
 * (docs/identities.md). The secret comes from a recovery phrase / secret URI (`//Alice`) or a
 * polkadot.js JSON account and its password. Everything here lives in page memory only.
 */
import { Keyring } from '@polkadot/keyring';
import type { KeyringPair, KeyringPair$Json } from '@polkadot/keyring/types';
import { u8aToHex } from '@polkadot/util';
import {
  base64Decode,
  blake2AsU8a,
  cryptoWaitReady,
  jsonDecryptData,
  keyExtractSuri,
  keyFromPath,
  mnemonicToMiniSecret,
  mnemonicValidate,
  sr25519PairFromSeed,
  encodeAddress,
  decodeAddress,
} from '@polkadot/util-crypto';
import { DEV_PHRASE } from '@polkadot/keyring';
import { HkdfSha256, X25519 } from '@hpke/dhkem-x25519';
import { hexToU8a, isHex, stringToU8a, u8aEq } from '@polkadot/util';

/** The BLAKE2b key that separates the envelope key from every other use of the secret. */
export const ENVELOPE_KEY_CONTEXT = 'custodia/envelope-x25519/v1';

/**
 * The BLAKE2b key of the nonce half of a secret whose URI ends in a soft junction: soft derivation
 * draws that half at random, so without this rule the envelope key would change at every import
 * (docs/identities.md; the client applies the same rule).
 */
export const SOFT_NONCE_CONTEXT = 'custodia/sr25519-soft-nonce/v1';

/** The development accounts offered on local chains. */
export const DEV_ACCOUNTS = ['Alice', 'Bob', 'Charlie', 'Dave', 'Eve', 'Ferdie'] as const;

/** An identity whose secret the page holds: it signs and opens envelopes. */
export interface Identity {
  /** SS58 address (generic prefix 42). */
  address: string;
  /** The keyring pair that signs (sr25519). */
  pair: KeyringPair;
  /** The X25519 envelope key. */
  envelope: EnvelopeKey;
}

/** An X25519 key pair for HPKE. */
export interface EnvelopeKey {
  secret: Uint8Array;
  public: Uint8Array;
}

const x25519 = new X25519(new HkdfSha256());

/** X25519(secret, 9): the public half of an X25519 secret. */
export async function x25519Public(secret: Uint8Array): Promise<Uint8Array> {
  const sk = await x25519.deserializePrivateKey(secret);
  const pk = await x25519.derivePublicKey(sk);
  return new Uint8Array(await x25519.serializePublicKey(pk));
}

/** The envelope key of a 64-byte sr25519 secret (ed25519-compatible encoding). */
export async function envelopeKeyFromSecret64(secret64: Uint8Array): Promise<EnvelopeKey> {
  if (secret64.length !== 64) throw new Error(`an sr25519 secret key is 64 bytes, not ${secret64.length}`);
  const secret = blake2AsU8a(secret64, 256, stringToU8a(ENVELOPE_KEY_CONTEXT));
  return { secret, public: await x25519Public(secret) };
}

/** The 64-byte secret of a secret URI: a phrase or 0x seed with junctions, or `//Alice`. */
export function secret64FromUri(uri: string): { secretKey: Uint8Array; publicKey: Uint8Array } {
  const trimmed = uri.trim().replace(/\s+/g, ' ');
  const full = trimmed.startsWith('/') ? `${DEV_PHRASE}${trimmed}` : trimmed;
  const { password, path, phrase } = keyExtractSuri(full);
  let seed: Uint8Array;
  if (isHex(phrase, 256)) {
    seed = hexToU8a(phrase);
  } else {
    const words = phrase.split(' ');
    if (![12, 15, 18, 21, 24].includes(words.length)) {
      throw new Error(`a recovery phrase has 12 or 24 words; this one has ${words.length}`);
    }
    if (!mnemonicValidate(phrase)) throw new Error('this recovery phrase is not valid (a word is misspelt or missing)');
    seed = mnemonicToMiniSecret(phrase, password ?? '');
  }
  const pair = keyFromPath(sr25519PairFromSeed(seed), path, 'sr25519');
  if (path.length > 0 && !path[path.length - 1].isHard) {
    const secretKey = new Uint8Array(pair.secretKey);
    secretKey.set(blake2AsU8a(secretKey.subarray(0, 32), 256, stringToU8a(SOFT_NONCE_CONTEXT)), 32);
    return { secretKey, publicKey: pair.publicKey };
  }
  return pair;
}

/** The 64-byte secret stored in a polkadot.js JSON account (PKCS8, sr25519). */
export function secret64FromJson(json: KeyringPair$Json, password: string): { secretKey: Uint8Array; publicKey: Uint8Array } {
  const types = Array.isArray(json.encoding?.content) ? json.encoding.content : [];
  if (!types.includes('sr25519')) {
    throw new Error(`this account file holds a ${types[1] ?? 'non-sr25519'} key; Custodia identities are sr25519`);
  }
  let decoded: Uint8Array;
  try {
    decoded = jsonDecryptData(base64Decode(json.encoded), password, Array.isArray(json.encoding.type) ? json.encoding.type : [json.encoding.type]);
  } catch {
    throw new Error('the password does not open this account file');
  }
  // PKCS8 as polkadot.js writes it: header (16) ‖ secret (64) ‖ divider (5) ‖ public (32).
  const secretKey = decoded.subarray(16, 80);
  const publicKey = decoded.subarray(85, 117);
  if (secretKey.length !== 64 || publicKey.length !== 32) throw new Error('this account file is not a polkadot.js sr25519 account');
  return { secretKey: new Uint8Array(secretKey), publicKey: new Uint8Array(publicKey) };
}

async function identity(secretKey: Uint8Array, publicKey: Uint8Array, name: string): Promise<Identity> {
  await cryptoWaitReady();
  const keyring = new Keyring({ type: 'sr25519' });
  const pair = keyring.addFromPair({ publicKey, secretKey }, { name });
  return { address: encodeAddress(publicKey), pair, envelope: await envelopeKeyFromSecret64(secretKey) };
}

/** An identity from a recovery phrase or secret URI. */
export async function identityFromUri(uri: string, name = 'imported'): Promise<Identity> {
  await cryptoWaitReady();
  const { secretKey, publicKey } = secret64FromUri(uri);
  return identity(secretKey, publicKey, name);
}

/** An identity from a polkadot.js JSON account file's text and its password. */
export async function identityFromJson(text: string, password: string): Promise<Identity> {
  await cryptoWaitReady();
  let json: KeyringPair$Json;
  try {
    json = JSON.parse(text) as KeyringPair$Json;
  } catch {
    throw new Error('this file is not a JSON account file');
  }
  if (typeof json?.encoded !== 'string' || !json.encoding) throw new Error('this file is not a polkadot.js JSON account');
  const { secretKey, publicKey } = secret64FromJson(json, password);
  if (json.address && !u8aEq(decodeAddress(json.address), publicKey)) {
    throw new Error('this account file is damaged: its key does not match its address');
  }
  return identity(secretKey, publicKey, json.meta?.name ? String(json.meta.name) : 'imported');
}

/** Whether an envelope key was derived from the account at `address` (same public key). */
export function belongsTo(id: Identity, address: string): boolean {
  try {
    return u8aEq(decodeAddress(id.address), decodeAddress(address));
  } catch {
    return false;
  }
}

/** Hex of a key, for display. */
export const keyHex = (key: Uint8Array): string => u8aToHex(key);
