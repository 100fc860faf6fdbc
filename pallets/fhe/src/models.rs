// This file is part of Custodia.
// SPDX-License-Identifier: Apache-2.0

//! Models: an institution's auditable tuple template (features with units, offsets and scales,
//! integer weights, bias, score divisor, what the score means and where the model comes from),
//! registered against a storage deposit and retired by its registrant. Registration checks the
//! template is complete and consistent; the FHE engine checks it fits a parameter set when an
//! evaluator runs it (`custodia-fhe`'s `LinearModel::new`).

use super::*;

impl<T: Config> Pallet<T> {
	pub(crate) fn do_register_model(
		who: T::AccountId,
		template: ModelTemplateOf<T>,
	) -> Result<ModelId, DispatchError> {
		ensure!(
			T::Consortium::is_active_member(&who, MemberKind::Institution),
			Error::<T>::NotActiveInstitution
		);
		ensure!(!template.name.is_empty(), Error::<T>::EmptyName);
		ensure!(!template.features.is_empty(), Error::<T>::NoFeatures);
		ensure!(template.weights.len() == template.features.len(), Error::<T>::WeightCountMismatch);
		ensure!(template.features.iter().all(|f| !f.name.is_empty()), Error::<T>::EmptyName);
		let mut names: Vec<&[u8]> = template.features.iter().map(|f| f.name.as_slice()).collect();
		names.sort();
		names.dedup();
		ensure!(names.len() == template.features.len(), Error::<T>::DuplicateFeatureName);
		ensure!(
			template.features.iter().all(|f| f.scale_micros > 0) && template.score_divisor > 0,
			Error::<T>::ZeroScale
		);
		ensure!(
			!template.output_meaning.is_empty() && !template.provenance.is_empty(),
			Error::<T>::MissingDescription
		);

		let id = NextModelId::<T>::get();
		let name = template.name.clone();
		let model = Model {
			template,
			registrant: who.clone(),
			registered_at: Self::now(),
			retired_at: None,
		};
		let amount = Self::deposit_for(T::ModelDepositBase::get(), model.encoded_size());
		// The last check: nothing is written when it fails.
		let deposit = Self::hold_deposit(&who, amount, HoldReason::ModelDeposit)?;

		NextModelId::<T>::put(id.saturating_add(1));
		ModelDeposits::<T>::insert(id, deposit);
		Models::<T>::insert(id, model);
		Self::deposit_event(Event::ModelRegistered { model: id, registrant: who, name });
		Ok(id)
	}

	pub(crate) fn do_retire_model(who: T::AccountId, model: ModelId) -> DispatchResult {
		let mut m = Models::<T>::get(model).ok_or(Error::<T>::UnknownModel)?;
		ensure!(m.registrant == who, Error::<T>::NotModelRegistrant);
		ensure!(m.retired_at.is_none(), Error::<T>::ModelRetired);
		m.retired_at = Some(Self::now());
		Models::<T>::insert(model, m);
		Self::release_deposit(ModelDeposits::<T>::take(model), HoldReason::ModelDeposit);
		Self::deposit_event(Event::ModelRetired { model });
		Ok(())
	}
}
