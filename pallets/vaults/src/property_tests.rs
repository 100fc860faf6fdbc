// This file is part of Custodia.
// SPDX-License-Identifier: Apache-2.0

//! Property tests: random sequences of calls to the consortium, consent and vaults pallets
//! (drawn from a seeded `StdRng`, so every failure replays), checking after every call that
//!
//! 1. an Open vault is never held under a grant that is revoked in storage, and, once no
//!    revocation or expiry work is queued, never without a grant that is live at the current block;
//! 2. an Open vault never remains after its expiry block was processed;
//! 3. a grant is never used by a suspended member: no vault is opened for it, no authorisation is
//!    answered for it, no steward is told to pin a vault for it;
//! 4. a failed call changes no storage at all;
//! 5. the steward queries agree with storage, and each pallet's `try_state` invariants hold.

use crate::{
	mock::*, ExpiryCursor, NextRecordId, NextVaultId, PendingRecords, PinTarget, Records,
	VaultState, Vaults as VaultStore,
};
use frame_support::assert_ok;
use pallet_consent::{
	ConsentInterface, DataCategory, DataCategory::*, GrantStatus, Grantee, Grants, NextGrantId,
	NextRequestId, PendingRequests, Period, PurposeOfUse, Requests, RevocationQueue,
};
use pallet_consortium::{ConsortiumInterface, MemberKind};
use rand::{rngs::StdRng, Rng, SeedableRng};
use sp_runtime::{DispatchResult, StateVersion};

const INSTITUTIONS: [u64; 2] = [HOSPITAL, LAB];
const STEWARDS: [u64; 2] = [STEWARD, STEWARD_TWO];
const SUBJECTS: [u64; 2] = [ALICE, BOB];
const CATEGORIES: [DataCategory; 3] = [LaboratoryResults, VitalSigns, Conditions];
const PURPOSES: [PurposeOfUse; 2] = [PurposeOfUse::TREAT, PurposeOfUse::PUBHLTH];

fn pick<T: Copy>(rng: &mut StdRng, xs: &[T]) -> T {
	xs[rng.gen_range(0..xs.len())]
}

fn some_categories(rng: &mut StdRng) -> Vec<DataCategory> {
	let chosen: Vec<_> = CATEGORIES.iter().copied().filter(|_| rng.gen_bool(0.5)).collect();
	if chosen.is_empty() {
		vec![pick(rng, &CATEGORIES)]
	} else {
		chosen
	}
}

/// Mostly the subject, sometimes Alice's caregiver, rarely a stranger.
fn signer_for(rng: &mut StdRng, subject: u64) -> u64 {
	match rng.gen_range(0..10) {
		0 => MALLORY,
		1 | 2 if subject == ALICE => CAREGIVER,
		_ => subject,
	}
}

fn is_active_institution(who: u64) -> bool {
	Consortium::is_active_member(&who, MemberKind::Institution)
}

/// Run a call; if it fails, check that it changed no storage (events included).
fn attempt(call: impl FnOnce() -> DispatchResult) -> bool {
	let before = sp_io::storage::root(StateVersion::V1);
	match call() {
		Ok(()) => true,
		Err(e) => {
			assert_eq!(
				before,
				sp_io::storage::root(StateVersion::V1),
				"failed call {e:?} changed storage"
			);
			false
		},
	}
}

/// One random step. Returns a description, for failure messages.
fn step(rng: &mut StdRng, fresh: &mut u32) -> String {
	let now = System::block_number();
	*fresh += 1;
	let fresh_cid = format!("bafy{fresh}");
	match rng.gen_range(0..20) {
		0..=2 => {
			let (institution, subject) = (pick(rng, &INSTITUTIONS), pick(rng, &SUBJECTS));
			let start = now + rng.gen_range(0..3);
			let end = start + rng.gen_range(1..30);
			attempt(|| {
				Consent::request(
					RuntimeOrigin::signed(institution),
					subject,
					some_categories(rng).try_into().unwrap(),
					pick(rng, &PURPOSES),
					Period { start, end },
					[9; 32],
				)
			});
			format!("request {institution} -> {subject} [{start}, {end})")
		},
		3..=5 => {
			let n = NextRequestId::<Test>::get();
			if n == 0 {
				return "no request to grant".into();
			}
			// Mostly a request still waiting for an answer.
			let pending: Vec<u64> =
				PendingRequests::<Test>::iter_values().flat_map(|l| l.into_inner()).collect();
			let id = if !pending.is_empty() && rng.gen_bool(0.8) {
				pick(rng, &pending)
			} else {
				rng.gen_range(0..n)
			};
			let r = Requests::<Test>::get(id).unwrap();
			let signer = signer_for(rng, r.subject);
			let scope = rng
				.gen_bool(0.3)
				.then(|| r.scope.iter().copied().filter(|_| rng.gen_bool(0.7)).collect::<Vec<_>>())
				.map(|s| s.try_into().unwrap());
			let period = rng.gen_bool(0.3).then(|| Period {
				start: r.period.start,
				end: r.period.start + rng.gen_range(1..=(r.period.end - r.period.start)),
			});
			attempt(|| Consent::grant(RuntimeOrigin::signed(signer), id, scope, period));
			format!("grant request {id} by {signer}")
		},
		6 => {
			let n = NextRequestId::<Test>::get();
			if n == 0 {
				return "no request to deny".into();
			}
			let id = rng.gen_range(0..n);
			let signer = signer_for(rng, Requests::<Test>::get(id).unwrap().subject);
			attempt(|| Consent::deny(RuntimeOrigin::signed(signer), id));
			format!("deny request {id} by {signer}")
		},
		7 => {
			let n = NextGrantId::<Test>::get();
			if n == 0 || rng.gen_bool(0.5) {
				return "no grant to revoke".into();
			}
			let id = rng.gen_range(0..n);
			let signer = signer_for(rng, Grants::<Test>::get(id).unwrap().subject);
			attempt(|| Consent::revoke(RuntimeOrigin::signed(signer), id));
			format!("revoke grant {id} by {signer}")
		},
		8 => {
			let subject = pick(rng, &SUBJECTS);
			let start = now + rng.gen_range(0..3);
			let end = start + rng.gen_range(1..40);
			attempt(|| {
				Consent::grant_consortium_wide(
					RuntimeOrigin::signed(subject),
					subject,
					some_categories(rng).try_into().unwrap(),
					pick(rng, &PURPOSES),
					Period { start, end },
				)
			});
			format!("consortium-wide grant by {subject}")
		},
		9 => {
			if rng.gen_bool(0.7) {
				return "no suspension this time".into();
			}
			let who =
				if rng.gen_bool(0.8) { pick(rng, &INSTITUTIONS) } else { pick(rng, &STEWARDS) };
			attempt(|| Consortium::suspend_member(RuntimeOrigin::root(), who));
			format!("suspend {who}")
		},
		10 => {
			let who =
				if rng.gen_bool(0.8) { pick(rng, &INSTITUTIONS) } else { pick(rng, &STEWARDS) };
			attempt(|| Consortium::reinstate_member(RuntimeOrigin::root(), who));
			format!("reinstate {who}")
		},
		11 | 12 => {
			let owner = pick(rng, &SUBJECTS);
			let signer = if rng.gen_bool(0.8) { owner } else { pick(rng, &INSTITUTIONS) };
			let steward = pick(rng, &STEWARDS);
			attempt(|| {
				Vaults::register_record(
					RuntimeOrigin::signed(signer),
					owner,
					cid(fresh_cid.as_bytes()),
					sp_core::H256::repeat_byte(1),
					100,
					categories(&if rng.gen_bool(0.6) {
						vec![pick(rng, &CATEGORIES)]
					} else {
						some_categories(rng)
					}),
					steward,
				)
			});
			// An institution's record waits for its owner: mostly accepted, sometimes rejected,
			// sometimes left pending.
			let id = NextRecordId::<Test>::get().saturating_sub(1);
			if signer != owner && PendingRecords::<Test>::contains_key(id) {
				let answerer = signer_for(rng, owner);
				if rng.gen_bool(0.7) {
					attempt(|| Vaults::accept_record(RuntimeOrigin::signed(answerer), id));
				} else if rng.gen_bool(0.5) {
					attempt(|| Vaults::reject_record(RuntimeOrigin::signed(answerer), id));
				}
			}
			format!("register record of {owner} by {signer}")
		},
		13..=15 => {
			let (grants, records) = (NextGrantId::<Test>::get(), NextRecordId::<Test>::get());
			if grants == 0 || records == 0 {
				return "nothing to open a vault with".into();
			}
			// Mostly a grant to an institution and a record of its subject within its scope
			// (live or not: grants that ended, were revoked or whose grantee is suspended must be
			// refused); otherwise anything.
			let matching: Vec<(u64, u64)> = (0..grants)
				.flat_map(|g| (0..records).map(move |r| (g, r)))
				.filter(|(g, r)| {
					let info = Consent::grant_info(*g).unwrap();
					// Pending and rejected records are not in `Records`.
					let Some(record) = Records::<Test>::get(r) else { return false };
					matches!(info.grantee, Grantee::Institution(_))
						&& record.owner == info.subject
						&& record.retired_at.is_none()
						&& record.categories.iter().all(|c| info.scope.contains(c))
				})
				.collect();
			let live: Vec<(u64, u64)> = matching
				.iter()
				.copied()
				.filter(|(g, _)| Consent::is_grant_live(*g, now))
				.collect();
			let (grant, record) = match rng.gen_range(0..10) {
				0..=6 if !live.is_empty() => pick(rng, &live),
				0..=8 if !matching.is_empty() => pick(rng, &matching),
				_ => (rng.gen_range(0..grants), rng.gen_range(0..records)),
			};
			let info = Consent::grant_info(grant).unwrap();
			let signer = signer_for(rng, info.subject);
			// Expiry blocks on multiples of 5, so that buckets fill and expiry work carries over.
			let expires_at = if rng.gen_bool(0.7) {
				(now / 5 + rng.gen_range(1..5)) * 5
			} else {
				now + rng.gen_range(1..25)
			};
			let grantee_active = match info.grantee {
				Grantee::Institution(i) => is_active_institution(i),
				Grantee::AnyMember => false,
			};
			let live = Consent::is_grant_live(grant, now);
			let opened = attempt(|| {
				Vaults::open_vault(
					RuntimeOrigin::signed(signer),
					grant,
					record,
					cid(fresh_cid.as_bytes()),
					expires_at,
				)
			});
			assert!(
				!opened || (live && grantee_active),
				"vault opened under grant {grant} that is not live or whose grantee is suspended"
			);
			format!("open vault: grant {grant}, record {record}, until {expires_at}, by {signer}")
		},
		16 => {
			let n = NextVaultId::<Test>::get();
			if n == 0 {
				return "no vault to close".into();
			}
			let id = rng.gen_range(0..n);
			let v = VaultStore::<Test>::get(id).unwrap();
			let signer = if rng.gen_bool(0.5) { v.grantee } else { signer_for(rng, v.subject) };
			attempt(|| Vaults::close_vault(RuntimeOrigin::signed(signer), id));
			format!("close vault {id} by {signer}")
		},
		17 => {
			let n = NextRecordId::<Test>::get();
			if n == 0 || rng.gen_bool(0.6) {
				return "no record to retire".into();
			}
			let id = rng.gen_range(0..n);
			let owner = match Records::<Test>::get(id).or_else(|| PendingRecords::<Test>::get(id)) {
				Some(r) => r.owner,
				None => pick(rng, &SUBJECTS),
			};
			let signer = signer_for(rng, owner);
			attempt(|| {
				Vaults::retire_record(RuntimeOrigin::signed(signer), id)
					.map(|_| ())
					.map_err(|e| e.error)
			});
			format!("retire record {id} by {signer}")
		},
		18 => {
			let (vaults, records) = (NextVaultId::<Test>::get(), NextRecordId::<Test>::get());
			let target = if vaults > 0 && rng.gen_bool(0.7) {
				PinTarget::Vault(rng.gen_range(0..vaults))
			} else if records > 0 {
				PinTarget::Record(rng.gen_range(0..records))
			} else {
				return "nothing to unpin".into();
			};
			let steward = if rng.gen_bool(0.8) {
				match target {
					PinTarget::Vault(id) => VaultStore::<Test>::get(id).unwrap().steward,
					PinTarget::Record(id) => {
						Records::<Test>::get(id).map_or_else(|| pick(rng, &STEWARDS), |r| r.steward)
					},
				}
			} else {
				pick(rng, &STEWARDS)
			};
			attempt(|| Vaults::confirm_unpinned(RuntimeOrigin::signed(steward), target));
			let vaults = NextVaultId::<Test>::get();
			if vaults > 0 {
				let id = rng.gen_range(0..vaults);
				let v = VaultStore::<Test>::get(id).unwrap();
				attempt(|| {
					Vaults::attest_removal(RuntimeOrigin::signed(v.grantee), id, v.cid.clone())
				});
			}
			format!("confirm unpin {target:?} by {steward}, attest a removal")
		},
		_ => {
			let to = now + rng.gen_range(1..5);
			run_to_block(to);
			format!("run to block {to}")
		},
	}
}

fn check_properties(context: &str) {
	check_all_invariants();
	let now = System::block_number();
	let cursor = ExpiryCursor::<Test>::get();
	// No revocation queued, and every expiry bucket up to `now` processed.
	let drained =
		RevocationQueue::<Test>::iter().next().is_none() && cursor.is_some_and(|c| c > now);

	for (id, v) in VaultStore::<Test>::iter() {
		if v.state == VaultState::Open {
			let grant = Grants::<Test>::get(v.grant).expect("an open vault's grant exists");
			assert_eq!(
				grant.status,
				GrantStatus::Active,
				"{context}: open vault {id} under a revoked grant"
			);
			if let Some(c) = cursor {
				assert!(
					v.expires_at >= c,
					"{context}: vault {id} open after its expiry block was processed"
				);
			}
			if drained {
				assert!(
					Consent::is_grant_live(v.grant, now),
					"{context}: vault {id} open at {now} without a live grant"
				);
			}
		}
		if Vaults::is_vault_open(id, now) {
			assert!(
				Consent::is_grant_live(v.grant, now),
				"{context}: vault {id} readable without a live grant"
			);
			assert!(
				is_active_institution(v.grantee),
				"{context}: vault {id} readable by a suspended member"
			);
		}
	}

	for institution in INSTITUTIONS {
		if !is_active_institution(institution) {
			for subject in SUBJECTS {
				for category in CATEGORIES {
					for purpose in PURPOSES {
						assert!(
							!Consent::is_authorized(&institution, &subject, category, purpose, now),
							"{context}: suspended {institution} authorised for {subject}"
						);
					}
				}
			}
			assert!(
				Consent::grants_of_institution(&institution).iter().all(|g| !g.live),
				"{context}: suspended {institution} holds a live grant"
			);
		}
	}

	for steward in STEWARDS {
		let pin = Vaults::must_pin(&steward);
		let unpin = Vaults::must_unpin(&steward);
		for item in &pin {
			if let PinTarget::Vault(id) = item.target {
				assert!(
					Vaults::is_vault_open(id, now),
					"{context}: steward told to pin ended vault {id}"
				);
				let v = VaultStore::<Test>::get(id).unwrap();
				assert!(
					is_active_institution(v.grantee),
					"{context}: steward pins for a suspended member"
				);
			}
			assert!(
				!unpin.iter().any(|u| u.target == item.target),
				"{context}: pin and unpin {:?}",
				item.target
			);
		}
		for (id, v) in VaultStore::<Test>::iter().filter(|(_, v)| v.steward == steward) {
			let listed = unpin.iter().any(|u| u.target == PinTarget::Vault(id));
			let should = v.unpinned.is_none() && !Vaults::is_vault_open(id, now);
			assert_eq!(listed, should, "{context}: unpin list wrong for vault {id}");
		}
	}
}

fn run_one_sequence(seed: u64, steps: usize) {
	ExtBuilder.build().execute_with(|| {
		let mut rng = StdRng::seed_from_u64(seed);
		let mut fresh = 0u32;
		assert_ok!(Consent::set_delegate(RuntimeOrigin::signed(ALICE), CAREGIVER));
		run_to_block(2);
		for i in 0..steps {
			let what = step(&mut rng, &mut fresh);
			check_properties(&format!("seed {seed}, step {i} ({what})"));
		}
		// Let every period end and every queue drain.
		let end = System::block_number() + 1_100;
		run_to_block(end);
		check_properties(&format!("seed {seed}, after draining"));
		assert!(RevocationQueue::<Test>::iter().next().is_none(), "seed {seed}: revocations left");
		assert!(
			VaultStore::<Test>::iter().all(|(_, v)| v.state != VaultState::Open),
			"seed {seed}: a vault is still open after every grant ended"
		);
	});
}

#[test]
fn random_call_sequences_keep_every_vault_and_grant_invariant() {
	for seed in 0..24 {
		run_one_sequence(seed, 400);
	}
}
