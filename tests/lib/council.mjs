// Council motions as the consortium's members make them: one member proposes a call, each voter
// votes aye, anyone closes. Every consortium member sits on the council; a motion's origin is the
// share of members who voted for it, which each call checks (a majority admits a member, two
// thirds reach Root through validators.dispatchAsRoot).

import assert from 'node:assert/strict';
import { describeError, submit } from './tx.mjs';

/** Weight bound for closing a motion: enough for any call the tests propose. */
const CLOSE_WEIGHT = { refTime: 50_000_000_000n, proofSize: 1_000_000n };

/**
 * A council motion for `call`, proposed by `voters[0]` with threshold `voters.length`, voted aye
 * by every voter (the proposer's aye is not implied) and closed by `voters[0]`. Resolves with
 * `{ result, events }`: the `council.Executed` event's dispatch result (`null` when the motion
 * was disapproved) and the closing extrinsic's events.
 */
export async function motion(api, call, voters) {
  const length = call.method.encodedLength;
  const { events: proposedEvents } = await submit(api, api.tx.council.propose(voters.length, call, length), voters[0]);
  const proposed = proposedEvents.find((e) => api.events.council.Proposed.is(e));
  assert.ok(proposed, 'the motion is open');
  const { proposalIndex: index, proposalHash: hash } = proposed.data;
  await Promise.all(voters.map((voter) => submit(api, api.tx.council.vote(hash, index, true), voter)));
  const { events } = await submit(api, api.tx.council.close(hash, index, CLOSE_WEIGHT, length), voters[0]);
  const executed = events.find((e) => api.events.council.Executed.is(e));
  return { result: executed ? executed.data.result : null, events };
}

/** A motion that must pass and whose call must succeed; resolves with the closing events. */
export async function governed(api, call, voters) {
  const { result, events } = await motion(api, call, voters);
  assert.ok(result, 'the motion was executed');
  assert.ok(result.isOk, `the motion's call: ${result.isErr ? describeError(api, result.asErr) : ''}`);
  return events;
}
