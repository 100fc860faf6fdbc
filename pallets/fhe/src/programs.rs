// This file is part of Custodia.
// SPDX-License-Identifier: Apache-2.0

//! Program jobs: a person's generic program (the `custodia-fhe` engine's `Program`, PMHE's
//! add/mult contract API) over values they encrypted under their own key, evaluated with their
//! registered evaluation key.
//!
//! The program is an IPFS object named by CID and hash, like the input, not bytes on chain: a
//! program of the engine's largest size (`MAX_OPS` = 256 operations, `MAX_INPUTS` = 32 inputs)
//! is several KiB of JSON, which every node would store for good in [`Jobs`] (the audit trail)
//! and every job's deposit would be priced at; a reference is 2 × (`MaxCidLen` + 32) bytes
//! whatever the program. The evaluators bound, hash-check and type-check the program before
//! running it, and fail the job with a precise [`FailureReason`] when it is malformed or too
//! large. The requester's evaluation key is copied into the job when it is requested, so that
//! every evaluator uses the same key even if the requester replaces it meanwhile.
//!
//! The rest of the job's life (deposit, open-job caps, quorum, deadline) is the shared
//! lifecycle of [`crate::jobs`].

use super::*;

impl<T: Config> Pallet<T> {
	pub(crate) fn do_request_program(
		who: T::AccountId,
		program: IpfsRef<CidOf<T>>,
		input: IpfsRef<CidOf<T>>,
	) -> Result<JobId, DispatchError> {
		ensure!(!program.cid.is_empty() && !input.cid.is_empty(), Error::<T>::EmptyCid);
		let evaluation_key = EvaluationKeys::<T>::get(&who).ok_or(Error::<T>::NoEvaluationKey)?.key;
		let kind = JobKind::Program {
			program: program.clone(),
			input: input.clone(),
			evaluation_key: evaluation_key.clone(),
		};
		let job = Self::open_job(kind, who.clone())?;
		let deadline = Self::now().saturating_add(T::JobTimeout::get());
		Self::deposit_event(Event::ProgramRequested {
			job,
			requester: who,
			program,
			input,
			evaluation_key,
			deadline,
		});
		Ok(job)
	}
}
