// A dev node, as a user meets it: blocks are produced and finalized, a balance transfer
// signed by Alice is finalized, a transfer signed over the metadata digest (as hardware signers
// sign) is accepted, metrics are served, and Ctrl-C stops it cleanly.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Keyring } from '@polkadot/keyring';
import { merkleizeMetadata } from '@polkadot-api/merkleize-metadata';
import { connect, heads, panicsIn, startDevNode, waitFor } from './lib/node.mjs';

describe('custodia-node --dev', () => {
  let node;
  let api;

  before(async () => {
    node = await startDevNode();
    api = await connect(node.url);
  });

  after(async () => {
    await api?.disconnect();
    await node?.stop();
  });

  test('imports at least 3 blocks and finalizes at least 1', async () => {
    const reached = await waitFor('best >= 3 and finalized >= 1', async () => {
      const h = await heads(node.rpcPort);
      return h.best >= 3 && h.finalized >= 1 ? h : null;
    }, 120_000);
    assert.ok(reached.finalized <= reached.best);
  });

  test('serves the Custodia runtime metadata to polkadot.js', async () => {
    assert.equal(api.runtimeVersion.specName.toString(), 'custodia');
    const properties = await api.rpc.system.properties();
    assert.equal(properties.tokenSymbol.unwrap()[0].toString(), 'CUST');
    assert.equal(typeof api.tx.balances.transferKeepAlive, 'function');
    assert.equal(typeof api.tx.sudo.sudo, 'function');
    // The data-governance pallets, with the development consortium key set at genesis.
    for (const call of [api.tx.consortium.admitMember, api.tx.consent.request, api.tx.consent.grant, api.tx.vaults.openVault, api.tx.fhe.requestPrediction, api.tx.fhe.submitResult, api.tx.council.propose, api.call.fheApi.pendingJobs, api.call.vaultsApi.mustPin]) {
      assert.equal(typeof call, 'function');
    }
    assert.ok((await api.query.consortium.consortiumKey()).isSome);
  });

  test('runs the libp2p network backend by default', () => {
    assert.match(node.log(), /Running libp2p network backend/);
    assert.doesNotMatch(node.log(), /litep2p/i);
  });

  test('finalizes a balance transfer signed by Alice', async () => {
    const keyring = new Keyring({ type: 'sr25519' });
    const alice = keyring.addFromUri('//Alice');
    const bob = keyring.addFromUri('//Bob');
    const amount = 1_234_567_890_000n;
    const before = (await api.query.system.account(bob.address)).data.free.toBigInt();

    const { blockHash, events } = await new Promise((resolve, reject) => {
      api.tx.balances.transferKeepAlive(bob.address, amount)
        .signAndSend(alice, ({ status, events, dispatchError }) => {
          if (dispatchError) reject(new Error(`transfer failed: ${dispatchError.toString()}`));
          if (status.isFinalized) resolve({ blockHash: status.asFinalized, events });
        })
        .catch(reject);
    });

    const transfer = events.find(({ event }) => api.events.balances.Transfer.is(event));
    assert.ok(transfer, 'a Balances.Transfer event is emitted');
    const [from, to, value] = transfer.event.data;
    assert.equal(from.toString(), alice.address);
    assert.equal(to.toString(), bob.address);
    assert.equal(value.toBigInt(), amount);
    assert.ok(events.some(({ event }) => api.events.system.ExtrinsicSuccess.is(event)));

    const finalizedHash = await api.rpc.chain.getFinalizedHead();
    const finalizedNumber = (await api.rpc.chain.getHeader(finalizedHash)).number.toNumber();
    const includedNumber = (await api.rpc.chain.getHeader(blockHash)).number.toNumber();
    assert.ok(includedNumber <= finalizedNumber, 'the block with the transfer is finalized');
    const atBlock = await api.at(blockHash);
    const after = (await atBlock.query.system.account(bob.address)).data.free.toBigInt();
    assert.equal(after - before, amount);
  });

  // What a Ledger or polkadot-vault signer relies on (docs/operations.md, "Signers"): the runtime
  // checks a signature over the RFC-0078 digest of its metadata. The digest is computed here
  // independently from the metadata the node serves, with the chain's token symbol and decimals.
  test('accepts a transaction signed over the right metadata digest and refuses a wrong one', async () => {
    assert.ok(api.registry.signedExtensions.includes('CheckMetadataHash'), `extensions: ${api.registry.signedExtensions}`);
    const properties = await api.rpc.system.properties();
    const metadataV15 = (await api.call.metadata.metadataAtVersion(15)).unwrap().toU8a(true);
    const digest = merkleizeMetadata(metadataV15, {
      decimals: properties.tokenDecimals.unwrap()[0].toNumber(),
      tokenSymbol: properties.tokenSymbol.unwrap()[0].toString(),
    }).digest();
    const hex = (bytes) => `0x${Buffer.from(bytes).toString('hex')}`;
    const keyring = new Keyring({ type: 'sr25519' });
    const alice = keyring.addFromUri('//Alice');
    const charlie = keyring.addFromUri('//Charlie');
    const transfer = () => api.tx.balances.transferKeepAlive(charlie.address, 1_000_000_000_000n);

    const wrong = Uint8Array.from(digest, (byte) => byte ^ 0xff);
    await assert.rejects(
      transfer().signAndSend(alice, { mode: 1, metadataHash: hex(wrong) }),
      /bad signature/i,
      'a signature over another digest is invalid',
    );

    const signed = await transfer().signAsync(alice, { mode: 1, metadataHash: hex(digest) });
    const events = await new Promise((resolve, reject) => {
      signed.send(({ status, events, dispatchError }) => {
        if (dispatchError) reject(new Error(`transfer failed: ${dispatchError.toString()}`));
        if (status.isInBlock) resolve(events);
      }).catch(reject);
    });
    assert.ok(events.some(({ event }) => api.events.system.ExtrinsicSuccess.is(event)));
  });

  test('serves Prometheus metrics', async () => {
    const metrics = await (await fetch(`http://127.0.0.1:${node.prometheusPort}/metrics`)).text();
    assert.match(metrics, /^substrate_block_height\{status="finalized"/m);
  });

  test('stops cleanly on SIGINT with no panic in its log', async () => {
    await api.disconnect();
    const { code, signal } = await node.stop();
    assert.equal(signal, null, 'exits by itself, not killed');
    assert.equal(code, 0);
    assert.deepEqual(panicsIn(node.log()), []);
  });
});
