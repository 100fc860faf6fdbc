// This file is part of Custodia.
// SPDX-License-Identifier: Apache-2.0

//! Benchmarks for `pallet-vaults`. Members and grants are made through the `runtime-benchmarks`
//! helpers of `ConsortiumInterface` and `ConsentInterface`.

use super::*;
use crate::Pallet as Vaults;
use alloc::vec;
use frame_benchmarking::v2::*;
use frame_support::traits::fungible::{Inspect, Mutate};
use frame_system::RawOrigin;
use pallet_consent::Period;
use sp_runtime::traits::Bounded;

fn assert_last_event<T: Config>(event: Event<T>) {
	frame_system::Pallet::<T>::assert_last_event(event.into());
}

fn block<T: Config>(n: u32) -> BlockNumberFor<T> {
	n.into()
}

fn longest_cid<T: Config>(tag: u32) -> CidOf<T> {
	let mut bytes = vec![b'c'; T::MaxCidLen::get() as usize];
	for (i, b) in tag.to_le_bytes().iter().enumerate() {
		if let Some(slot) = bytes.get_mut(i) {
			*slot = *b;
		}
	}
	BoundedVec::truncate_from(bytes)
}

fn all_categories<T: Config>() -> CategoriesOf<T> {
	BoundedVec::truncate_from(DataCategory::ALL.to_vec())
}

struct Setup<T: Config> {
	subject: T::AccountId,
	institution: T::AccountId,
	steward: T::AccountId,
}

/// Give `who` enough for every deposit a benchmark makes it pay (a millionth of the largest
/// balance: far above any record deposit, far below overflowing the issuance).
fn fund<T: Config>(who: &T::AccountId) {
	let plenty = BalanceOf::<T>::max_value() / 1_000_000u32.into();
	if T::Currency::balance(who) < plenty / 2u32.into() {
		T::Currency::set_balance(who, plenty);
	}
}

fn setup<T: Config>() -> Setup<T> {
	frame_system::Pallet::<T>::set_block_number(block::<T>(1));
	let subject: T::AccountId = whitelisted_caller();
	let institution: T::AccountId = account("institution", 0, 0);
	let steward: T::AccountId = account("steward", 0, 0);
	T::Consortium::benchmark_admit(&institution, &[MemberKind::Institution]);
	T::Consortium::benchmark_admit(&steward, &[MemberKind::DataSteward]);
	fund::<T>(&subject);
	fund::<T>(&institution);
	Setup { subject, institution, steward }
}

fn new_record<T: Config>(s: &Setup<T>, tag: u32) -> Result<RecordId, BenchmarkError> {
	fund::<T>(&s.subject);
	Ok(Vaults::<T>::do_register_record(
		s.subject.clone(),
		s.subject.clone(),
		longest_cid::<T>(tag),
		H256::repeat_byte(1),
		1_000_000,
		all_categories::<T>(),
		s.steward.clone(),
	)?)
}

/// `institution` registers a record for `s.subject`, pending the subject's acceptance.
fn propose<T: Config>(
	s: &Setup<T>,
	institution: &T::AccountId,
	tag: u32,
) -> Result<RecordId, BenchmarkError> {
	Ok(Vaults::<T>::do_register_record(
		institution.clone(),
		s.subject.clone(),
		longest_cid::<T>(tag),
		H256::repeat_byte(1),
		1_000_000,
		all_categories::<T>(),
		s.steward.clone(),
	)?)
}

/// Fill the subject's pending places to one below both caps: `s.institution` holds one less
/// than `MaxPendingRecordsPerInstitution`, other institutions the rest but one. The longest
/// pending list a call that still succeeds can meet.
fn fill_pending<T: Config>(s: &Setup<T>) -> Result<(), BenchmarkError> {
	let per_institution = T::MaxPendingRecordsPerInstitution::get();
	let room = T::MaxPendingRecordsPerOwner::get().saturating_sub(1);
	let mut tag = 30_000;
	for _ in 1..per_institution {
		propose::<T>(s, &s.institution, tag)?;
		tag += 1;
	}
	let mut placed = per_institution.saturating_sub(1);
	let mut other = 0;
	while placed < room {
		let institution: T::AccountId = account("other institution", other, 0);
		T::Consortium::benchmark_admit(&institution, &[MemberKind::Institution]);
		fund::<T>(&institution);
		for _ in 0..per_institution.min(room - placed) {
			propose::<T>(s, &institution, tag)?;
			tag += 1;
			placed += 1;
		}
		other += 1;
	}
	Ok(())
}

fn new_grant<T: Config>(s: &Setup<T>) -> GrantId {
	T::Consent::benchmark_grant(
		&s.subject,
		&s.institution,
		DataCategory::ALL.to_vec(),
		Period { start: block::<T>(1), end: block::<T>(1_000) },
	)
}

/// Open a vault under `grant` for `record`, expiring at `expires_at`.
fn new_vault<T: Config>(
	s: &Setup<T>,
	grant: GrantId,
	record: RecordId,
	tag: u32,
	expires_at: u32,
) -> Result<VaultId, BenchmarkError> {
	Ok(Vaults::<T>::do_open_vault(
		s.subject.clone(),
		grant,
		record,
		longest_cid::<T>(tag),
		block::<T>(expires_at),
	)?)
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn register_record() -> Result<(), BenchmarkError> {
		let s = setup::<T>();
		// Room for one more record.
		for i in 1..T::MaxRecordsPerOwner::get() {
			new_record::<T>(&s, 1_000 + i)?;
		}

		#[extrinsic_call]
		_(
			RawOrigin::Signed(s.subject.clone()),
			s.subject.clone(),
			longest_cid::<T>(0),
			H256::repeat_byte(1),
			1_000_000,
			all_categories::<T>(),
			s.steward.clone(),
		);

		assert_eq!(RecordsOf::<T>::get(&s.subject).len() as u32, T::MaxRecordsPerOwner::get());
		Ok(())
	}

	/// Worst case for an institution: the subject's pending places and the institution's share
	/// of them have room for exactly one more.
	#[benchmark]
	fn register_pending_record() -> Result<(), BenchmarkError> {
		let s = setup::<T>();
		fill_pending::<T>(&s)?;

		#[extrinsic_call]
		register_record(
			RawOrigin::Signed(s.institution.clone()),
			s.subject.clone(),
			longest_cid::<T>(0),
			H256::repeat_byte(1),
			1_000_000,
			all_categories::<T>(),
			s.steward.clone(),
		);

		assert_eq!(
			PendingRecordsOf::<T>::get(&s.subject).len() as u32,
			T::MaxPendingRecordsPerOwner::get()
		);
		assert_eq!(
			PendingRecordsFrom::<T>::get(&s.subject, &s.institution),
			T::MaxPendingRecordsPerInstitution::get()
		);
		Ok(())
	}

	/// Worst case: the owner's list of records has room for exactly one more, and the record is
	/// the last of a full pending list.
	#[benchmark]
	fn accept_record() -> Result<(), BenchmarkError> {
		let s = setup::<T>();
		for i in 1..T::MaxRecordsPerOwner::get() {
			new_record::<T>(&s, 1_000 + i)?;
		}
		fill_pending::<T>(&s)?;
		let record = propose::<T>(&s, &s.institution, 0)?;

		#[extrinsic_call]
		_(RawOrigin::Signed(s.subject.clone()), record);

		assert!(Records::<T>::contains_key(record));
		assert_eq!(RecordsOf::<T>::get(&s.subject).len() as u32, T::MaxRecordsPerOwner::get());
		Ok(())
	}

	/// Worst case: the record is the last of a full pending list.
	#[benchmark]
	fn reject_record() -> Result<(), BenchmarkError> {
		let s = setup::<T>();
		fill_pending::<T>(&s)?;
		let record = propose::<T>(&s, &s.institution, 0)?;

		#[extrinsic_call]
		_(RawOrigin::Signed(s.subject.clone()), record);

		assert!(!PendingRecords::<T>::contains_key(record));
		assert!(!RecordDeposits::<T>::contains_key(record));
		Ok(())
	}

	#[benchmark]
	fn open_vault() -> Result<(), BenchmarkError> {
		let s = setup::<T>();
		let record = new_record::<T>(&s, 0)?;
		let grant = new_grant::<T>(&s);
		let vault = NextVaultId::<T>::get();

		#[extrinsic_call]
		_(
			RawOrigin::Signed(s.subject.clone()),
			grant,
			record,
			longest_cid::<T>(1),
			block::<T>(500),
		);

		assert!(Vaults::<T>::is_vault_open(vault, block::<T>(1)));
		Ok(())
	}

	#[benchmark]
	fn close_vault() -> Result<(), BenchmarkError> {
		let s = setup::<T>();
		let record = new_record::<T>(&s, 0)?;
		let grant = new_grant::<T>(&s);
		let vault = new_vault::<T>(&s, grant, record, 1, 500)?;

		#[extrinsic_call]
		_(RawOrigin::Signed(s.subject.clone()), vault);

		assert!(!Vaults::<T>::is_vault_open(vault, block::<T>(1)));
		Ok(())
	}

	#[benchmark]
	fn confirm_unpinned() -> Result<(), BenchmarkError> {
		let s = setup::<T>();
		let record = new_record::<T>(&s, 0)?;
		let grant = new_grant::<T>(&s);
		let vault = new_vault::<T>(&s, grant, record, 1, 10)?;
		// Worst case: the expiry queue has not reached the vault, which is ended first.
		frame_system::Pallet::<T>::set_block_number(block::<T>(10));

		#[extrinsic_call]
		_(RawOrigin::Signed(s.steward.clone()), PinTarget::Vault(vault));

		assert_last_event::<T>(Event::UnpinConfirmed {
			target: PinTarget::Vault(vault),
			steward: s.steward,
		});
		Ok(())
	}

	#[benchmark]
	fn attest_removal() -> Result<(), BenchmarkError> {
		let s = setup::<T>();
		let record = new_record::<T>(&s, 0)?;
		let grant = new_grant::<T>(&s);
		let vault = new_vault::<T>(&s, grant, record, 1, 10)?;
		// Worst case: the expiry queue has not reached the vault, which is ended first.
		frame_system::Pallet::<T>::set_block_number(block::<T>(10));

		#[extrinsic_call]
		_(RawOrigin::Signed(s.institution.clone()), vault, longest_cid::<T>(1));

		assert_last_event::<T>(Event::RemovalAttested {
			vault,
			grantee: s.institution,
			cid: longest_cid::<T>(1),
		});
		Ok(())
	}

	#[benchmark]
	fn retire_record(v: Linear<0, { T::MaxVaultsPerRecord::get() }>) -> Result<(), BenchmarkError> {
		let s = setup::<T>();
		let record = new_record::<T>(&s, 0)?;
		for i in 0..v {
			let grant = new_grant::<T>(&s);
			new_vault::<T>(&s, grant, record, 1 + i, 500 + i)?;
		}

		#[extrinsic_call]
		_(RawOrigin::Signed(s.subject.clone()), record);

		assert_last_event::<T>(Event::RecordRetired { record, owner: s.subject, vaults_closed: v });
		Ok(())
	}

	#[benchmark]
	fn process_expiries(
		n: Linear<0, { T::MaxExpiriesPerBlock::get() }>,
	) -> Result<(), BenchmarkError> {
		let s = setup::<T>();
		// `n` vaults, each of its own subject, grant and record, filling expiry buckets from
		// block 10 on.
		let per_bucket = T::MaxVaultsPerBlock::get().max(1);
		for i in 0..n {
			let owner = Setup::<T> {
				subject: account("subject", i, 0),
				institution: s.institution.clone(),
				steward: s.steward.clone(),
			};
			let record = new_record::<T>(&owner, 10_000 + i)?;
			let grant = new_grant::<T>(&owner);
			new_vault::<T>(&owner, grant, record, 20_000 + i, 10 + i / per_bucket)?;
		}
		ExpiryCursor::<T>::put(block::<T>(10));
		let now = block::<T>(10 + n.saturating_sub(1) / per_bucket);
		frame_system::Pallet::<T>::set_block_number(now);

		#[block]
		{
			Vaults::<T>::process_expiries(now);
		}

		assert!(Vaults::<T>::must_pin(&s.steward)
			.iter()
			.all(|item| matches!(item.target, PinTarget::Record(_))));
		Ok(())
	}

	#[benchmark]
	fn on_grant_revoked(
		v: Linear<0, { T::MaxVaultsPerGrant::get() }>,
	) -> Result<(), BenchmarkError> {
		let s = setup::<T>();
		let grant = new_grant::<T>(&s);
		let records = (0..v.min(T::MaxRecordsPerOwner::get()))
			.map(|i| new_record::<T>(&s, 10_000 + i))
			.collect::<Result<Vec<_>, _>>()?;
		for i in 0..v {
			let record = records[i as usize % records.len()];
			new_vault::<T>(&s, grant, record, 20_000 + i, 500 + i)?;
		}

		#[block]
		{
			<Vaults<T> as OnGrantRevoked>::on_grant_revoked(grant);
		}

		assert!(VaultsOfGrant::<T>::get(grant).is_empty());
		Ok(())
	}

	#[benchmark]
	fn report_unfetchable() -> Result<(), BenchmarkError> {
		let s = setup::<T>();
		let record = new_record::<T>(&s, 0)?;
		let since = frame_system::Pallet::<T>::block_number();
		frame_system::Pallet::<T>::set_block_number(since + UnfetchableAfter::<T>::get());

		#[extrinsic_call]
		_(RawOrigin::Signed(s.steward.clone()), record, UnfetchableReason::Unreachable, since);

		assert_last_event::<T>(Event::RecordUnfetchable {
			owner: s.subject,
			record,
			steward: s.steward,
			reason: UnfetchableReason::Unreachable,
			since,
		});
		Ok(())
	}

	#[benchmark]
	fn set_unfetchable_after() -> Result<(), BenchmarkError> {
		let origin =
			T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let blocks = block::<T>(42);

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, blocks);

		assert_eq!(UnfetchableAfter::<T>::get(), blocks);
		Ok(())
	}

	impl_benchmark_test_suite!(Vaults, crate::mock::new_bench_ext(), crate::mock::Test);
}
