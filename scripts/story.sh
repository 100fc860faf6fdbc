#!/usr/bin/env bash
# The whole Custodia story, told with the `custodia` client, against either
#  - a dev chain whose node runs the worker (steward + evaluator + aggregator, signing as //Alice)
#    beside Bob's node (the second aggregator): governance is Alice's sudo key, Alice's node is
#    admitted as steward and evaluator and Bob's as evaluator; or
#  - (--net) the 4-validator local net, every validator's worker in every role: governance is a
#    council motion (proposed by Alice, approved by Bob and Charlie, closed), the founding
#    validators are already stewards and evaluators, and all four aggregate;
# and an IPFS daemon. scripts/run.sh starts them and then runs this; every step prints one line
# with its block and checks what it claims (a failed check stops the story with an error).
#
# Every step also appends one JSON object to the step log (JSON Lines; the schema is in
# README.md, "The story's step log"): its id, status ("ok", "skipped" or "failed"), block, the
# line it printed and its facts as typed fields. A failure is logged as the step it stopped, with
# the reason. Tests read this log, never the printed lines.
#
# Usage: scripts/story.sh [--net] [--log FILE] WS_URL IPFS_API_URL STATE_DIR
# Environment: CUSTODIA_PEOPLE (cohort size, default 52), CUSTODIA_DATA_DIR (default
# ../shared/data beside the checkout: the Cleveland heart-disease set trains the prediction model),
# CUSTODIA_STORY_STRICT (fail instead of skipping the prediction when the data set is absent),
# CUSTODIA_STEWARD_IPFS_API (the steward's own IPFS daemon, default IPFS_API_URL),
# CUSTODIA_STORY_LOG (the step log, default STATE_DIR/story.jsonl; --log overrides it).
# shellcheck disable=SC2016 # the jq programs in single quotes name jq's $variables, not the shell's
set -euo pipefail
# A failed step inside $(…) stops the story too.
shopt -s inherit_errexit
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

net="" log="${CUSTODIA_STORY_LOG:-}"
while [ $# -gt 0 ]; do
	case "$1" in
		--net) net=1; shift ;;
		--log) [ $# -ge 2 ] || die "--log needs a FILE"; log="$2"; shift 2 ;;
		--) shift; break ;;
		-*) die "unknown option '$1' (usage: scripts/story.sh [--net] [--log FILE] WS_URL IPFS_API_URL STATE_DIR)" ;;
		*) break ;;
	esac
done
[ $# -eq 3 ] || die "usage: scripts/story.sh [--net] [--log FILE] WS_URL IPFS_API_URL STATE_DIR"
url="$1" ipfs_api="$2" state="$3"
log="${log:-$state/story.jsonl}"
people="${CUSTODIA_PEOPLE:-52}"
data_dir="${CUSTODIA_DATA_DIR:-$REPO_ROOT/../shared/data}"
CLI="$CARGO_TARGET_DIR/debug/custodia"
FHE_TOOL="$CARGO_TARGET_DIR/debug/custodia-fhe"
command -v jq >/dev/null || die "jq is missing: run scripts/setup.sh"
export CUSTODIA_KEYS_DIR="$state/keys" CUSTODIA_URL="$url" CUSTODIA_IPFS_API="$ipfs_api"
# The IPFS daemon the steward's worker pins on (run.sh gives the client and every worker one
# daemon). The client adds a vault's copy unpinned, so a pin of it there is the steward's own.
steward_ipfs="${CUSTODIA_STEWARD_IPFS_API:-$ipfs_api}"
# Demo identities only: every key file of this story is sealed under this passphrase.
export CUSTODIA_PASSPHRASE="custodia demo passphrase"
mkdir -p "$state/people" "$(dirname "$log")"
: >"$log"
say "The story's step log (JSON Lines, one object per step): $log"

# --- The step log ---------------------------------------------------------------------------------
# The step under way: a failure from here on is logged as this step's.
current="set-up"
begin() { current="$1"; }
# Appends one object to the step log. Usage: log_step STATUS BLOCK|null [jq --arg/--argjson ...] FILTER
# where FILTER builds the object's remaining fields from the named arguments.
log_step() {
	local status="$1" block="$2"
	shift 2
	jq -nc --arg step "$current" --arg status "$status" --argjson block "$block" "$@" >>"$log"
}
# Tells the step under way: its line for people, its object for the log. FACTS_FILTER builds the
# facts object from the named jq arguments before it, e.g.
#   told "$block" "a vault opens" --argjson vault 3 '{vault: $vault}'
told() {
	local block="$1" line="$2" facts="${*: -1}"
	shift 2
	[[ "$block" =~ ^[0-9]+$ ]] || fail "no block number for this step (got '$block')"
	printf '\033[1;32m[#%s]\033[0m %s\n' "$block" "$line"
	log_step ok "$block" --arg line "$line" "${@:1:$#-1}" \
		"{step: \$step, status: \$status, block: \$block, line: \$line, facts: ($facts)}"
}
# Whether the log's last entry is a failure (a failed check inside $(…) logged it already).
failure_logged() { [ "$(tail -n 1 "$log" 2>/dev/null | jq -r .status 2>/dev/null)" = failed ]; }
# Stops the story: logs the step under way as failed with REASON (unless the failure that caused
# this one is logged already), then exits with an error. Inside $(…) the subshell logs and exits;
# inherit_errexit (or the missing block number) then stops the story.
fail() {
	failure_logged || log_step failed null --arg reason "$*" '{step: $step, status: $status, block: $block, reason: $reason}'
	die "story step '$current' failed: $*"
}
# Any other way out with an error (e.g. a signal, or a command outside a check) still ends the log
# with the step it stopped.
on_exit() {
	local code=$?
	[ "$code" != 0 ] || return 0
	failure_logged || log_step failed null --arg reason "the story exited with status $code during this step (see its output)" \
		'{step: $step, status: $status, block: $block, reason: $reason}'
}
trap on_exit EXIT

# --- The client's JSON ----------------------------------------------------------------------------
# custodia with --json; prints its JSON (stdout), stops the story on failure with the client's
# error message as the step's reason.
cj() {
	local err code=0
	err=$(mktemp)
	"$CLI" "$@" --json 2>"$err" || code=$?
	cat "$err" >&2
	local message
	message=$(tail -n 1 "$err")
	rm -f "$err"
	[ "$code" = 0 ] || fail "custodia $* exited with $code: ${message#error: }"
}
# A jq FILTER applied to the JSON on stdin, strings printed raw: jget '.record'
jget() { jq -r "$@"; }
# The latest finalized block, for steps that are reads.
finalized() { cj status | jget .finalized; }
account_of() { "$CLI" keys list --json | jget --arg name "$1" 'first(.[] | select(.name == $name) | .account)'; }
x25519_of() { "$CLI" keys list --json | jget --arg name "$1" 'first(.[] | select(.name == $name) | .x25519_public)'; }
# Polls `custodia ARGS --json` until the jq CONDITION holds on it; prints the last JSON.
# Usage: wait_until SECONDS CONDITION ARGS...
wait_until() {
	local seconds="$1" condition="$2" out i
	shift 2
	for ((i = 0; i < seconds; i += 2)); do
		out=$("$CLI" "$@" --json 2>/dev/null) || true
		if [ -n "$out" ] && jq -e "$condition" >/dev/null 2>&1 <<<"$out"; then printf '%s\n' "$out"; return 0; fi
		sleep 2
	done
	fail "waited ${seconds}s for: custodia $* ($condition)"
}
# The SHA-256 of FILE, hex.
sha256_of() { sha256sum "$1" | cut -d ' ' -f 1; }

# Makes a governance call (`custodia govern ARGS`, as Alice): at once by sudo on the dev chain;
# on the net a council motion that Bob and Charlie approve and Alice closes. Prints the JSON of
# the step that executed it (with "motion" on the net).
govern() { governed govern "$@"; }
# Any governance command of the client (`custodia ARGS --as alice`), enacted the same way.
governed() {
	local out motion voter
	out=$(cj "$@" --as alice)
	motion=$(jget '.motion // empty' <<<"$out")
	if [ -z "$motion" ]; then printf '%s\n' "$out"; return; fi
	for voter in bob charlie; do cj govern vote --as "$voter" "$motion" --aye >/dev/null; done
	cj govern close --as alice "$motion"
}
# The council motion that enacted a governance step's JSON (null when sudo did).
motion_of() { jget -c '.motion // null'; }

# --- The consortium: a validator's node and an institution join ---------------------------------
cj keys import alice --suri //Alice >/dev/null
if [ -n "$net" ]; then
	cj keys import bob --suri //Bob >/dev/null
	cj keys import charlie --suri //Charlie >/dev/null
	cj keys import dave --suri //Dave >/dev/null
fi
cj keys create clinic >/dev/null
cj keys create me >/dev/null
alice=$(account_of alice) clinic=$(account_of clinic) me=$(account_of me)

if [ -n "$net" ]; then
	begin founding-members
	told "$(finalized)" "the 4 validators are the founding members: data stewards, evaluators and the council" \
		--argjson validators 4 '{validators: $validators}'
else
	begin steward-admitted
	peer_id=$(curl -sf -X POST "$ipfs_api/api/v0/id" | jget '.ID') || fail "IPFS at $ipfs_api has no peer id"
	out=$(govern admit --member "$alice" --kinds data-steward,evaluator --name "Alice's node (validator)" \
		--hpke-key "$(x25519_of alice)" --ipfs-address "$peer_id")
	told "$(jget .block <<<"$out")" "Alice's node joins the consortium as data steward and evaluator (sudo on --dev)" \
		--arg member "$alice" --argjson motion "$(motion_of <<<"$out")" \
		'{member: $member, kinds: ["data-steward", "evaluator"], motion: $motion}'
	begin aggregator-admitted
	cj keys import bob --suri //Bob >/dev/null
	bob=$(account_of bob)
	out=$(govern admit --member "$bob" --kinds evaluator --name "Bob's node (statistics aggregator)" \
		--hpke-key "$(x25519_of bob)")
	told "$(jget .block <<<"$out")" "Bob's node joins as evaluator: the second statistics aggregator (a statistic stays private while either is honest)" \
		--arg member "$bob" --argjson motion "$(motion_of <<<"$out")" '{member: $member, kinds: ["evaluator"], motion: $motion}'
fi
begin institution-admitted
out=$(cj transfer --as alice --amount 1000 "$clinic" "$me")
out=$(govern admit --member "$clinic" --kinds institution --name "General Hospital" --hpke-key "$(x25519_of clinic)")
told "$(jget .block <<<"$out")" "an institution joins: General Hospital ($clinic)${net:+, by council motion (3 of 4 members)}" \
	--arg member "$clinic" --argjson motion "$(motion_of <<<"$out")" \
	'{member: $member, name: "General Hospital", kinds: ["institution"], motion: $motion}'

# --- Private statistics: a schema, differential privacy, an aggregator epoch (Prio3) ---------------
begin schema-registered
out=$(governed statistic schema register --category wearable-readings \
	--field heart_rate:/min:250:50,60,70,80,90,100,120 --field systolic:mm[Hg]:300 --field diastolic:mm[Hg]:200 \
	--field spo2:%:100 --field respiration:/min:80 --field temperature:0.1Cel:450 --field steps:1:8000)
# (On the net the motion's close reports the enactment, not the call's result: read the schema back.)
schema_json=$(cj statistic schema show --category wearable-readings | jget -c '.[-1]')
schema=$(jget .id <<<"$schema_json")
fields=$(jget -c '[.fields[].name]' <<<"$schema_json")
[ "$(jget 'length' <<<"$fields")" = 7 ] || fail "schema $schema has not the 7 fields registered: $schema_json"
told "$(jget .block <<<"$out")" "governance registers statistic schema $schema for wearable readings: 7 fields, each report proves its values are in range" \
	--argjson schema "$schema" --argjson fields "$fields" --argjson motion "$(motion_of <<<"$out")" \
	'{schema: $schema, category: "wearable-readings", fields: $fields, motion: $motion}'
begin privacy-set
out=$(governed statistic privacy set --epsilon 1 --budget 3 --period 14400)
told "$(jget .block <<<"$out")" "governance sets differential privacy: ε = 1 per statistic, a budget of ε = 3 per institution, purpose and category per day" \
	--argjson motion "$(motion_of <<<"$out")" '{epsilon: 1, budget: 3, period: 14400, motion: $motion}'
begin epoch-started
if [ -n "$net" ]; then aggregators=(alice bob charlie dave); else aggregators=(alice bob); fi
out=$(governed statistic epoch start "${aggregators[@]/#/--aggregator=}")
told "$(jget .block <<<"$out")" "an aggregator epoch starts: ${aggregators[*]}" \
	--argjson aggregators "$(printf '%s\n' "${aggregators[@]}" | jq -Rsc 'split("\n")[:-1]')" \
	--argjson motion "$(motion_of <<<"$out")" '{aggregators: $aggregators, motion: $motion}'
begin epoch-active
out=$(wait_until 120 '.active and .active.status == "Active"' statistic epoch show)
epoch=$(jget .active.id <<<"$out")
told "$(finalized)" "the aggregators posted their epoch keys and agreed a verification key no client knows: epoch $epoch is active" \
	--argjson epoch "$epoch" '{epoch: $epoch}'

# --- A person's wearable records a window of readings --------------------------------------------
begin wearable-uploaded
out=$(cj wearable --as me --count 1 --interval 1 --samples 60 --seed 1)
record=$(jget .record <<<"$out")
[ "$(jget '.reports | length' <<<"$out")" = 1 ] || fail "the wearable's record $record carries no statistics report: $out"
told "$(jget .block <<<"$out")" "a person's wearable uploads 60 s of readings: record $record (a FHIR Bundle sealed to them) and its Prio3 report $(jget '.reports[0].report' <<<"$out") (one input share sealed to each aggregator, with a proof that its $(jget '.values | length' <<<"$out") values are in range)" \
	--argjson wearable "$out" \
	'{record: $wearable.record, cid: $wearable.cid, report: $wearable.reports[0].report, values: ($wearable.values | length)}'
cj record show --as me "$record" --out "$state/my-record.json" >/dev/null

# --- Consent, a vault, the institution reads it ---------------------------------------------------
begin consent-requested
out=$(cj consent request --as clinic --subject "$me" --scope wearable-readings --purpose TREAT --blocks 600)
request=$(jget .request <<<"$out")
told "$(jget .block <<<"$out")" "General Hospital asks for consent: wearable readings, for treatment, 600 blocks (request $request)" \
	--argjson request "$request" '{request: $request, scope: ["wearable-readings"], purpose: "TREAT", blocks: 600}'
begin consent-granted
out=$(cj consent grant --as me "$request")
grant=$(jget .grant <<<"$out")
told "$(jget .block <<<"$out")" "the person grants it: grant $grant" --argjson request "$request" --argjson grant "$grant" \
	'{request: $request, grant: $grant}'
begin vault-opened
out=$(cj vault open --as me --grant "$grant" --record "$record" --blocks 12)
vault=$(jget .vault <<<"$out") expires=$(jget .expires_at <<<"$out") vault_cid=$(jget .cid <<<"$out")
told "$(jget .block <<<"$out")" "the person opens vault $vault: record $record re-sealed to the hospital's key, open until block $expires" \
	--argjson opened "$out" '{vault: $opened.vault, grant: $opened.grant, record: $opened.record, cid: $opened.cid, expires_at: $opened.expires_at}'
begin vault-pinned
steward=$(cj vault show "$vault" | jget .steward)
out=$(wait_until 60 ".in_agreement and any(.pinned[]; .target == \"vault $vault\")" steward pins "$steward" --ipfs-api "$steward_ipfs")
told "$(finalized)" "the chain lists vault $vault for its steward to pin, and the steward's own IPFS daemon pins it (the client added it unpinned; $(jget '.pinned | length' <<<"$out") objects required, all pinned)" \
	--argjson vault "$vault" --argjson pins "$out" --arg cid "$vault_cid" \
	'{vault: $vault, steward: $pins.steward, cid: $cid, required: ($pins.pinned | length), missing: ($pins.missing | length),
	  cid_pinned: any($pins.pinned[]; .cid == $cid)}'
begin vault-fetched
out=$(cj vault fetch --as clinic "$vault" --out "$state/vault-$vault.json")
cmp -s "$state/vault-$vault.json" "$state/my-record.json" || fail "the vault's body differs from the person's record"
told "$(finalized)" "General Hospital fetches and opens vault $vault: the FHIR Bundle it reads is the person's record, byte for byte" \
	--argjson vault "$vault" --arg body "$(sha256_of "$state/vault-$vault.json")" --arg record "$(sha256_of "$state/my-record.json")" \
	--argjson bytes "$(wc -c <"$state/vault-$vault.json")" '{vault: $vault, body_sha256: $body, record_sha256: $record, bytes: $bytes}'

# --- Expiry, unpinning, removal attested ----------------------------------------------------------
begin vault-unpinned
out=$(wait_until 180 '.state != "Open" and .unpinned != null' vault show "$vault")
# No pinned copy outlives the vault: the steward's daemon (the client's too, in run.sh) no longer
# pins it, while the person's record stays pinned.
pins=$(curl -sf -X POST "$steward_ipfs/api/v0/pin/ls?type=recursive") || fail "IPFS at $steward_ipfs does not list its pins"
record_cid=$(cj record list --as me | jget --argjson id "$record" 'first(.[] | select(.id == $id) | .cid)')
pinned() { jq -e --arg cid "$1" '(.Keys // {}) | has($cid)' >/dev/null <<<"$pins"; }
vault_copy_pinned=false record_pinned=false
if pinned "$vault_cid"; then vault_copy_pinned=true; fi
if pinned "$record_cid"; then record_pinned=true; fi
if [ "$vault_copy_pinned" = true ] || [ "$record_pinned" = false ]; then
	fail "after vault $vault ended, its copy $vault_cid is still pinned at $steward_ipfs (or record $record's $record_cid is not)"
fi
told "$(jget .unpinned.at <<<"$out")" "vault $vault expired at block $expires; the steward unpinned it and confirmed on chain, and no IPFS daemon of ours pins its copy any more" \
	--argjson vault "$vault" --argjson shown "$out" --argjson expires "$expires" --arg cid "$vault_cid" --arg record_cid "$record_cid" \
	--argjson cid_pinned "$vault_copy_pinned" --argjson record_pinned "$record_pinned" \
	'{vault: $vault, state: $shown.state, expires_at: $expires, unpinned_at: $shown.unpinned.at, cid: $cid, cid_pinned: $cid_pinned,
	  record_cid: $record_cid, record_pinned: $record_pinned}'
begin removal-attested
code=0
"$CLI" vault fetch --as clinic "$vault" >/dev/null 2>&1 || code=$?
[ "$code" = 1 ] || fail "reading the expired vault $vault: exit code $code, expected 1 (refused)"
out=$(cj vault attest --as clinic "$vault" --delete "$state/vault-$vault.json")
copy_deleted=true
[ ! -e "$state/vault-$vault.json" ] || copy_deleted=false
[ "$copy_deleted" = true ] || fail "the hospital's copy was not deleted"
told "$(jget .block <<<"$out")" "General Hospital deletes its copy and attests removal on chain" \
	--argjson vault "$vault" --argjson code "$code" --argjson deleted "$copy_deleted" \
	'{vault: $vault, expired_fetch_exit_code: $code, copy_deleted: $deleted}'

# --- An encrypted prediction -----------------------------------------------------------------------
cleveland="$data_dir/processed.cleveland.data"
if [ -f "$cleveland" ]; then
	begin model-registered
	"$FHE_TOOL" accuracy "$cleveland" --no-header --names age,sex,cp,trestbps,chol,fbs,restecg,thalach,exang,oldpeak,slope,ca,thal,num \
		--outcome num --positive '>0' --print-model | sed -n '/^{/,$p' >"$state/heart-model.json"
	out=$(cj model-register --as clinic --model-name heart-disease-cleveland "$state/heart-model.json")
	model=$(jget .model <<<"$out")
	told "$(jget .block <<<"$out")" "General Hospital registers model $model (logistic regression on the Cleveland heart-disease data)" \
		--argjson model "$model" --argjson weights "$(jget '.weights | length' "$state/heart-model.json")" \
		'{model: $model, name: "heart-disease-cleveland", weights: $weights}'
	begin prediction-decrypted
	# Health values off the command line: a file only this user reads.
	(umask 077 && printf '63,1,1,145,233,1,2,150,0,2.3,3,0,6\n' >"$state/features.txt")
	out=$(cj predict --as me --model "$model" --features-file "$state/features.txt")
	# The model in the clear, as the chain stores it (offsets and scales in millionths): the
	# decrypted score must be its fixed-point score exactly.
	expected=$(python3 - "$state/heart-model.json" "$state/features.txt" <<'PY'
import json, math, sys
model = json.load(open(sys.argv[1]))
raw = [float(x) for x in open(sys.argv[2]).read().replace(",", " ").split()]
half_away = lambda v: math.copysign(math.floor(abs(v) + 0.5), v)  # Rust's f64::round
micros = lambda v: half_away(v * 1e6) / 1e6
xq = [int(half_away((x - micros(f["offset"])) * micros(f["scale"]))) for x, f in zip(raw, model["features"])]
assert len(xq) == len(model["weights"]) == len(raw), (len(xq), len(model["weights"]), len(raw))
print(sum(w * x for w, x in zip(model["weights"], xq)) + model["bias"])
PY
	) || fail "cannot compute the plaintext score of $state/heart-model.json"
	score=$(jget .score <<<"$out")
	[ "$score" = "$expected" ] || fail "the decrypted score $score is not the plaintext fixed-point score $expected"
	probability=$(printf '%.1f' "$(jget '.probability * 100' <<<"$out")")
	told "$(jget .final_in <<<"$out")" "encrypted prediction: job $(jget .job <<<"$out") requested in block $(jget .requested_in <<<"$out"); the person decrypts: class $(jget .class <<<"$out"), probability $probability %, score $score, the plaintext fixed-point score exactly" \
		--argjson model "$model" --argjson predicted "$out" --argjson plaintext "$expected" \
		'{model: $model, job: $predicted.job, requested_in: $predicted.requested_in, class: $predicted.class,
		  probability: $predicted.probability, score: $predicted.score, plaintext_score: $plaintext}'
else
	begin prediction-decrypted
	[ -z "${CUSTODIA_STORY_STRICT:-}" ] || fail "the data set $cleveland is absent"
	block=$(finalized) line="SKIPPED the encrypted prediction: the Cleveland data set ($cleveland) is absent; set CUSTODIA_DATA_DIR"
	printf '\033[1;32m[#%s]\033[0m %s\n' "$block" "$line"
	log_step skipped "$block" --arg line "$line" --arg reason "the Cleveland data set ($cleveland) is absent" \
		'{step: $step, status: $status, block: $block, line: $line, reason: $reason}'
fi

# --- A cohort of $people people and a published statistic -------------------------------------
begin cohort-joined
names=()
for ((i = 1; i <= people; i++)); do names+=("$(printf 'person-%02d' "$i")"); done
printf '%s\n' "${names[@]}" | xargs -P 2 -I{} "$CLI" keys create {} --json >/dev/null || fail "creating the cohort's identities"
addresses=$("$CLI" keys list --json | jget '[.[] | select(.name | startswith("person-")) | .account] | join(" ")')
# shellcheck disable=SC2086 # one argument per address
out=$(cj transfer --as alice --amount 10 $addresses)
# Each person: one wearable window (a record and its Prio3 report) and a consortium-wide PUBHLTH
# grant, 16 at a time.
join_cohort() {
	"$CLI" wearable --as "$1" --count 1 --interval 1 --samples 30 --seed "${1#person-}" --json >"$state/people/$1.json" &&
		"$CLI" consent join-cohort --as "$1" --scope wearable-readings --purpose PUBHLTH --blocks 100000 --json >/dev/null
}
export -f join_cohort
export CLI state
# shellcheck disable=SC2016 # $state is expanded by the child bash (exported above)
printf '%s\n' "${names[@]}" | xargs -P 16 -I{} bash -c 'join_cohort {} 2>"$state/people/{}.err"' ||
	fail "a cohort member could not join (see $state/people/*.err)"
cohort=$(jq -sc '{people: length, last_block: (map(.block) | max), reports: (map(.reports | length) | add),
	heart_rates: map(.values.heart_rate)}' "$state"/people/person-*.json)
told "$(jget .last_block <<<"$cohort")" "$people people record a window of wearable readings, each with its Prio3 report, and join the PUBHLTH cohort" \
	--argjson cohort "$cohort" '{people: $cohort.people, reports: $cohort.reports, purpose: "PUBHLTH"}'

# A second institution asks; the hospital, which knows these people as its patients, enrols them
# (a person counts only when an institution other than the requester vouches for them).
begin agency-admitted
cj keys create agency >/dev/null
agency=$(account_of agency)
cj transfer --as alice --amount 100 "$agency" >/dev/null
out=$(govern admit --member "$agency" --kinds institution --name "Public Health Agency" --hpke-key "$(x25519_of agency)")
told "$(jget .block <<<"$out")" "a second institution joins: the Public Health Agency ($agency)" \
	--arg member "$agency" --argjson motion "$(motion_of <<<"$out")" \
	'{member: $member, name: "Public Health Agency", kinds: ["institution"], motion: $motion}'
begin patients-enrolled
# shellcheck disable=SC2086 # one argument per address
out=$(cj statistic enrol --as clinic $addresses)
told "$(jget .block <<<"$out")" "General Hospital enrols its $people patients: they count in statistics other institutions ask for" \
	--argjson people "$(wc -w <<<"$addresses")" '{people: $people, by: "General Hospital"}'
begin reports-verified
last="${names[$((people - 1))]}"
out=$(wait_until 180 'length > 0 and all(.[]; .status == "Verified")' report status --as "$last")
told "$(finalized)" "every aggregator verified the reports (values in range, bound to owner, record and epoch): e.g. $last's report $(jget '.[-1].report' <<<"$out")" \
	--arg person "$last" --argjson reports "$out" \
	'{person: $person, report: $reports[-1].report, status: $reports[-1].status, verified: ($reports | map(select(.status == "Verified")) | length)}'

begin mean-published
out=$(cj statistic request --as agency --schema "$schema" --mean heart_rate --purpose PUBHLTH --wait --timeout 600)
[ "$(jget .status <<<"$out")" = Published ] || fail "the mean was not published: $out"
# The plaintext mean of the values the people reported; the published one carries noise, so it
# must lie within 5 of its standard deviations of it (and sum every person's report).
mean=$(jq -c --argjson cohort "$cohort" '.result.means[0] as $m | {
	job, status, published_at, reports, epsilon, aggregators, field: $m.field, mean: $m.mean, std_dev: $m.mean_std_dev,
	plaintext_mean: ($cohort.heart_rates | add / length), people: $cohort.people, bound_std_devs: 5}' <<<"$out")
jq -e '.reports == .people' >/dev/null <<<"$mean" || fail "the mean summed $(jget .reports <<<"$mean") reports, not the $(jget .people <<<"$mean") people's: $mean"
jq -e '(.mean - .plaintext_mean | fabs) <= .bound_std_devs * .std_dev + 1e-9' >/dev/null <<<"$mean" ||
	fail "the published mean is not within 5 standard deviations of the plaintext mean: $mean"
told "$(jget .published_at <<<"$mean")" "statistic $(jget .job <<<"$mean") published: mean heart rate $(printf '%.1f ± %.1f' "$(jget .mean <<<"$mean")" "$(jget .std_dev <<<"$mean")")/min over $(jget .reports <<<"$mean") people, ε = $(jget .epsilon <<<"$mean"); no aggregator saw a value, and the plaintext mean lies within its noise" \
	--argjson mean "$mean" '$mean | del(.status, .published_at)'
begin histogram-published
out=$(cj statistic request --as agency --schema "$schema" --histogram heart_rate --purpose PUBHLTH --wait --timeout 600)
[ "$(jget .status <<<"$out")" = Published ] || fail "the histogram was not published: $out"
told "$(jget .published_at <<<"$out")" "statistic $(jget .job <<<"$out") published: heart-rate histogram $(jget '[.result.histograms[0].buckets[] | "\(.label):\(.count)"] | join(" ")' <<<"$out") (each count ± $(printf '%.1f' "$(jget '.result.histograms[0].buckets[0].std_dev' <<<"$out")"))" \
	--argjson published "$out" --argjson people "$people" \
	'$published | {job, reports, epsilon, aggregators, people: $people, field: .result.histograms[0].field,
	  buckets: [.result.histograms[0].buckets[] | {label: .label, count, std_dev}]}'
