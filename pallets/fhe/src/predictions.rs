// This file is part of Custodia.
// SPDX-License-Identifier: Apache-2.0

//! Prediction jobs: a person's record, encrypted under their own key, scored by a registered
//! model that is not retired. The input is an IPFS object named by CID and hash; the rest of the
//! job's life (deposit, open-job caps, quorum, deadline) is the shared lifecycle of
//! [`crate::jobs`].

use super::*;

impl<T: Config> Pallet<T> {
	pub(crate) fn do_request_prediction(
		who: T::AccountId,
		model: ModelId,
		input_cid: CidOf<T>,
		input_hash: H256,
	) -> Result<JobId, DispatchError> {
		let m = Models::<T>::get(model).ok_or(Error::<T>::UnknownModel)?;
		ensure!(m.retired_at.is_none(), Error::<T>::ModelRetired);
		ensure!(!input_cid.is_empty(), Error::<T>::EmptyCid);
		let input = IpfsRef { cid: input_cid.clone(), hash: input_hash };
		let job = Self::open_job(JobKind::Prediction { model, input }, who.clone())?;
		let deadline = Self::now().saturating_add(T::JobTimeout::get());
		Self::deposit_event(Event::PredictionRequested {
			job,
			model,
			requester: who,
			input_cid,
			input_hash,
			deadline,
		});
		Ok(job)
	}
}
