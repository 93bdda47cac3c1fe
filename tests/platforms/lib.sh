# Shared by the platform harnesses (source it; do not run it).
#
# A harness reads the cases for its platform from tests/cases.list, runs each
# one, records PASS / FAIL / SKIP with a reason, and ends with one summary line
#   <platform>: N passed, N failed, N skipped
# Logs go to $LOGDIR (build/logs/<platform>/). A harness exits 1 when any case
# failed, 0 otherwise (all SKIP is not a failure, and is reported as such).

SRC=${SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD=${BUILD:-$SRC/build}
PLATFORM=${PLATFORM:?set PLATFORM before sourcing lib.sh}
LOGDIR=$BUILD/logs/$PLATFORM
mkdir -p "$LOGDIR"

n_pass=0 n_fail=0 n_skip=0

say()  { printf '[%s] %s\n' "$PLATFORM" "$*"; }
pass() { n_pass=$((n_pass + 1)); printf '[%s] PASS %s\n' "$PLATFORM" "$1"; }
fail() { n_fail=$((n_fail + 1)); printf '[%s] FAIL %s: %s\n' "$PLATFORM" "$1" "$2"; }
skip() { n_skip=$((n_skip + 1)); printf '[%s] SKIP %s: %s\n' "$PLATFORM" "$1" "$2"; }

# selected NAME: true when ONLY (environment) is unset or NAME contains it.
selected() { [[ -z ${ONLY:-} || $1 == *"$ONLY"* ]]; }

trim() { local s=$1; s=${s#"${s%%[![:space:]]*}"}; printf '%s' "${s%"${s##*[![:space:]]}"}"; }

# case_file REF: the file a case names in a directive: build/PATH is a
# built file (under $BUILD), any other PATH is relative to the source tree.
case_file() {
	if [[ $1 == build/* ]]; then echo "$BUILD/${1#build/}"; else echo "$SRC/$1"; fi
}

# expect_patterns EXPECT: EXPECT with each ';'-separated item @FILE (not
# @RUN@...) replaced by FILE's lines (a path as for case_file), one pattern
# each, so a long expectation can live in a file.
expect_patterns() {
	local item out= f items
	IFS=';' read -ra items <<< "$1"
	for item in "${items[@]}"; do
		item=$(trim "$item")
		if [[ $item == @* && $item != @RUN@* ]]; then
			f=$(case_file "${item#@}")
			[[ -f $f ]] || { echo "@no-such-expect-file:$f"; return; }
			item=$(grep -v '^#' "$f" | paste -sd ';')
		fi
		[[ -n $item ]] && out+="${out:+; }$item"
	done
	printf '%s' "$out"
}

# for_each_case FN: calls FN name kernel initrd cmdline exit expect options
# directives for every case of $PLATFORM in tests/cases.list (kernel and
# initrd as absolute paths, initrd empty for '-'; options and directives
# empty for '-'; expect as expect_patterns gives it).
# ONLY (environment) restricts the run to cases whose name contains it.
# Only a harness that sets CASE_OPTIONS=1 (one that runs mkvm through
# tests/platforms/runcase.sh) gets cases with mkvm options or runner
# directives; any other FAILs them rather than run them without their
# devices. @nosyscall and @check:... describe the case, and go anywhere.
for_each_case() {
	local fn=$1 name plats options dirs kernel initrd cmdline exit expect d o
	while IFS='|' read -r name plats options dirs kernel initrd cmdline exit expect; do
		name=$(trim "$name")
		[[ -z $name || $name == \#* ]] && continue
		plats=$(trim "$plats")
		[[ ,$plats, == *,$PLATFORM,* ]] || continue
		selected "$name" || continue
		options=$(trim "$options") dirs=$(trim "$dirs")
		[[ $options == - ]] && options=
		[[ $dirs == - ]] && dirs=
		if [[ ${CASE_OPTIONS:-0} != 1 ]]; then
			d=$options
			for o in $dirs; do [[ $o == @nosyscall || $o == @check:* ]] || d+=" $o"; done
			if [[ -n $d ]]; then
				fail "$name" "the $PLATFORM harness does not run mkvm (case needs:$d)"
				continue
			fi
		fi
		kernel=$BUILD/$(trim "$kernel")
		initrd=$(trim "$initrd")
		if [[ $initrd == - ]]; then initrd=; else initrd=$BUILD/$initrd; fi
		expect=$(expect_patterns "$expect")
		"$fn" "$name" "$kernel" "$initrd" "$(trim "$cmdline")" \
			"$(trim "$exit")" "$expect" "$options" "$dirs"
	done < "$SRC/tests/cases.list"
}

# judge NAME LOG RC WANT_RC EXPECT: records the verdict of one finished case.
judge() {
	local name=$1 log=$2 rc=$3 want=$4 expect=$5 pat
	if [[ $rc != "$want" ]]; then
		fail "$name" "exit status $rc, expected $want (log: $log)"
		return
	fi
	IFS=';' read -ra pats <<< "$expect"
	for pat in "${pats[@]}"; do
		pat=$(trim "$pat")
		[[ -z $pat ]] && continue
		if ! grep -Eq -- "$pat" "$log"; then
			fail "$name" "serial log lacks /$pat/ (log: $log)"
			return
		fi
	done
	pass "$name"
}

# summary: prints the closing line and returns the harness's exit status.
summary() {
	printf '%s: %d passed, %d failed, %d skipped\n' "$PLATFORM" "$n_pass" "$n_fail" "$n_skip"
	((n_fail == 0))
}

# show_matches LOG EXPECT: prints, indented, the first log line matching each
# expect pattern, so a run shows the evidence behind its verdict.
show_matches() {
	local log=$1 pat line
	IFS=';' read -ra pats <<< "$2"
	for pat in "${pats[@]}"; do
		pat=$(trim "$pat")
		[[ -z $pat ]] && continue
		line=$(grep -Ea -m1 -- "$pat" "$log" | tr -d '\r')
		[[ -n $line ]] && printf '[%s]     | %s\n' "$PLATFORM" "$line"
	done
}
