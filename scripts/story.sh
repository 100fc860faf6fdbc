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
# Usage: scripts/story.sh [--net] WS_URL IPFS_API_URL STATE_DIR
# Environment: CUSTODIA_PEOPLE (cohort size, default 52), CUSTODIA_DATA_DIR (default
# ../shared/data beside the checkout: the Cleveland heart-disease set trains the prediction model),
# CUSTODIA_STORY_STRICT (fail instead of skipping the prediction when the data set is absent),
# CUSTODIA_STEWARD_IPFS_API (the steward's own IPFS daemon, default IPFS_API_URL).
set -euo pipefail
# A failed step inside $(…) stops the story too.
shopt -s inherit_errexit
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

net=""
if [ "${1:-}" = --net ]; then net=1; shift; fi
url="$1" ipfs_api="$2" state="$3"
people="${CUSTODIA_PEOPLE:-52}"
data_dir="${CUSTODIA_DATA_DIR:-$REPO_ROOT/../shared/data}"
CLI="$CARGO_TARGET_DIR/debug/custodia"
FHE_TOOL="$CARGO_TARGET_DIR/debug/custodia-fhe"
export CUSTODIA_KEYS_DIR="$state/keys" CUSTODIA_URL="$url" CUSTODIA_IPFS_API="$ipfs_api"
# The IPFS daemon the steward's worker pins on (run.sh gives the client and every worker one
# daemon). The client adds a vault's copy unpinned, so a pin of it there is the steward's own.
steward_ipfs="${CUSTODIA_STEWARD_IPFS_API:-$ipfs_api}"
# Demo identities only: every key file of this story is sealed under this passphrase.
export CUSTODIA_PASSPHRASE="custodia demo passphrase"
mkdir -p "$state/people"

step() { printf '\033[1;32m[#%s]\033[0m %s\n' "$1" "$2"; }
fail() { die "story step failed: $*"; }
# custodia with --json; prints its JSON (stdout), stops the story on failure.
cj() { "$CLI" "$@" --json || fail "custodia $*"; }
# A field of JSON on stdin: jget 'd["record"]'
jget() { python3 -c 'import json,sys; d=json.load(sys.stdin); v=eval(sys.argv[1]); print(v if not isinstance(v,(dict,list)) else json.dumps(v))' "$1"; }
# The latest finalized block, for steps that are reads.
finalized() { "$CLI" status --json | jget 'd["finalized"]'; }
account_of() { "$CLI" keys list --json | jget "[i['account'] for i in d if i['name']=='$1'][0]"; }
x25519_of() { "$CLI" keys list --json | jget "[i['x25519_public'] for i in d if i['name']=='$1'][0]"; }
# Polls `custodia ARGS --json` until the Python condition on d holds; prints the last JSON.
wait_until() {
	local seconds="$1" condition="$2" out i
	shift 2
	for ((i = 0; i < seconds; i += 2)); do
		out=$("$CLI" "$@" --json 2>/dev/null) || true
		if [ -n "$out" ] && [ "$(jget "bool($condition)" <<<"$out")" = True ]; then printf '%s\n' "$out"; return 0; fi
		sleep 2
	done
	fail "waited ${seconds}s for: custodia $* ($condition)"
}

# Makes a governance call (`custodia govern ARGS`, as Alice): at once by sudo on the dev chain;
# on the net a council motion that Bob and Charlie approve and Alice closes. Prints the JSON of
# the step that executed it.
govern() { governed govern "$@"; }
# Any governance command of the client (`custodia ARGS --as alice`), enacted the same way.
governed() {
	local out motion voter
	out=$(cj "$@" --as alice)
	motion=$(jget 'd.get("motion", "")' <<<"$out")
	if [ -z "$motion" ]; then printf '%s\n' "$out"; return; fi
	for voter in bob charlie; do cj govern vote --as "$voter" "$motion" --aye >/dev/null; done
	cj govern close --as alice "$motion"
}

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
	step "$(finalized)" "the 4 validators are the founding members: data stewards, evaluators and the council"
else
	peer_id=$(curl -sf -X POST "$ipfs_api/api/v0/id" | jget 'd["ID"]') || fail "IPFS at $ipfs_api has no peer id"
	out=$(govern admit --member "$alice" --kinds data-steward,evaluator --name "Alice's node (validator)" \
		--hpke-key "$(x25519_of alice)" --ipfs-address "$peer_id")
	step "$(jget 'd["block"]' <<<"$out")" "Alice's node joins the consortium as data steward and evaluator (sudo on --dev)"
	cj keys import bob --suri //Bob >/dev/null
	out=$(govern admit --member "$(account_of bob)" --kinds evaluator --name "Bob's node (statistics aggregator)" \
		--hpke-key "$(x25519_of bob)")
	step "$(jget 'd["block"]' <<<"$out")" "Bob's node joins as evaluator: the second statistics aggregator (a statistic stays private while either is honest)"
fi
out=$(cj transfer --as alice --amount 1000 "$clinic" "$me")
out=$(govern admit --member "$clinic" --kinds institution --name "General Hospital" --hpke-key "$(x25519_of clinic)")
step "$(jget 'd["block"]' <<<"$out")" "an institution joins: General Hospital ($clinic)${net:+, by council motion (3 of 4 members)}"

# --- Private statistics: a schema, differential privacy, an aggregator epoch (Prio3) ---------------
out=$(governed statistic schema register --category wearable-readings \
	--field heart_rate:/min:250:50,60,70,80,90,100,120 --field systolic:mm[Hg]:300 --field diastolic:mm[Hg]:200 \
	--field spo2:%:100 --field respiration:/min:80 --field temperature:0.1Cel:450 --field steps:1:8000)
# (On the net the motion's close reports the enactment, not the call's result: read the schema id back.)
schema=$(cj statistic schema show --category wearable-readings | jget 'd[-1]["id"]')
step "$(jget 'd["block"]' <<<"$out")" "governance registers statistic schema $schema for wearable readings: 7 fields, each report proves its values are in range"
out=$(governed statistic privacy set --epsilon 1 --budget 3 --period 14400)
step "$(jget 'd["block"]' <<<"$out")" "governance sets differential privacy: ε = 1 per statistic, a budget of ε = 3 per institution, purpose and category per day"
if [ -n "$net" ]; then aggregators=(alice bob charlie dave); else aggregators=(alice bob); fi
out=$(governed statistic epoch start "${aggregators[@]/#/--aggregator=}")
step "$(jget 'd["block"]' <<<"$out")" "an aggregator epoch starts: ${aggregators[*]}"
out=$(wait_until 120 'd["active"] and d["active"]["status"]=="Active"' statistic epoch show)
step "$(finalized)" "the aggregators posted their epoch keys and agreed a verification key no client knows: epoch $(jget 'd["active"]["id"]' <<<"$out") is active"

# --- A person's wearable records a window of readings --------------------------------------------
out=$(cj wearable --as me --count 1 --interval 1 --samples 60 --seed 1)
record=$(jget 'd["record"]' <<<"$out")
[ "$(jget 'len(d["reports"])' <<<"$out")" = 1 ] || fail "the wearable's record $record carries no statistics report: $out"
step "$(jget 'd["block"]' <<<"$out")" "a person's wearable uploads 60 s of readings: record $record (a FHIR Bundle sealed to them) and its Prio3 report $(jget 'd["reports"][0]["report"]' <<<"$out") (one input share sealed to each aggregator, with a proof that its $(jget 'len(d["values"])' <<<"$out") values are in range)"
cj record show --as me "$record" --out "$state/my-record.json" >/dev/null

# --- Consent, a vault, the institution reads it ---------------------------------------------------
out=$(cj consent request --as clinic --subject "$me" --scope wearable-readings --purpose TREAT --blocks 600)
request=$(jget 'd["request"]' <<<"$out")
step "$(jget 'd["block"]' <<<"$out")" "General Hospital asks for consent: wearable readings, for treatment, 600 blocks (request $request)"
out=$(cj consent grant --as me "$request")
grant=$(jget 'd["grant"]' <<<"$out")
step "$(jget 'd["block"]' <<<"$out")" "the person grants it: grant $grant"
out=$(cj vault open --as me --grant "$grant" --record "$record" --blocks 12)
vault=$(jget 'd["vault"]' <<<"$out") expires=$(jget 'd["expires_at"]' <<<"$out") vault_cid=$(jget 'd["cid"]' <<<"$out")
step "$(jget 'd["block"]' <<<"$out")" "the person opens vault $vault: record $record re-sealed to the hospital's key, open until block $expires"
steward=$(cj vault show "$vault" | jget 'd["steward"]')
out=$(wait_until 60 'd["in_agreement"] and any(p["target"]=="vault '"$vault"'" for p in d["pinned"])' steward pins "$steward" --ipfs-api "$steward_ipfs")
step "$(finalized)" "the chain lists vault $vault for its steward to pin, and the steward's own IPFS daemon pins it (the client added it unpinned; $(jget 'len(d["pinned"])' <<<"$out") objects required, all pinned)"
out=$(cj vault fetch --as clinic "$vault" --out "$state/vault-$vault.json")
cmp -s "$state/vault-$vault.json" "$state/my-record.json" || fail "the vault's body differs from the person's record"
step "$(finalized)" "General Hospital fetches and opens vault $vault: the FHIR Bundle it reads is the person's record, byte for byte"

# --- Expiry, unpinning, removal attested ----------------------------------------------------------
out=$(wait_until 180 'd["state"]!="Open" and d["unpinned"] is not None' vault show "$vault")
# No pinned copy outlives the vault: the steward's daemon (the client's too, in run.sh) no longer
# pins it, while the person's record stays pinned.
pins=$(curl -sf -X POST "$steward_ipfs/api/v0/pin/ls?type=recursive") || fail "IPFS at $steward_ipfs does not list its pins"
record_cid=$(cj record list --as me | jget "[r['cid'] for r in d if r['id']==$record][0]")
python3 -c 'import json,sys; keys=json.loads(sys.argv[1]).get("Keys") or {}; sys.exit(0 if sys.argv[2] not in keys and sys.argv[3] in keys else 1)' \
	"$pins" "$vault_cid" "$record_cid" || fail "after vault $vault ended, its copy $vault_cid is still pinned at $steward_ipfs (or record $record's $record_cid is not)"
step "$(jget 'd["unpinned"]["at"]' <<<"$out")" "vault $vault expired at block $expires; the steward unpinned it and confirmed on chain, and no IPFS daemon of ours pins its copy any more"
code=0
"$CLI" vault fetch --as clinic "$vault" >/dev/null 2>&1 || code=$?
[ "$code" = 1 ] || fail "reading the expired vault $vault: exit code $code, expected 1 (refused)"
out=$(cj vault attest --as clinic "$vault" --delete "$state/vault-$vault.json")
[ ! -e "$state/vault-$vault.json" ] || fail "the hospital's copy was not deleted"
step "$(jget 'd["block"]' <<<"$out")" "General Hospital deletes its copy and attests removal on chain"

# --- An encrypted prediction -----------------------------------------------------------------------
cleveland="$data_dir/processed.cleveland.data"
if [ -f "$cleveland" ]; then
	"$FHE_TOOL" accuracy "$cleveland" --no-header --names age,sex,cp,trestbps,chol,fbs,restecg,thalach,exang,oldpeak,slope,ca,thal,num \
		--outcome num --positive '>0' --print-model | sed -n '/^{/,$p' >"$state/heart-model.json"
	out=$(cj model-register --as clinic --model-name heart-disease-cleveland "$state/heart-model.json")
	model=$(jget 'd["model"]' <<<"$out")
	step "$(jget 'd["block"]' <<<"$out")" "General Hospital registers model $model (logistic regression on the Cleveland heart-disease data)"
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
	[ "$(jget 'd["score"]' <<<"$out")" = "$expected" ] || fail "the decrypted score $(jget 'd["score"]' <<<"$out") is not the plaintext fixed-point score $expected"
	step "$(jget 'd["final_in"]' <<<"$out")" "encrypted prediction: job $(jget 'd["job"]' <<<"$out") requested in block $(jget 'd["requested_in"]' <<<"$out"); the person decrypts: $(jget '"class %s, probability %.1f %%, score %d" % (d["class"], 100*d["probability"], d["score"])' <<<"$out"), the plaintext fixed-point score exactly"
else
	step "$(finalized)" "SKIPPED the encrypted prediction: the Cleveland data set ($cleveland) is absent; set CUSTODIA_DATA_DIR"
	[ -z "${CUSTODIA_STORY_STRICT:-}" ] || fail "the data set $cleveland is absent"
fi

# --- A cohort of $people people and a published statistic -------------------------------------
names=()
for ((i = 1; i <= people; i++)); do names+=("$(printf 'person-%02d' "$i")"); done
printf '%s\n' "${names[@]}" | xargs -P 2 -I{} "$CLI" keys create {} --json >/dev/null || fail "creating the cohort's identities"
addresses=$("$CLI" keys list --json | jget "' '.join(i['account'] for i in d if i['name'].startswith('person-'))")
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
joined=$(python3 -c 'import glob,json,sys; print(max(json.load(open(f))["block"] for f in glob.glob(sys.argv[1]+"/people/person-*.json")))' "$state")
step "$joined" "$people people record a window of wearable readings, each with its Prio3 report, and join the PUBHLTH cohort"

# A second institution asks; the hospital, which knows these people as its patients, enrols them
# (a person counts only when an institution other than the requester vouches for them).
cj keys create agency >/dev/null
agency=$(account_of agency)
cj transfer --as alice --amount 100 "$agency" >/dev/null
out=$(govern admit --member "$agency" --kinds institution --name "Public Health Agency" --hpke-key "$(x25519_of agency)")
step "$(jget 'd["block"]' <<<"$out")" "a second institution joins: the Public Health Agency ($agency)"
# shellcheck disable=SC2086 # one argument per address
out=$(cj statistic enrol --as clinic $addresses)
step "$(jget 'd["block"]' <<<"$out")" "General Hospital enrols its $people patients: they count in statistics other institutions ask for"
last="${names[$((people - 1))]}"
out=$(wait_until 180 'd and all(r["status"]=="Verified" for r in d)' report status --as "$last")
step "$(finalized)" "every aggregator verified the reports (values in range, bound to owner, record and epoch): e.g. $last's report $(jget 'd[-1]["report"]' <<<"$out")"

out=$(cj statistic request --as agency --schema "$schema" --mean heart_rate --purpose PUBHLTH --wait --timeout 600)
[ "$(jget 'd["status"]' <<<"$out")" = Published ] || fail "the mean was not published: $out"
python3 - "$state" "$out" <<'PY' || fail "the published mean is not within 5 standard deviations of the plaintext mean"
import glob, json, sys
d = json.loads(sys.argv[2])
values = [json.load(open(f))["values"]["heart_rate"] for f in glob.glob(sys.argv[1] + "/people/person-*.json")]
mean = d["result"]["means"][0]
assert d["reports"] == len(values), (d["reports"], len(values))
assert abs(mean["mean"] - sum(values) / len(values)) <= 5 * mean["mean_std_dev"] + 1e-9, (mean, sum(values) / len(values))
PY
step "$(jget 'd["published_at"]' <<<"$out")" "statistic $(jget 'd["job"]' <<<"$out") published: mean heart rate $(jget '"%.1f ± %.1f" % (d["result"]["means"][0]["mean"], d["result"]["means"][0]["mean_std_dev"])' <<<"$out")/min over $(jget 'd["reports"]' <<<"$out") people, ε = $(jget 'd["epsilon"]' <<<"$out"); no aggregator saw a value, and the plaintext mean lies within its noise"
out=$(cj statistic request --as agency --schema "$schema" --histogram heart_rate --purpose PUBHLTH --wait --timeout 600)
[ "$(jget 'd["status"]' <<<"$out")" = Published ] || fail "the histogram was not published: $out"
step "$(jget 'd["published_at"]' <<<"$out")" "statistic $(jget 'd["job"]' <<<"$out") published: heart-rate histogram $(jget '" ".join("%s:%s" % (b["label"], b["count"]) for b in d["result"]["histograms"][0]["buckets"])' <<<"$out") (each count ± $(jget '"%.1f" % d["result"]["histograms"][0]["buckets"][0]["std_dev"]' <<<"$out"))"
