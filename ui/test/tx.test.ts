import { describe, expect, it } from 'vitest';
import type { ApiPromise } from '@polkadot/api';
import type { DispatchError } from '@polkadot/types/interfaces';
import { describeDispatchError, describeSendError } from '../src/lib/tx';

describe('transaction errors in words', () => {
  it('a pallet error reads as Pallet.Error: docs from metadata', () => {
    const api = {
      registry: {
        findMetaError: () => ({ section: 'vaults', name: 'ExpiryAfterGrantEnd', docs: ["The expiry block is after the grant's end.", "Choose a block no later than the grant's end."] }),
      },
    } as unknown as ApiPromise;
    const error = { isModule: true, asModule: {} } as unknown as DispatchError;
    expect(describeDispatchError(api, error)).toBe("Vaults.ExpiryAfterGrantEnd: The expiry block is after the grant's end. Choose a block no later than the grant's end.");
  });
  it('bad origin and token errors', () => {
    const api = {} as ApiPromise;
    expect(describeDispatchError(api, { isModule: false, isBadOrigin: true } as unknown as DispatchError)).toMatch(/^BadOrigin/);
    expect(describeDispatchError(api, { isModule: false, isBadOrigin: false, isToken: true, asToken: { type: 'FundsUnavailable' } } as unknown as DispatchError)).toMatch(/enough funds/);
  });
  it('fees the account cannot pay', () => {
    expect(describeSendError(new Error('1010: Invalid Transaction: Inability to pay some fees , e.g. account balance too low'))).toMatch(/^Insufficient funds.*Inability to pay some fees/);
  });
  it('a refused signature', () => {
    expect(describeSendError(new Error('Cancelled'))).toMatch(/cancelled the signature/);
  });
});
