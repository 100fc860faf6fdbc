// Submitting extrinsics the way a polkadot.js user does, with failures that name the pallet
// error and its documentation instead of a bare index.

/**
 * Signs and submits `tx` as `signer` and resolves once it is in a block, with the block's number
 * and hash and the extrinsic's events. Rejects with `pallet.Error: docs` when dispatch fails,
 * including the inner call of `sudo.sudo`, and with the pool's verdict when the transaction
 * leaves it without a block for any other reason, or is not in a block within `IN_BLOCK_WITHIN`
 * (e.g. waiting in the pool behind a nonce that was never used): a test fails instead of waiting
 * for ever. `options` go to `signAndSend` (e.g. `{ nonce }`).
 *
 * A lost nonce race is signed again with a fresh nonce (up to `NONCE_RACE_ATTEMPTS` times): on a
 * dev chain the node's worker signs as the same account as a test's sudo (//Alice), and a worker
 * transaction signed at the same moment can take the test's nonce: usurp it, or make it stale.
 * Nothing of the lost transaction was dispatched, so signing it again is what a user would do.
 */
export async function submit(api, tx, signer, options = {}) {
  for (let attempt = 1; ; attempt += 1) {
    const outcome = await submitOnce(api, attempt === 1 ? tx : api.tx(tx.method), signer,
      attempt === 1 ? options : { ...options, nonce: -1 });
    if (!outcome.lostNonceRace) return outcome;
    if (attempt === NONCE_RACE_ATTEMPTS) {
      throw new Error(`${tx.method.section}.${tx.method.method} lost its nonce ${attempt} times: ${outcome.lostNonceRace}`);
    }
  }
}

const NONCE_RACE_ATTEMPTS = 5;
/** How long one signing of [`submit`] may wait for a block: 50 blocks of 6 s. */
const IN_BLOCK_WITHIN = 300_000;

/** Whether the pool refused a transaction because another one of its signer took its nonce. */
const isNonceRace = (message) => /\b1014\b|Priority is too low|outdated|\bStale\b/i.test(message);

/** One signing and submission of [`submit`]; `{ lostNonceRace: why }` when it lost its nonce. */
function submitOnce(api, tx, signer, options) {
  return new Promise((resolvePromise, rejectPromise) => {
    const what = `${tx.method.section}.${tx.method.method}`;
    let unsubscribe = () => {};
    let lastStatus = 'not yet submitted';
    let settled = false;
    const settle = (outcome) => (value) => { settled = true; clearTimeout(timer); unsubscribe(); outcome(value); };
    const resolve = settle(resolvePromise);
    const reject = settle(rejectPromise);
    const timer = setTimeout(() => reject(new Error(`${what} was in no block after ${IN_BLOCK_WITHIN / 1000} s (last status: ${lastStatus})`)), IN_BLOCK_WITHIN);
    tx.signAndSend(signer, options, async ({ status, events, dispatchError }) => {
      try {
        lastStatus = status.type;
        if (status.isUsurped || status.isInvalid || status.isDropped) {
          const verdict = `${what} left the pool without a block: ${status.type}`;
          // Usurped: another transaction of the signer with the same nonce replaced it. Invalid
          // before any block held it: the nonce was used meanwhile (the pool's only other reason,
          // an expired era, cannot happen within a test's wait). Neither was dispatched.
          return status.isDropped ? reject(new Error(verdict)) : resolve({ lostNonceRace: verdict });
        }
        if (!status.isInBlock) return;
        const failure = dispatchError ?? events
          .map(({ event }) => event)
          .find((event) => api.events.sudo?.Sudid.is(event) && event.data.sudoResult.isErr)
          ?.data.sudoResult.asErr;
        if (failure) return reject(new Error(describeError(api, failure)));
        const header = await api.rpc.chain.getHeader(status.asInBlock);
        resolve({ block: header.number.toNumber(), hash: status.asInBlock.toHex(), events: events.map(({ event }) => event) });
      } catch (error) {
        reject(error);
      }
    }).then((u) => { unsubscribe = u; if (settled) u(); }, (error) => {
      if (isNonceRace(error.message)) resolve({ lostNonceRace: error.message });
      else reject(error);
    });
  });
}

/**
 * Submits several extrinsics of one signer at once (consecutive nonces, so that they can share
 * a block) and resolves with their results in order.
 */
export async function submitAll(api, txs, signer) {
  const first = (await api.rpc.system.accountNextIndex(signer.address)).toNumber();
  return Promise.all(txs.map((tx, i) => submit(api, tx, signer, { nonce: first + i })));
}

/** `pallet.Error: documentation` for a module error; the error's text otherwise. */
export function describeError(api, error) {
  if (error.isModule) {
    const { section, name, docs } = api.registry.findMetaError(error.asModule);
    return `${section}.${name}: ${docs.join(' ')}`;
  }
  return error.toString();
}

/** The data (named fields) of the first `pallet.Name` event in `events`. */
export function eventOf(api, events, pallet, name) {
  const event = events.find((e) => api.events[pallet][name].is(e));
  if (!event) throw new Error(`no ${pallet}.${name} event among ${events.map((e) => `${e.section}.${e.method}`).join(', ')}`);
  return event.data;
}

/**
 * Resolves with the first `pallet.Name` event matching `predicate` in a block imported from now
 * on: `{ block, data }`.
 */
export async function nextEvent(api, pallet, name, predicate = () => true, timeoutMs = 120_000) {
  return new Promise((resolve, reject) => {
    let unsubscribe = () => {};
    let done = false;
    const finish = (outcome) => { if (done) return; done = true; clearTimeout(timer); unsubscribe(); outcome(); };
    const timer = setTimeout(() => finish(() => reject(new Error(`timed out waiting for ${pallet}.${name}`))), timeoutMs);
    api.rpc.chain.subscribeNewHeads(async (header) => {
      const records = await (await api.at(header.hash)).query.system.events();
      const hit = records.map(({ event }) => event)
        .find((event) => api.events[pallet][name].is(event) && predicate(event.data));
      if (hit) finish(() => resolve({ block: header.number.toNumber(), data: hit.data }));
    }).then((u) => { unsubscribe = u; if (done) u(); }, reject);
  });
}
