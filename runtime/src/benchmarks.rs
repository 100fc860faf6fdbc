//! The pallets whose weights frame-omni-bencher measures (scripts/benchmark-weights.sh).

impl frame_system_benchmarking::Config for super::Runtime {}

frame_benchmarking::define_benchmarks!(
	[frame_system, SystemBench::<Runtime>]
	[pallet_consortium, Consortium]
	[pallet_consent, Consent]
	[pallet_vaults, Vaults]
	[pallet_fhe, Fhe]
	[pallet_statistics, Statistics]
	[pallet_collective, Council]
	[pallet_validators, Validators]
);
