// The small heart-risk model the prediction tests register, and its plaintext fixed-point
// computation: x_q = round((x − offset) · scale); score = Σ weight · x_q + bias.

import { eventOf, submit } from './tx.mjs';

export const FEATURES = [
  { name: 'age', unit: 'a', offset: 54.4, scale: 113.0 },
  { name: 'resting_bp', unit: 'mm[Hg]', offset: 131.7, scale: 57.0 },
  { name: 'cholesterol', unit: 'mg/dL', offset: 246.7, scale: 19.8 },
];
export const WEIGHTS = [310, 122, 87];
export const BIAS = -52_000;
export const SCORE_DIVISOR = 1_048_576;

/** The features the client encrypts for raw `values` (by feature name). */
export const quantise = (values) => FEATURES.map((f) => Math.round((values[f.name] - f.offset) * f.scale));

/** The model's score over quantised features, exactly. */
export const plaintextScore = (xq) => xq.reduce((sum, x, i) => sum + BigInt(WEIGHTS[i]) * BigInt(x), BigInt(BIAS));

/** Registers the model as `institution` (an active institution); resolves with its id and block. */
export async function registerHeartModel(api, institution, name) {
  const r = await submit(api, api.tx.fhe.registerModel({
    name,
    features: FEATURES.map((f) => ({ name: f.name, unit: f.unit, offsetMicros: Math.round(f.offset * 1e6), scaleMicros: Math.round(f.scale * 1e6) })),
    weights: WEIGHTS,
    bias: BIAS,
    scoreDivisor: SCORE_DIVISOR,
    outputMeaning: 'log-odds of heart disease × 2^20; > 0 means high risk',
    provenance: 'test model',
    parameterSet: 1,
  }), institution);
  return { model: eventOf(api, r.events, 'fhe', 'ModelRegistered').model.toNumber(), block: r.block };
}
