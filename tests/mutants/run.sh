#!/usr/bin/env bash
# Seeded mutants: tests/mutants/README.md says why and how.
#
#   bash tests/mutants/run.sh [LIST] [ID...]
#
# Copies the tree once to a scratch directory, builds it there, checks
# that the suites pass unmutated, then for each mutant of LIST (or only
# the IDs given): replaces its exact text in its file (the text must occur
# exactly once, or the mutant is stale), rebuilds incrementally, runs the
# suites it names with a short storm, and restores the file. The run fails
# when a mutant survives, is stale, or does not build. There is no way to
# list a mutant and not run it: one that survives gets its test.
set -u
list=${1:-tests/mutants/mutants.txt}
shift || true
only=" $* "
MAKE=${MAKE:-make}
storm=${MUTANT_STORM_SECONDS:-2}
O=build-mut

[ -f "$list" ] || { echo "FAIL: $list missing"; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/qatrt-mutants-XXXXXX")
trap 'rm -rf "$work"' EXIT
tar --exclude=./build --exclude=./build-san --exclude=./build-tsan \
    --exclude=./.git -cf - . | tar -C "$work" -xf -

build() {
	$MAKE -C "$work" --no-print-directory -j2 O=$O mutant-build \
		>"$work/.build.log" 2>&1
}

# run_suite NAME: 0 when it passes. "fuzz" is the corpus replay.
run_suite() {
	case $1 in
	fuzz)
		(cd "$work" && O=$O bash tests/check-fuzz-corpus.sh) ;;
	*)
		(cd "$work" && CK_RUN_SUITE=$1 CK_VERBOSITY=normal \
		 QATRT_STORM_SECONDS=$storm QATRT_TEST_BINDIR=$O/tests \
		 CK_DEFAULT_TIMEOUT=60 timeout 600 $O/tests/check_runner) ;;
	esac >"$work/.suite.log" 2>&1
}

# count FILE TEXT: how many times TEXT occurs in FILE, literally.
count() {
	FIND=$2 awk 'BEGIN { f = ENVIRON["FIND"]; n = 0 }
	{ s = $0; while ((i = index(s, f)) > 0) { n++; s = substr(s, i + length(f)) } }
	END { print n }' "$1"
}

# apply FILE TEXT REPL: replace the one occurrence, literally.
apply() {
	FIND=$2 REPL=$3 awk 'BEGIN { f = ENVIRON["FIND"]; r = ENVIRON["REPL"] }
	{ i = index($0, f)
	  if (i > 0) $0 = substr($0, 1, i - 1) r substr($0, i + length(f))
	  print }' "$1" >"$1.mut" && mv "$1.mut" "$1"
}

start=$(date +%s)
total=0 caught=0 survived=0 stale=0 broken=0 skipped=0
failures=""

echo "== mutants: building the scratch copy"
if ! build; then
	echo "FAIL: the unmutated tree does not build"; tail -n 30 "$work/.build.log"
	exit 1
fi
# Every suite a mutant names must pass before anything is planted.
suites=$(awk '/^suites:/ { for (i = 2; i <= NF; i++) print $i }' "$list" | tr -d ',' | sort -u)
for s in $suites; do
	if ! run_suite "$s"; then
		echo "FAIL: suite $s fails on the unmutated tree"
		tail -n 30 "$work/.suite.log"; exit 1
	fi
done

one() { # id file find repl suites
	local id=$1 file=$2 find=$3 repl=$4 suites=$5 n t0 s hit=""
	total=$((total + 1))
	if [ "$only" != "  " ] && [[ "$only" != *" $id "* ]]; then
		skipped=$((skipped + 1)); return
	fi
	if [ ! -f "$work/$file" ]; then
		echo "STALE     $id: $file does not exist"
		stale=$((stale + 1)); failures="$failures $id"; return
	fi
	n=$(count "$work/$file" "$find")
	if [ "$n" != 1 ]; then
		echo "STALE     $id: its text occurs $n times in $file"
		stale=$((stale + 1)); failures="$failures $id"; return
	fi
	t0=$(date +%s)
	cp -p "$work/$file" "$work/.orig"
	apply "$work/$file" "$find" "$repl"
	if ! build; then
		echo "NO BUILD  $id ($file)"; tail -n 5 "$work/.build.log"
		broken=$((broken + 1)); failures="$failures $id"
	else
		for s in $suites; do
			if ! run_suite "$s"; then hit=$s; break; fi
		done
		if [ -n "$hit" ]; then
			caught=$((caught + 1))
			echo "caught    $id by $hit ($(( $(date +%s) - t0 )) s)"
		else
			survived=$((survived + 1)); failures="$failures $id"
			echo "SURVIVED  $id: $file: '$find' -> '$repl' ($suites)"
		fi
	fi
	cp "$work/.orig" "$work/$file"
	touch "$work/$file" # newer than the mutant's objects
}

id="" file="" find="" repl="" sts=""
flush() {
	[ -n "$id" ] && one "$id" "$file" "$find" "$repl" "$sts"
	id="" file="" find="" repl="" sts=""
}
while IFS= read -r line || [ -n "$line" ]; do
	case $line in
	"#"*) ;;
	"") flush ;;
	"id: "*) flush; id=${line#id: } ;;
	"file: "*) file=${line#file: } ;;
	"find: "*) find=${line#find: } ;;
	"repl: "*) repl=${line#repl: } ;;
	"suites: "*) sts=$(echo "${line#suites: }" | tr ',' ' ') ;;
	"why: "*) ;;
	*) echo "FAIL: $list: cannot read line: $line"; exit 1 ;;
	esac
done <"$list"
flush

ran=$((total - skipped))
echo "mutants: $caught of $ran caught, $survived survived, $stale stale," \
     "$broken do not build ($total listed," \
     "$(( $(date +%s) - start )) s)"
[ -z "$failures" ] || { echo "FAIL:$failures"; exit 1; }
[ "$total" -ge 25 ] || { echo "FAIL: fewer than 25 mutants listed"; exit 1; }
