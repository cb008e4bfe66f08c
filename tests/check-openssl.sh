#!/usr/bin/env bash
# The OpenSSL engine and provider of samples/openssl, driven by Debian's
# openssl CLI on the simulated device of samples/openssl/conf (eight SHIM
# sections). Claims are read back with `qatrt claims --json`, parsed by
# jansson (tests/prog_json).
set -u
O=${O:-build}
if [ "$O" != build ]; then
	echo "openssl: skipped in the $O build (a sanitized module cannot load into Debian's openssl)"
	exit 0
fi
top=$PWD
tool=$top/$O/samples/qatrt
json=$top/$O/tests/prog_json
eng=$top/$O/samples/openssl/qatrt-engine.so
pdir=$top/$O/samples/openssl
forkprog=$top/$O/tests/openssl/fork_digest

for f in "$tool" "$json" "$eng" "$pdir/qatrt.so" "$forkprog"; do
	[ -x "$f" ] || [ -f "$f" ] || { echo "FAIL: $f not built"; exit 1; }
done
command -v openssl >/dev/null || { echo "FAIL: no openssl CLI (make deps)"; exit 1; }

. tests/script-lib.sh
script_scratch
unset QAT_SECTION_NAME OPENSSL_CONF OPENSSL_ENGINES OPENSSL_MODULES QATRT_OSSL_VERBOSE
export QATRT_CONFIG=$top/samples/openssl/conf
export QATRT_REGISTRY=$t/reg

# The module options as a user types them.
E=(-engine "$eng")
P=(-provider-path "$pdir" -provider qatrt -propquery provider=qatrt)

nclaims() { "$tool" claims --json | "$json" 'claims#'; }
claims_are() { [ "$(nclaims)" = "$1" ]; }
# "pid section" lines of the current claims.
claim_table() {
	local doc
	doc=$("$tool" claims --json) || return 1
	paste -d' ' <("$json" 'claims[*].pid' <<<"$doc") \
		<("$json" 'claims[*].section' <<<"$doc")
}
section_of() { claim_table | awk -v p="$1" '$1 == p {print $2}'; }
ref_digest() { openssl dgst -sha256 -r "$1" | cut -d' ' -f1; }
log_has() { grep -q -- "$2" "$1" 2>/dev/null; }

# --- loading ---------------------------------------------------------------
out=$(openssl engine -t -c -pre SO_PATH:"$eng" -pre LOAD dynamic 2>&1)
check "engine -t: $out" grep -q '\[ available \]' <<<"$out"
check "engine -t lists SHA256" grep -q 'SHA256' <<<"$out"
out=$(openssl list -providers "${P[@]:0:4}" 2>&1)
check "list -providers: $out" grep -q 'status: active' <<<"$out"
check "list -providers names qatrt" grep -q '^  qatrt' <<<"$out"
# The section: SHIM by default, else QAT_SECTION_NAME, else the control.
out=$(openssl engine -t -pre SO_PATH:"$eng" -pre LOAD -pre SECTION:NOPE dynamic 2>&1)
check "SECTION control is used: $out" grep -q 'cannot claim a NOPE section' <<<"$out"
out=$(QAT_SECTION_NAME=SSL QATRT_CONFIG=$top/samples/conf QATRT_REGISTRY=$t/reg-ssl QATRT_OSSL_VERBOSE=1 \
	openssl engine -t -pre SO_PATH:"$eng" -pre LOAD dynamic 2>&1)
check "QAT_SECTION_NAME is used: $out" grep -q 'claimed SSL_INT_0' <<<"$out"
# An openssl.cnf loading the provider with the given parameter lines.
prov_cnf() { # file, "key = value"...
	local f=$1
	shift
	printf 'openssl_conf = init\n[init]\nproviders = provs\n[provs]\n' > "$f"
	printf 'qatrt = qatrt_sect\n[qatrt_sect]\nmodule = %s\n' "$pdir/qatrt.so" >> "$f"
	printf '%s\n' "$@" "activate = 1" >> "$f"
}
prov_cnf "$t/prov-ssl.cnf" "section = SSL"
out=$(OPENSSL_CONF=$t/prov-ssl.cnf QATRT_CONFIG=$top/samples/conf QATRT_REGISTRY=$t/reg-ssl QATRT_OSSL_VERBOSE=1 \
	openssl list -providers 2>&1)
check "provider parameter section: $out" grep -q 'claimed SSL_INT_0' <<<"$out"

# --- digests equal to OpenSSL's own ----------------------------------------
: > "$t/empty"
printf abc > "$t/abc"
head -c 1000 /dev/urandom > "$t/1000"
head -c $((10 << 20)) /dev/urandom > "$t/10m"
for f in empty abc 1000 10m; do
	want=$(ref_digest "$t/$f")
	size=$(stat -c %s "$t/$f")
	for m in E P; do
		[ $m = E ] && opts=("${E[@]}") || opts=("${P[@]}")
		got=$(QATRT_OSSL_VERBOSE=1 openssl dgst -sha256 -r "${opts[@]}" \
			"$t/$f" 2>"$t/log" | cut -d' ' -f1)
		check "$m digest of $f: $got, want $want" [ "$got" = "$want" ]
		check "$m digest of $f went to the device: $(cat "$t/log")" \
			grep -Eq "sha256: $size bytes, [1-9][0-9]* operations on the device, 0 in software" "$t/log"
	done
done
check "no claim left after the digests" claims_are 0

# --- eight processes, eight sections; a ninth is refused -------------------
start_holder() { # name, module (E or P), extra env...
	local n=$1 m=$2 opts
	shift 2
	[ $m = E ] && opts=("${E[@]}") || opts=("${P[@]}")
	mkfifo "$t/$n.in"
	env "$@" openssl dgst -sha256 -r "${opts[@]}" "$t/$n.in" \
		>"$t/$n.out" 2>"$t/$n.err" &
	pids+=($!)
	eval "pid_$n=$!"
}
finish_holder() { # name: EOF on its input, then its exit status
	local n=$1 p
	eval "p=\$pid_$n"
	: > "$t/$n.in"
	wait "$p"
}
empty_sha=$(ref_digest "$t/empty")
finish_all() { # prefix: end holders prefix1..8 (empty input), check them
	local i
	for i in 1 2 3 4 5 6 7 8; do
		finish_holder $1$i
		rc=$?
		check "$1$i exits 0: $(cat "$t/$1$i.err")" [ $rc = 0 ]
		check "$1$i digest" [ "$(cut -d' ' -f1 "$t/$1$i.out")" = "$empty_sha" ]
	done
}
for i in 1 2 3 4 5 6 7 8; do
	[ $i -le 4 ] && start_holder h$i E || start_holder h$i P
done
check "eight claims while eight openssl run" wait_for claims_are 8
table=$(claim_table)
check "eight distinct sections: $table" [ "$(cut -d' ' -f2 <<<"$table" | sort -u | wc -l)" = 8 ]
for i in 1 2 3 4 5 6 7 8; do
	eval "p=\$pid_h$i"
	check "openssl $p holds a SHIM section: $table" grep -Eq "^$p SHIM_INT_[0-7]\$" <<<"$table"
done
for m in E P; do
	[ $m = E ] && opts=("${E[@]}") || opts=("${P[@]}")
	openssl dgst -sha256 "${opts[@]}" "$t/abc" >"$t/ninth.out" 2>"$t/ninth.err"
	rc=$?
	# openssl dgst carries on in software when an -engine cannot be used
	# (it prints "Cannot use engine"); a provider that fails stops it.
	if [ $m = E ]; then
		check "a ninth (E) is told: $(cat "$t/ninth.err")" grep -q 'Cannot use engine "qatrt"' "$t/ninth.err"
		out=$(openssl engine -t -pre SO_PATH:"$eng" -pre LOAD dynamic 2>&1)
		check "a ninth engine -t is unavailable: $out" grep -q '\[ unavailable \]' <<<"$out"
	else
		check "a ninth (P) fails" [ $rc != 0 ]
	fi
	check "a ninth ($m) says why: $(head -3 "$t/ninth.err")" \
		grep -q 'no free SHIM section: all are held by other processes' "$t/ninth.err"
done
finish_all h
check "no claim left once they exit" claims_are 0

# --- reload, as nginx does it ----------------------------------------------
cat > "$t/eng-wait.cnf" <<EOF
openssl_conf = init
[init]
engines = engs
[engs]
qatrt = qatrt_sect
[qatrt_sect]
dynamic_path = $eng
WAIT_MS = -1
init = 1
default_algorithms = DIGESTS
EOF
for i in 1 2 3 4 5 6 7 8; do start_holder old$i E; done
check "eight old workers hold every section" wait_for claims_are 8
for i in 1 2 3 4 5 6 7 8; do
	eval "p=\$pid_old$i"
	eval "sec_old$i=$(section_of "$p")"
done
# The new workers are told (openssl.cnf) to wait; each is in the queue
# before the next starts, so their order is known.
for i in 1 2 3 4 5 6 7 8; do
	mkfifo "$t/new$i.in"
	OPENSSL_CONF=$t/eng-wait.cnf openssl dgst -sha256 -r "$t/new$i.in" \
		>"$t/new$i.out" 2>"$t/new$i.err" &
	pids+=($!)
	eval "pid_new$i=$!"
	check "new worker $i waits" wait_for log_has "$t/new$i.err" 'waiting for one, in turn'
	# The module logs that line just before its first locked round,
	# which takes the place in the queue: microseconds, not 300 ms.
	sleep 0.3
done
check "still eight claims, all old" claims_are 8
for i in 1 2 3 4 5 6 7 8; do
	eval "sec=\$sec_old$i; pn=\$pid_new$i"
	finish_holder old$i
	check "old worker $i exits 0" [ $? = 0 ]
	check "new worker $i gets $sec" wait_for [ "$(section_of "$pn")" = "$sec" ]
	# Nobody later in the queue jumped ahead.
	for ((j = i + 1; j <= 8; j++)); do
		eval "pj=\$pid_new$j"
		check "new worker $j still waits after old $i left" [ -z "$(section_of "$pj")" ]
	done
done
finish_all new
check "no claim left after the reload" claims_are 0

# The provider waits too when its wait_ms parameter says so, and gives up
# after that long when it is not -1.
prov_cnf "$t/prov-wait.cnf" "wait_ms = -1"
prov_cnf "$t/prov-wait300.cnf" "wait_ms = 300"
for i in 1 2 3 4 5 6 7 8; do start_holder p$i E; done
check "eight holders again" wait_for claims_are 8
OPENSSL_CONF=$t/prov-wait300.cnf openssl dgst -sha256 -propquery provider=qatrt "$t/abc" >/dev/null 2>"$t/pw300.err"
check "provider wait_ms 300 gives up: $(cat "$t/pw300.err")" grep -qi 'cannot claim a SHIM section: timed out' "$t/pw300.err"
OPENSSL_CONF=$t/prov-wait.cnf openssl dgst -sha256 -r -propquery provider=qatrt "$t/abc" >"$t/pw.out" 2>"$t/pw.err" &
pw=$!
pids+=($pw)
check "provider waits" wait_for log_has "$t/pw.err" 'waiting for one, in turn'
finish_holder p3
wait $pw
check "provider got the freed section and digested" [ "$(cut -d' ' -f1 "$t/pw.out")" = "$(ref_digest "$t/abc")" ]
for i in 1 2 4 5 6 7 8; do finish_holder p$i; done
check "no claim left after the provider wait" claims_are 0

# --- RESTARTING while a digest runs ----------------------------------------
head -c $((3 << 20)) /dev/urandom > "$t/3m"
for k in 0 1 2; do dd if="$t/3m" of="$t/part$k" bs=1M skip=$k count=1 status=none; done
want=$(ref_digest "$t/3m")
for m in E P; do
	[ $m = E ] && opts=("${E[@]}") || opts=("${P[@]}")
	rm -f "$t/r.in"
	mkfifo "$t/r.in"
	QATRT_OSSL_VERBOSE=1 openssl dgst -sha256 -r "${opts[@]}" "$t/r.in" \
		>"$t/r.out" 2>"$t/r.err" &
	rp=$!
	pids+=($rp)
	exec {w}>"$t/r.in"
	cat "$t/part0" >&$w
	check "$m: first part on the device" wait_for log_has "$t/r.err" 'sha256: updates on the device'
	"$tool" inject RESTARTING --dev 0
	cat "$t/part1" >&$w
	check "$m: fallback logged" wait_for log_has "$t/r.err" 'device 0 RESTARTING: SHA-256 falls back to software'
	check "$m: software during the restart" wait_for log_has "$t/r.err" 'sha256: updates in software'
	"$tool" inject RESTARTED --dev 0
	cat "$t/part2" >&$w
	check "$m: return logged" wait_for log_has "$t/r.err" 'device 0 RESTARTED: SHA-256 back on the device'
	exec {w}>&-
	wait $rp
	check "$m: digest across the restart exits 0" [ $? = 0 ]
	check "$m: digest across the restart is right" [ "$(cut -d' ' -f1 "$t/r.out")" = "$want" ]
	# In that order: device, fallback, software, back, device.
	order=$(grep -oE 'updates on the device|falls back to software|updates in software|back on the device' "$t/r.err" | uniq | tr '\n' ,)
	check "$m: order of routes: $order" [ "$order" = "updates on the device,falls back to software,updates in software,back on the device,updates on the device," ]
	check "$m: both paths counted" grep -Eq "sha256: $((3 << 20)) bytes, [1-9][0-9]* operations on the device, [1-9][0-9]* in software" "$t/r.err"
	# A new operation after RESTARTED is on the device from the start.
	QATRT_OSSL_VERBOSE=1 openssl dgst -sha256 "${opts[@]}" "$t/abc" >/dev/null 2>"$t/r2.err"
	check "$m: next digest on the device" grep -q 'sha256: 3 bytes, [1-9][0-9]* operations on the device, 0 in software' "$t/r2.err"
done

# --- fork: the child claims its own section on first use -------------------
rm -f "$t/f.in"
mkfifo "$t/f.in"
"$forkprog" "$pdir" <"$t/f.in" >"$t/f.out" 2>"$t/f.err" &
fp=$!
pids+=($fp)
exec {w}>"$t/f.in"
check "fork: child ready" wait_for log_has "$t/f.out" 'child ready'
cp=$(awk '/child ready/ {print $3}' "$t/f.out")
table=$(claim_table)
distinct() { [ -n "$1" ] && [ -n "$2" ] && [ "$1" != "$2" ]; }
check "fork: parent and child hold distinct sections: $table" \
	distinct "$(section_of "$fp")" "$(section_of "$cp")"
check "fork: the child's claim is logged" log_has "$t/f.err" 'forked child: claimed its own section'
exec {w}>&-
wait $fp
rc=$?
check "fork: parent and child digests right: $(cat "$t/f.err")" [ $rc = 0 ]
check "no claim left after fork" claims_are 0

echo "openssl: $pass passed, $fail failed"
[ "$fail" = 0 ]
