// This file is part of Custodia.
// SPDX-License-Identifier: Apache-2.0

//! The plain functions behind `FheApi`: what an evaluator should work on, and jobs, models and
//! evaluation keys with their bounded vectors turned into plain ones for the runtime API.

use super::*;

impl<T: Config> Pallet<T> {
	/// The jobs `evaluator` should work on now, oldest first: pending jobs before their deadline
	/// to which it has not submitted an outcome. Empty for an account that is not an active
	/// evaluator.
	pub fn pending_jobs(
		evaluator: &T::AccountId,
	) -> Vec<JobSummary<T::AccountId, BlockNumberFor<T>>> {
		if !T::Consortium::is_active_member(evaluator, MemberKind::Evaluator) {
			return Vec::new();
		}
		let now = Self::now();
		OpenJobs::<T>::get()
			.into_iter()
			.filter_map(|id| Jobs::<T>::get(id).map(|job| (id, job)))
			.filter(|(_, job)| {
				now < job.deadline
					&& job.status == JobStatus::Pending
					&& !job.submissions.iter().any(|s| &s.evaluator == evaluator)
			})
			.map(|(id, job)| Self::job_summary(id, job))
			.collect()
	}

	/// A job, whatever its status.
	pub fn job(id: JobId) -> Option<JobSummary<T::AccountId, BlockNumberFor<T>>> {
		Jobs::<T>::get(id).map(|job| Self::job_summary(id, job))
	}

	/// A model, retired or not.
	pub fn model(id: ModelId) -> Option<ModelSummary<T::AccountId, BlockNumberFor<T>>> {
		Models::<T>::get(id).map(|m| {
			let t = m.template;
			ModelSummary {
				id,
				model: Model {
					template: ModelTemplate {
						name: t.name.into_inner(),
						features: t
							.features
							.into_iter()
							.map(|f| FeatureSpec {
								name: f.name.into_inner(),
								unit: f.unit.into_inner(),
								offset_micros: f.offset_micros,
								scale_micros: f.scale_micros,
							})
							.collect(),
						weights: t.weights.into_inner(),
						bias: t.bias,
						score_divisor: t.score_divisor,
						output_meaning: t.output_meaning.into_inner(),
						provenance: t.provenance.into_inner(),
						parameter_set: t.parameter_set,
					},
					registrant: m.registrant,
					registered_at: m.registered_at,
					retired_at: m.retired_at,
				},
			}
		})
	}

	/// `who`'s evaluation key, if it registered one.
	pub fn evaluation_key(who: &T::AccountId) -> Option<EvaluationKey<BlockNumberFor<T>, Vec<u8>>> {
		EvaluationKeys::<T>::get(who)
			.map(|k| EvaluationKey { key: Self::plain_ref(k.key), registered_at: k.registered_at })
	}

	fn plain_ref(r: IpfsRef<CidOf<T>>) -> IpfsRef<Vec<u8>> {
		IpfsRef { cid: r.cid.into_inner(), hash: r.hash }
	}

	fn plain_outcome(o: OutcomeOf<T>) -> Outcome<Vec<u8>> {
		match o {
			Outcome::Success { result_cid, result_hash } => {
				Outcome::Success { result_cid: result_cid.into_inner(), result_hash }
			},
			Outcome::Failure { reason } => Outcome::Failure { reason },
		}
	}

	fn job_summary(id: JobId, job: JobOf<T>) -> JobSummary<T::AccountId, BlockNumberFor<T>> {
		let kind = match job.kind {
			JobKind::Prediction { model, input } => {
				JobKind::Prediction { model, input: Self::plain_ref(input) }
			},
			JobKind::Program { program, input, evaluation_key } => JobKind::Program {
				program: Self::plain_ref(program),
				input: Self::plain_ref(input),
				evaluation_key: Self::plain_ref(evaluation_key),
			},
		};
		let status = match job.status {
			JobStatus::Pending => JobStatus::Pending,
			JobStatus::Final { result, at } => {
				JobStatus::Final { result: Self::plain_ref(result), at }
			},
			JobStatus::Failed { reason, at } => JobStatus::Failed { reason, at },
			JobStatus::TimedOut { at } => JobStatus::TimedOut { at },
		};
		JobSummary {
			id,
			job: Job {
				kind,
				requester: job.requester,
				requested_at: job.requested_at,
				deadline: job.deadline,
				status,
				submissions: job
					.submissions
					.into_iter()
					.map(|s| Submission {
						evaluator: s.evaluator,
						payload: Self::plain_outcome(s.payload),
						at: s.at,
					})
					.collect(),
			},
		}
	}
}
