// Manual smoke test, step 1 of 2 (NOT YET RUN: no custodia-node binary existed while it was written).
// Run from ui/: node test/manual/dev-node-setup.mjs   with RPC=ws://127.0.0.1:19944 UI=http://127.0.0.1:18080
// (a throw-away `custodia-node --dev`, and server.mjs in front of an IPFS daemon). Prints BOB_ENVELOPE_SECRET for step 2.
// Test-only setup on a throw-away dev node: Bob institution, Charlie steward, consortium key,
// a record of Alice's sealed to her envelope key and stored in IPFS via the UI server, a
// consent request from Bob (requester key = Bob's envelope key).
import { ApiPromise, WsProvider } from '@polkadot/api';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady, blake2AsU8a, keyExtractSuri, keyFromPath, mnemonicToMiniSecret, sr25519PairFromSeed } from '@polkadot/util-crypto';
import { DEV_PHRASE } from '@polkadot/keyring';
import { stringToU8a, u8aConcat, u8aToHex } from '@polkadot/util';
import { CipherSuite } from '@hpke/core';
import { Chacha20Poly1305 } from '@hpke/chacha20poly1305';
import { DhkemX25519HkdfSha256, HkdfSha256, X25519 } from '@hpke/dhkem-x25519';

const RPC = process.env.RPC ?? 'ws://127.0.0.1:19944';
const UI = process.env.UI ?? 'http://127.0.0.1:18080';
await cryptoWaitReady();
const suite = new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Chacha20Poly1305() });
const prim = new X25519(new HkdfSha256());
async function envelope(uri) {
  const { path } = keyExtractSuri(DEV_PHRASE + uri);
  const { secretKey } = keyFromPath(sr25519PairFromSeed(mnemonicToMiniSecret(DEV_PHRASE)), path, 'sr25519');
  const secret = blake2AsU8a(secretKey, 256, stringToU8a('custodia/envelope-x25519/v1'));
  const pk = new Uint8Array(await prim.serializePublicKey(await prim.derivePublicKey(await prim.deserializePrivateKey(secret))));
  return { secret, public: pk };
}
const api = await ApiPromise.create({ provider: new WsProvider(RPC) });
const keyring = new Keyring({ type: 'sr25519' });
const [alice, bob, charlie] = ['//Alice', '//Bob', '//Charlie'].map((u) => keyring.addFromUri(u));
function submit(tx, who) {
  return new Promise((resolve, reject) => {
    tx.signAndSend(who, ({ status, dispatchError, events }) => {
      if (dispatchError) {
        const m = dispatchError.isModule ? api.registry.findMetaError(dispatchError.asModule) : null;
        return reject(new Error(m ? `${m.section}.${m.name}` : dispatchError.toString()));
      }
      if (status.isInBlock) resolve(events);
    }).catch(reject);
  });
}
const bobKey = await envelope('//Bob');
const aliceKey = await envelope('//Alice');
const member = async (who) => (await api.query.consortium.members(who.address)).isSome;
if (!(await member(bob))) await submit(api.tx.sudo.sudo(api.tx.consortium.admitMember(bob.address, ['Institution'], 'City Clinic', bobKey.public, null)), alice);
if (!(await member(charlie))) await submit(api.tx.sudo.sudo(api.tx.consortium.admitMember(charlie.address, ['DataSteward'], 'Steward One', (await envelope('//Charlie')).public, '/ip4/127.0.0.1/tcp/4001')), alice);
if ((await api.query.consortium.consortiumKey()).isNone) await submit(api.tx.sudo.sudo(api.tx.consortium.setConsortiumKey(u8aToHex(new Uint8Array(32).fill(5)))), alice);

// Alice's record: header ‖ envelope, no FHE section.
const body = stringToU8a(JSON.stringify({ resourceType: 'Bundle', type: 'collection', entry: [{ resource: { resourceType: 'Observation', id: `obs-${Date.now()}` } }] }));
const header = new Uint8Array(16); header.set(stringToU8a('CUSTODIA')); header[8] = 1; header[9] = 1;
const aad = u8aConcat(header, blake2AsU8a(new Uint8Array(), 256));
const pk = await suite.kem.deserializePublicKey(aliceKey.public.slice().buffer);
const { ct, enc } = await suite.seal({ recipientPublicKey: pk, info: stringToU8a('custodia/record/v1').buffer }, body.slice().buffer, aad.slice().buffer);
const object = u8aConcat(header, new Uint8Array(enc), new Uint8Array(ct));
const added = await fetch(`${UI}/ipfs/add`, { method: 'POST', body: object });
const { cid, error } = await added.json();
if (!cid) throw new Error(`ipfs add: ${error}`);
let events = await submit(api.tx.vaults.registerRecord(alice.address, cid, blake2AsU8a(object, 256), object.length, ['VitalSigns', 'LaboratoryResults'], null, charlie.address), alice);
console.log('record registered', cid, events.map((e) => e.event.method).join(','));
const now = (await api.rpc.chain.getHeader()).number.toNumber();
events = await submit(api.tx.consent.request(alice.address, ['VitalSigns', 'LaboratoryResults', 'Medications'], 'TREAT', { start: now, end: now + 2000 }, bobKey.public), bob);
console.log('request made', events.map((e) => `${e.event.method}${e.event.method === 'ConsentRequested' ? ' ' + e.event.data.request.toString() : ''}`).join(','));
console.log('BOB_ENVELOPE_SECRET', u8aToHex(bobKey.secret));
await api.disconnect();
