#!/usr/bin/env bash
# The qatrt tool: every subcommand, text and --json (parsed back with
# jansson by tests/prog_json), usage errors (exit 2), failures (exit 1),
# configuration errors with their place, and the man page.
set -u
O=${O:-build}
top=$PWD
tool=$top/$O/samples/qatrt
json=$top/$O/tests/prog_json
hold=$top/$O/tests/prog_hold
for f in "$tool" "$json" "$hold"; do
	[ -x "$f" ] || { echo "FAIL: $f not built"; exit 1; }
done

. tests/script-lib.sh
script_scratch
unset QATRT_CONFIG QATRT_REGISTRY
conf=$top/samples/conf
reg=$t/reg
q() { "$tool" --config "$conf" --registry "$reg" "$@"; }
# Run the tool; keep stdout, stderr and the exit status.
run() { "$@" >"$t/out" 2>"$t/err"; rc=$?; }
jq1() { "$json" "$1" <"$t/out"; }

# --- usage -----------------------------------------------------------------
run "$tool" --help
check "--help exits 0" [ $rc = 0 ]
for c in devices claims events "config check" "config show" inject reset bind unbind; do
	check "--help names '$c'" grep -q "^  $c" "$t/out"
done
usage_case() { # description, args...
	local what=$1
	shift
	run "$tool" "$@"
	check "$what: exit 2 (got $rc)" [ $rc = 2 ]
	check "$what: message on stderr" grep -q '^qatrt: ' "$t/err"
	check "$what: nothing on stdout" [ ! -s "$t/out" ]
}
usage_case "no command"
usage_case "unknown command" frobnicate
usage_case "unknown option" devices --frob
usage_case "option without its argument" devices --config
usage_case "extra operand" devices extra
usage_case "inject without --dev" inject RESTARTING
usage_case "inject of an unknown event" inject BOGUS --dev 0
usage_case "inject without an event" inject --dev 0
usage_case "reset without --dev" reset
usage_case "--dev where it means nothing" claims --dev 0
usage_case "--follow outside events" devices --follow
usage_case "config without a subcommand" config
usage_case "config check without a path" config check
usage_case "config show with an operand" config show x

# --- devices ---------------------------------------------------------------
run q devices
check "devices exits 0" [ $rc = 0 ]
check "devices: a header and two lines" [ "$(wc -l <"$t/out")" = 3 ]
check "devices: device 1 line" grep -Eq '^1 +0000:f0:01.0 +4xxx +sim +shared +0 +yes +START +64$' "$t/out"
run q devices --json
check "devices --json exits 0" [ $rc = 0 ]
check "devices --json: two" [ "$(jq1 'devices#')" = 2 ]
check "devices --json: accel ids" [ "$(jq1 'devices[*].accel_id' | tr '\n' ' ')" = "0 1 " ]
check "devices --json: addresses" [ "$(jq1 'devices[*].pci_addr' | tr '\n' ' ')" = "0000:f0:00.0 0000:f0:01.0 " ]
check "devices --json: type" [ "$(jq1 'devices[0].type')" = 4xxx ]
check "devices --json: backend" [ "$(jq1 'devices[0].backend')" = sim ]
check "devices --json: sharing" [ "$(jq1 'devices[0].sharing')" = shared ]
check "devices --json: numa" [ "$(jq1 'devices[0].numa_node')" = 0 ]
check "devices --json: started" [ "$(jq1 'devices[0].started')" = true ]
check "devices --json: state" [ "$(jq1 'devices[0].state')" = START ]
check "devices --json: max processes" [ "$(jq1 'devices[0].max_processes')" = 64 ]
# The environment, as the library reads it; options override it.
run env QATRT_CONFIG="$conf" QATRT_REGISTRY="$reg" "$tool" devices --json
check "QATRT_CONFIG is read" [ "$(jq1 'devices#')" = 2 ]
run env QATRT_CONFIG="$top/samples/openssl/conf" QATRT_REGISTRY="$t/reg2" \
	"$tool" --config "$conf" --registry "$reg" devices --json
check "--config overrides QATRT_CONFIG" [ "$(jq1 'devices#')" = 2 ]
check "--registry overrides QATRT_REGISTRY" [ ! -e "$t/reg2.state" ]
run "$tool" --config "$t/missing" --registry "$reg" devices
check "a missing --config: exit 1" [ $rc = 1 ]
check "a missing --config: says so" grep -q "cannot open the runtime.*$t/missing" "$t/err"

# --- claims ----------------------------------------------------------------
run q claims --json
check "claims --json: none" [ "$(jq1 'claims#')" = 0 ]
mkfifo "$t/hold.in"
QATRT_CONFIG=$conf QATRT_REGISTRY=$reg "$hold" SSL <"$t/hold.in" >"$t/hold.out" &
hp=$!
pids+=($hp)
exec {w}>"$t/hold.in"
check "holder claimed" wait_for grep -q 'held SSL_INT_0' "$t/hold.out"
run q claims
check "claims: the holder's line" grep -Eq "^SSL_INT_0 +0 +$hp +[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z\$" "$t/out"
run q claims --json
check "claims --json: one" [ "$(jq1 'claims#')" = 1 ]
check "claims --json: section" [ "$(jq1 'claims[0].section')" = SSL_INT_0 ]
check "claims --json: device" [ "$(jq1 'claims[0].accel_id')" = 0 ]
check "claims --json: pid" [ "$(jq1 'claims[0].pid')" = "$hp" ]
now=$(date +%s)
since=$(jq1 'claims[0].since_ns')
near() { [ $(($1 - $2)) -le 1 ] && [ $(($2 - $1)) -le 30 ]; }
check "claims --json: since is now-ish" near $((since / 1000000000)) "$now"
# (Braces: the shell's own "Killed" notice goes to /dev/null too.)
{ kill -9 $hp; wait $hp; } 2>/dev/null
exec {w}>&-
# No retry: a SIGKILLed holder's claim is gone at once.
run q claims --json
check "claims --json: none right after SIGKILL" [ "$(jq1 'claims#')" = 0 ]

# --- inject, reset, events -------------------------------------------------
run q events --json
check "events --json: none yet" [ "$(jq1 'events#')" = 0 ]
run q inject RESTARTING --dev 0
check "inject RESTARTING exits 0" [ $rc = 0 ]
run q inject restarted --dev 0000:f0:00.0
check "inject by PCI address, lower case" [ $rc = 0 ]
run q inject 6 --dev 1
check "inject by number" [ $rc = 0 ]
run q reset --dev 1
check "reset exits 0" [ $rc = 0 ]
run q inject ERROR --dev 7
check "inject on no such device: exit 1" [ $rc = 1 ]
check "inject on no such device: says so" grep -q 'no device 7' "$t/err"
run q reset --dev 9
check "reset of no such device: exit 1" [ $rc = 1 ]
run q events --json
check "events --json: five" [ "$(jq1 'events#')" = 5 ]
check "events --json: kinds in order" [ "$(jq1 'events[*].event' | tr '\n' ' ')" = "RESTARTING RESTARTED ERROR RESTARTING RESTARTED " ]
check "events --json: devices" [ "$(jq1 'events[*].accel_id' | tr '\n' ' ')" = "0 0 1 1 1 " ]
check "events --json: seq" [ "$(jq1 'events[*].seq' | tr '\n' ' ')" = "1 2 3 4 5 " ]
check "events --json: values" [ "$(jq1 'events[2].value')" = 6 ]
check "events --json: time" grep -q '"time": "[0-9]\{4\}-' "$t/out"
run q events
check "events: header and five" [ "$(wc -l <"$t/out")" = 6 ]
check "events: a line" grep -Eq '^3 +[0-9T:.-]+Z +1 +ERROR$' "$t/out"
run q devices --json
check "devices: state follows the events" [ "$(jq1 'devices[*].state' | tr '\n' ' ')" = "RESTARTED RESTARTED " ]

# events --follow: the kept ones, then new ones, until SIGINT.
n=0
for mode in text json; do
	[ $mode = json ] && extra=--json || extra=
	n=$((n + 1))
	"$tool" --config "$conf" --registry "$reg" events --follow $extra \
		>"$t/f.$mode" 2>"$t/f.err" &
	fp=$!
	pids+=($fp)
	lines() { [ "$(cat "$t/f.$mode" 2>/dev/null | grep -c "$1")" -ge "$2" ]; }
	check "follow ($mode): the kept events first" wait_for lines RESTART 4
	q inject SHUTDOWN --dev 0
	check "follow ($mode): a new event" wait_for lines SHUTDOWN $n
	kill -INT $fp
	wait $fp
	check "follow ($mode): SIGINT exits 0" [ $? = 0 ]
done
check "follow (json): every line a document" "$json" --lines seq <"$t/f.json" >"$t/seqs"
check "follow (json): seq 1..6 then 7" [ "$(tr '\n' ' ' <"$t/seqs")" = "1 2 3 4 5 6 7 " ]
check "follow (text): no repeat" [ "$(grep -c SHUTDOWN "$t/f.text")" = 1 ]

# --- config check / show ---------------------------------------------------
run "$tool" config check "$conf"
check "config check of samples/conf: exit 0" [ $rc = 0 ]
check "config check: both files" [ "$(grep -c ': ok, ' "$t/out")" = 2 ]
mkdir "$t/cfg"
cp "$conf/4xxx_dev0.conf" "$t/cfg/good_dev0.conf"
printf '[GENERAL]\nServicesEnabled = sym\n[SSL\nNumProcesses = 2\n' >"$t/cfg/bad_dev1.conf"
echo 'not a config' >"$t/cfg/README"
run "$tool" config check "$t/cfg/bad_dev1.conf"
check "config check of a bad file: exit 1" [ $rc = 1 ]
check "config check: file:line:column: message" grep -qx "$t/cfg/bad_dev1.conf:3:1: unterminated section header" "$t/err"
run "$tool" config check --json "$t/cfg"
check "config check --json of a directory: exit 1" [ $rc = 1 ]
check "config check --json: not ok" [ "$(jq1 ok)" = false ]
check "config check --json: two files, README skipped" [ "$(jq1 'files#')" = 2 ]
check "config check --json: good one" [ "$(jq1 'files[1].sections')" = 7 ]
check "config check --json: error line" [ "$(jq1 'files[0].error.line')" = 3 ]
check "config check --json: error column" [ "$(jq1 'files[0].error.column')" = 1 ]
check "config check --json: accel id from the name" [ "$(jq1 'files[0].accel_id')" = 1 ]
mkdir "$t/dup"
cp "$conf/4xxx_dev0.conf" "$t/dup/a_dev0.conf"
cp "$conf/4xxx_dev1.conf" "$t/dup/b_dev0.conf"
run "$tool" config check "$t/dup"
check "config check: one accel id twice: exit 1" [ $rc = 1 ]
check "config check: one accel id twice: says so" grep -q "b_dev0.conf: accel id 0 is configured by a_dev0.conf too" "$t/err"
printf '{"GENERAL": {"ServicesEnabled": "sym"}, "SSL": {"NumProcesses": 2,}}' >"$t/bad_dev0.json"
run "$tool" config check "$t/bad_dev0.json"
check "config check of bad JSON: exit 1" [ $rc = 1 ]
check "config check of bad JSON: place" grep -Eq "^$t/bad_dev0.json:1:[0-9]+: " "$t/err"
run "$tool" config check "$t/nothing-here"
check "config check of a missing path: exit 1" [ $rc = 1 ]
run q config show
check "config show exits 0" [ $rc = 0 ]
check "config show: the expanded sections" [ "$(grep -c '^\[SSL_INT_[0-3]\]$' "$t/out")" = 8 ]
run q config show --json
check "config show --json: two devices" [ "$(jq1 'devices#')" = 2 ]
check "config show --json: expansion" [ "$(jq1 'devices[0].config.SSL_INT_3.Cy0Name')" = SSL0 ]
check "config show --json: affinity list" [ "$(jq1 'devices[1].config.SSL_INT_1.Cy0CoreAffinity')" = 1 ]

# --- bind / unbind (error paths: a machine without QAT hardware) ---------
usage_case "bind with --dev" bind --dev 0
for verb in bind unbind; do
	if command -v setpriv >/dev/null && [ "$(id -u)" = 0 ]; then
		run setpriv --reuid=65534 --regid=65534 --clear-groups "$tool" $verb
		check "$verb as a user: exit 1" [ $rc = 1 ]
		check "$verb as a user: needs root" grep -q "qatrt: $verb needs root" "$t/err"
	fi
	if [ "$(id -u)" = 0 ]; then
		run "$tool" $verb 0000:ff:1f.7
		check "$verb of a non-QAT address: exit 1" [ $rc = 1 ]
		check "$verb of a non-QAT address: says so" grep -q '0000:ff:1f.7: not a QAT function' "$t/err"
	fi
done

# --- the man page ----------------------------------------------------------
out=$(mandoc -Tlint -W warning man1/qatrt.1 2>&1)
check "mandoc -Tlint man1/qatrt.1: $out" [ -z "$out" ]
for c in devices claims events config inject reset bind unbind; do
	check "qatrt(1) documents $c" grep -q "^\.B.* $c\|^\.B $c" man1/qatrt.1
done

echo "tool: $pass passed, $fail failed"
[ "$fail" = 0 ]
