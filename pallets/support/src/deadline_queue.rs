//! A queue of ids that fall due at a block, worked through by `on_initialize`.
//!
//! Storage, owned by the pallet that uses the queue: a map from a block number to the bounded
//! bucket of ids due at it, and a cursor, the first block whose bucket has not been fully worked
//! through. Each block works from the cursor up to the current block, within a budget of steps
//! (one per id looked at, one per bucket finished); what does not fit carries over to the next
//! block, so a crowded block never makes `on_initialize` overweight and nothing due is skipped.
//!
//! A pallet implements [`DeadlineQueue`] on a marker type, naming its storage items:
//!
//! ```ignore
//! pub struct Timeouts<T>(PhantomData<T>);
//! impl<T: Config> DeadlineQueue for Timeouts<T> {
//!     type BlockNumber = BlockNumberFor<T>;
//!     type Id = JobId;
//!     type MaxPerBlock = T::MaxPendingJobs;
//!     type Buckets = TimeoutQueue<T>;
//!     type Cursor = TimeoutCursor<T>;
//! }
//! ```

use codec::FullCodec;
use frame_support::{
	storage::{StorageMap, StorageValue},
	traits::Get,
	BoundedVec,
};
use sp_runtime::traits::{One, Saturating};

/// The bucket of ids due at one block.
pub type Bucket<Q> = BoundedVec<<Q as DeadlineQueue>::Id, <Q as DeadlineQueue>::MaxPerBlock>;

/// A deadline queue over a pallet's own storage items (see the module docs).
pub trait DeadlineQueue {
	/// The block numbers ids fall due at.
	type BlockNumber: FullCodec + Copy + Ord + One + Saturating;
	/// What the queue holds (a vault id, a job id).
	type Id: FullCodec + Copy + PartialEq;
	/// The most ids due at one block.
	type MaxPerBlock: Get<u32>;
	/// The buckets: block number → ids due at it.
	type Buckets: StorageMap<Self::BlockNumber, Bucket<Self>, Query = Bucket<Self>>;
	/// The first block whose bucket has not been fully worked through; `None` before the first
	/// [`DeadlineQueue::work_through`].
	type Cursor: StorageValue<Self::BlockNumber, Query = Option<Self::BlockNumber>>;

	/// The bucket of block `at` with `id` added, or `None` when it is full. Nothing is written:
	/// the caller writes it with [`DeadlineQueue::put_bucket`] once its other checks passed.
	fn bucket_with(at: Self::BlockNumber, id: Self::Id) -> Option<Bucket<Self>> {
		let mut bucket = Self::Buckets::get(at);
		bucket.try_push(id).ok()?;
		Some(bucket)
	}

	/// Write the bucket of block `at` (from [`DeadlineQueue::bucket_with`]).
	fn put_bucket(at: Self::BlockNumber, bucket: Bucket<Self>) {
		Self::Buckets::insert(at, bucket);
	}

	/// Take `id` out of the bucket of block `at` (it ended before falling due); an emptied
	/// bucket is removed.
	fn unschedule(at: Self::BlockNumber, id: Self::Id) {
		Self::Buckets::mutate_exists(at, |bucket| {
			if let Some(ids) = bucket {
				ids.retain(|queued| *queued != id);
				if ids.is_empty() {
					*bucket = None;
				}
			}
		});
	}

	/// Whether `id` waits in the bucket of block `at`.
	fn is_scheduled(at: Self::BlockNumber, id: Self::Id) -> bool {
		Self::Buckets::get(at).contains(&id)
	}

	/// Whether block `at` is still ahead of the cursor (its bucket not yet fully worked through).
	/// An id due at a block behind the cursor would never be looked at.
	fn is_ahead_of_cursor(at: Self::BlockNumber) -> bool {
		Self::Cursor::get().is_none_or(|cursor| at >= cursor)
	}

	/// Work through the buckets from the cursor up to `now`, calling `on_due` for each id, at
	/// most `budget` steps (one per id, one per bucket finished). Ids that do not fit stay in
	/// their bucket for the next block. Returns the steps taken, for the weight.
	fn work_through(now: Self::BlockNumber, budget: u32, mut on_due: impl FnMut(Self::Id)) -> u32 {
		let mut cursor = Self::Cursor::get().unwrap_or(now);
		let mut steps = 0u32;
		while cursor <= now && steps < budget {
			let bucket = Self::Buckets::get(cursor);
			let room = budget.saturating_sub(steps) as usize;
			let take = bucket.len().min(room);
			for id in bucket.iter().take(take) {
				on_due(*id);
			}
			steps = steps.saturating_add(take as u32);
			if take < bucket.len() {
				let rest = bucket.into_inner().split_off(take);
				Self::Buckets::insert(cursor, BoundedVec::truncate_from(rest));
				break;
			}
			if !bucket.is_empty() {
				Self::Buckets::remove(cursor);
			}
			cursor = cursor.saturating_add(One::one());
			steps = steps.saturating_add(1);
		}
		Self::Cursor::put(cursor);
		steps
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use frame_support::{
		storage::types::{StorageMap as Map, StorageValue as Value, ValueQuery},
		traits::{ConstU32, StorageInstance},
		Twox64Concat,
	};
	use sp_io::TestExternalities;

	struct BucketsPrefix;
	impl StorageInstance for BucketsPrefix {
		fn pallet_prefix() -> &'static str {
			"Test"
		}
		const STORAGE_PREFIX: &'static str = "Buckets";
	}
	struct CursorPrefix;
	impl StorageInstance for CursorPrefix {
		fn pallet_prefix() -> &'static str {
			"Test"
		}
		const STORAGE_PREFIX: &'static str = "Cursor";
	}

	type Buckets = Map<BucketsPrefix, Twox64Concat, u32, BoundedVec<u64, ConstU32<4>>, ValueQuery>;
	type Cursor = Value<CursorPrefix, u32>;

	struct Queue;
	impl DeadlineQueue for Queue {
		type BlockNumber = u32;
		type Id = u64;
		type MaxPerBlock = ConstU32<4>;
		type Buckets = Buckets;
		type Cursor = Cursor;
	}

	fn schedule(at: u32, id: u64) {
		let bucket = Queue::bucket_with(at, id).expect("room in the bucket");
		Queue::put_bucket(at, bucket);
	}

	fn drain(now: u32, budget: u32) -> (Vec<u64>, u32) {
		let mut due = Vec::new();
		let steps = Queue::work_through(now, budget, |id| due.push(id));
		(due, steps)
	}

	#[test]
	fn ids_fall_due_at_their_block_in_the_order_they_were_queued() {
		TestExternalities::default().execute_with(|| {
			schedule(3, 30);
			schedule(2, 20);
			schedule(3, 31);
			assert_eq!(drain(1, 100), (vec![], 1), "nothing due at block 1");
			assert_eq!(drain(2, 100), (vec![20], 2));
			assert_eq!(drain(3, 100), (vec![30, 31], 3));
			assert!(Buckets::iter().next().is_none(), "worked-through buckets are removed");
			assert_eq!(Cursor::get(), Some(4));
		});
	}

	#[test]
	fn what_does_not_fit_the_budget_carries_over_and_nothing_is_skipped() {
		TestExternalities::default().execute_with(|| {
			Cursor::put(1);
			for id in [10, 11, 12, 13] {
				schedule(1, id);
			}
			schedule(2, 20);
			// Three ids fit; the fourth waits in its bucket, the cursor stays at block 1.
			assert_eq!(drain(5, 3), (vec![10, 11, 12], 3));
			assert_eq!(Cursor::get(), Some(1));
			assert_eq!(Buckets::get(1).into_inner(), vec![13]);
			// The next block goes on where it stopped, and on past the due blocks to `now`.
			assert_eq!(drain(6, 100), (vec![13, 20], 2 + 2 + 4));
			assert_eq!(Cursor::get(), Some(7));
		});
	}

	#[test]
	fn a_full_bucket_refuses_and_an_unscheduled_id_never_falls_due() {
		TestExternalities::default().execute_with(|| {
			for id in 0..4 {
				schedule(9, id);
			}
			assert_eq!(Queue::bucket_with(9, 4), None, "the bucket holds MaxPerBlock ids");
			Queue::unschedule(9, 2);
			assert!(!Queue::is_scheduled(9, 2));
			assert!(Queue::is_scheduled(9, 3));
			for id in [0, 1, 3] {
				Queue::unschedule(9, id);
			}
			assert!(!Buckets::contains_key(9), "an emptied bucket is removed");
		});
	}

	#[test]
	fn blocks_behind_the_cursor_are_told_apart() {
		TestExternalities::default().execute_with(|| {
			assert!(Queue::is_ahead_of_cursor(0), "no cursor before the first block");
			drain(5, 10);
			assert!(!Queue::is_ahead_of_cursor(5));
			assert!(Queue::is_ahead_of_cursor(6));
		});
	}
}
