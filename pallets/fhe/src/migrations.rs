// This file is part of Custodia.
// SPDX-License-Identifier: Apache-2.0

//! Storage migrations, each a [`VersionedMigration`] the runtime lists in its `Executive`.

use super::*;
use frame_support::{
	migrations::VersionedMigration,
	storage::{migration::move_prefix, storage_prefix, unhashed, StoragePrefixedMap},
	traits::{PalletInfoAccess, UncheckedOnRuntimeUpgrade},
};

/// Version 0 → 1: the open-job items are named for what they hold. `PendingJobs` (the list of
/// open jobs) becomes [`OpenJobs`] and `OpenJobsOf` (a count per account) [`OpenJobCount`];
/// every value stays as it was, under the new name.
pub type V0ToV1<T> = VersionedMigration<
	0,
	1,
	RenameOpenJobItems<T>,
	Pallet<T>,
	<T as frame_system::Config>::DbWeight,
>;

/// The unversioned step of [`V0ToV1`]; use that instead.
pub struct RenameOpenJobItems<T>(core::marker::PhantomData<T>);

impl<T: Config> RenameOpenJobItems<T> {
	/// Where version 0 kept `name` of this pallet.
	fn old_prefix(name: &[u8]) -> [u8; 32] {
		storage_prefix(Pallet::<T>::name().as_bytes(), name)
	}
}

impl<T: Config> UncheckedOnRuntimeUpgrade for RenameOpenJobItems<T> {
	fn on_runtime_upgrade() -> Weight {
		// A value's key is its prefix itself, which `move_prefix` (keys under a prefix) skips.
		let old_list = Self::old_prefix(b"PendingJobs");
		if let Some(list) = unhashed::get_raw(&old_list) {
			unhashed::kill(&old_list);
			unhashed::put_raw(&OpenJobs::<T>::hashed_key(), &list);
		}
		move_prefix(&Self::old_prefix(b"OpenJobsOf"), &OpenJobCount::<T>::final_prefix());
		// One read and two writes (the old key removed, the new one set) per moved key.
		let moved = 1 + OpenJobCount::<T>::iter_keys().count() as u64;
		T::DbWeight::get().reads_writes(moved, 2 * moved)
	}

	#[cfg(feature = "try-runtime")]
	fn pre_upgrade() -> Result<Vec<u8>, sp_runtime::TryRuntimeError> {
		let old_list = unhashed::get_raw(&Self::old_prefix(b"PendingJobs"));
		Ok(old_list.encode())
	}

	#[cfg(feature = "try-runtime")]
	fn post_upgrade(old_list: Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
		let old_list = Option::<Vec<u8>>::decode(&mut &old_list[..])
			.map_err(|_| "pre_upgrade state unreadable")?;
		let new_list = unhashed::get_raw(&OpenJobs::<T>::hashed_key());
		ensure!(new_list == old_list, "the open-job list changed when it moved");
		Pallet::<T>::do_try_state()
	}
}
