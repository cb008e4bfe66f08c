# Sourced by the test scripts that run processes: counters, check, a
# bounded wait, and (script_scratch) a scratch directory $t whose
# background processes, added to pids, are killed on exit.
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
check() { local what=$1; shift; if "$@"; then ok; else bad "$what"; fi; }

# Wait for a command to succeed: 50 ms steps, 20 s at most.
wait_for() {
	local i
	for ((i = 0; i < 400; i++)); do "$@" && return 0; sleep 0.05; done
	return 1
}

script_cleanup() {
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$t"
}
script_scratch() {
	t=$(mktemp -d)
	pids=()
	trap script_cleanup EXIT
}
