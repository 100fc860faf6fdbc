// This file is part of Custodia.
// SPDX-License-Identifier: Apache-2.0

//! Consortium roles and member keys.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

/// An X25519 public key (32 bytes, RFC 7748), used as the recipient key of HPKE (RFC 9180)
/// envelopes.
pub type X25519PublicKey = [u8; 32];

/// A role in the consortium. A member may hold several.
#[derive(
	Copy,
	Clone,
	PartialEq,
	Eq,
	PartialOrd,
	Ord,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
	serde::Serialize,
	serde::Deserialize,
)]
pub enum MemberKind {
	/// A health institution (hospital, laboratory, research or public-health body). May request
	/// consent and receive shared data.
	#[codec(index = 0)]
	Institution,
	/// A data steward: runs IPFS, pins live records and vaults, unpins what ended.
	#[codec(index = 1)]
	DataSteward,
	/// An evaluator: a validator that evaluates encrypted (FHE) jobs.
	#[codec(index = 2)]
	Evaluator,
}
