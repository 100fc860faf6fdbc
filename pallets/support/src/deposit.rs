//! Storage deposits: what an account pays for the state it makes every validator keep.
//!
//! A deposit is the pallet's base amount plus a per-byte rate times the encoded size of what is
//! stored. It is held from the account with a fungible hold under the pallet's hold reason (so it
//! stays the account's, but cannot be spent) and released to the same account when the item
//! ends, whichever way it ends. The pallet records each [`Deposit`] next to its item.

use custodia_primitives::Deposit;
use frame_support::traits::{fungible::MutateHold, tokens::Precision};
use sp_runtime::{traits::Saturating, DispatchError};

/// `base` plus `per_byte` for each of `bytes`. A size beyond `u32::MAX` bytes counts as
/// `u32::MAX` (no item can be that large; the deposit only has to be high).
pub fn amount_for<Balance: From<u32> + Saturating>(
	base: Balance,
	per_byte: Balance,
	bytes: usize,
) -> Balance {
	let bytes = Balance::from(u32::try_from(bytes).unwrap_or(u32::MAX));
	base.saturating_add(per_byte.saturating_mul(bytes))
}

/// Hold `amount` from `who` under `reason`; the deposit to record with the item. Fails, with
/// nothing held, when `who` cannot pay: make it the last check of a call.
pub fn hold<AccountId: Clone, Currency: MutateHold<AccountId>>(
	reason: &Currency::Reason,
	who: &AccountId,
	amount: Currency::Balance,
) -> Result<Deposit<AccountId, Currency::Balance>, DispatchError> {
	Currency::hold(reason, who, amount)?;
	Ok(Deposit { depositor: who.clone(), amount })
}

/// Give `deposit` (if the item had one) back to whoever paid it.
pub fn release<AccountId, Currency: MutateHold<AccountId>>(
	reason: &Currency::Reason,
	deposit: Option<Deposit<AccountId, Currency::Balance>>,
) {
	if let Some(deposit) = deposit {
		// Best effort: the hold is only smaller if governance slashed it, and then the rest is
		// all there is to give back.
		let _ =
			Currency::release(reason, &deposit.depositor, deposit.amount, Precision::BestEffort);
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn the_amount_is_the_base_plus_the_rate_per_byte_and_saturates() {
		assert_eq!(amount_for(100u128, 3, 10), 130);
		assert_eq!(amount_for(100u128, 0, 10), 100);
		assert_eq!(amount_for(u64::MAX - 1, 1, 5), u64::MAX, "saturates instead of wrapping");
		assert_eq!(
			amount_for(0u128, 1, usize::MAX),
			u128::from(u32::MAX),
			"bytes beyond u32 count as u32::MAX"
		);
	}
}
