#!/usr/bin/env bats
# sess-validate sessions reads a history record and a stored checkpoint
# from their spans when they are what sesskit writes, and as cJSON trees
# otherwise (issue 19): a differential over damaged and look-alike texts
# (hostile bytes, duplicate keys, escapes, nested look-alike members,
# numbers at the limits, NUL and bytes that are not UTF-8). Each case's
# findings (tests/data/validate-spans-*.txt) are main's (daa8be8), made
# with the tree readers alone before the span readers were written (r44-r49
# and c44-c49, texts cJSON refuses that the span scanner read: commas
# not between members, a string followed by more than whitespace, from
# this build with its span readers turned off, which is main's tree path).
bats_require_minimum_version 1.5.0

setup_file() { load helpers/redis; common_setup_file; }
teardown_file() { load helpers/redis; common_teardown_file; }
setup() { load helpers/redis; common_setup; }

sv() { sk sess-validate "$@"; }

# put KEY KIND FIELD_OR_INDEX: stdin's bytes (exactly: NUL, tab and all)
# stored as list element INDEX (lset) or hash field FIELD (hset)
put() {
	if [ "$2" = lset ]; then
		rcli -x LSET "$1" "$3" >/dev/null
	else
		rcli -x HSET "$1" "$3" >/dev/null
	fi
}

# nvariants FILE: how many expressions FILE holds (python's, over S, one
# a line); variant FILE I TEXT: the bytes of the I-th over S=TEXT, into
# $BATS_TEST_TMPDIR/v
nvariants() { grep -cv '^#' "$1"; }
variant() {
	python3 - "$1" "$2" "$3" "$BATS_TEST_TMPDIR/v" <<'PY'
import sys
S = sys.argv[3].encode()
lines = [l.rstrip("\n") for l in open(sys.argv[1]) if not l.startswith("#")]
open(sys.argv[4], "wb").write(eval(lines[int(sys.argv[2])], {"S": S}))
PY
}

# the findings, one a line: id, seq, code, message (digests and times,
# which differ between runs, as <sha1> and <ms>)
findings() {
	jq -r '[.id, (.seq | tostring), .code, (.message | gsub("[0-9a-f]{40}"; "<sha1>") | gsub("[0-9]{12,}"; "<ms>"))] | join(" ")' <<<"$output"
}

@test "history records read from their spans: the same findings as the cJSON tree gave, shape by shape (issue 19)" {
	cat >"$BATS_TEST_TMPDIR/exprs" <<'EOF'
S
S.replace(b'"a":"a2"', b'"a":"a2","a":"a3"')
S.replace(b'"a":"a2"', b'"\\u0061":"a2"')
S.replace(b'"a":"a2"', b'"a":"a\\u0032"')
S.replace(b'"a":"a2"', b'"a":"a2","x":{"a":"a3","k":"leave"}')
S.replace(b'"a":"a2"', b'"a":"a2","x":[{"k":"leave","k":"x"}]')
S.replace(b'"at":0', b'"at":0.0')
S.replace(b'"at":0', b'"at":-0')
S.replace(b'"at":0', b'"at":0e0')
S.replace(b'"at":0', b'"at":"0"')
S.replace(b'"at":0', b'"at":-1')
S.replace(b'"at":0', b'"at":1')
S.replace(b'"k":"join"', b'"k":"join","ttl":9007199254740991')
S.replace(b'"k":"join"', b'"k":"join","ttl":9007199254740992')
S.replace(b'"k":"join"', b'"k":"join","ttl":1e300')
S.replace(b'"k":"join"', b'"k":"join","x":' + b'1' * 70)
S.replace(b'"k":"join"', b'"k":"join","x":' + b'1' * 29)
S.replace(b'"k":"join"', b'"k":"join","x":-1.5e3,"y":null,"z":true')
S.replace(b'"k":"join"', b'"k":"join","x":01')
S.replace(b'"k":"join"', b'"k":"join","x":tru')
S.replace(b'"k":"join"', b'"k":"join","x":"\\q"')
S.replace(b'"k":"join"', b'"k":"join","x":"a\tb"')
S.replace(b'"a":"a2"', b'"a":"a2\x00zz"')
S.replace(b'"a":"a2"', b'"a":"a\xff2"')
S + b' x'
S + b' \t\r\n'
b' ' + S
S.replace(b',', b' , ').replace(b':', b' : ')
S.replace(b'"a":"a2"', b'"a":5')
S.replace(b'"a":"a2"', b'"a":"' + b'q' * 300 + b'"')
S.replace(b'"k":"join"', b'"k":"jo\\u0069n"')
S.replace(b'"k":"join"', b'"k":"join","k":"leave"')
S.replace(b'"k":"join"', b'"k":"leave"')
S.replace(b'"k":"join"', b'"k":"join","m":{"x":1}')
S.replace(b'"k":"join"', b'"k":"touch","ttl":5')
S.replace(b'"k":"join"', b'"k":"checkpoint","n":1')
S.replace(b'"k":"join"', b'"k":"checkpoint","n":1.5')
S.replace(b'"k":"join"', b'"k":"upgrade","state":"working","creator":"a1","agents":["a1","a2"]')
S.replace(b'"k":"join"', b'"k":"nosuch"')
S.replace(b'"k":"join"', b'"k":"' + b'j' * 40 + b'"')
S.replace(b'"k":"join"', b'"k1":1,"k2":1,"k3":1,"k4":1,"k5":1,"k6":1,"k7":1,"k8":1,"k9":1,"k10":1,"k11":1,"k12":1,"k13":1,"k14":1,"k":"join"')
S.replace(b'"k":"join"', b'"x":' + b'[' * 1001 + b']' * 1001 + b',"k":"join"')
S.replace(b'"k":"join"', b'"x":' + b'[' * 998 + b']' * 998 + b',"k":"join"')
S[:-1]
S.replace(b'"k":"join"', b'"k":"join",')
S[:-1] + b',}'
b'{,' + S[1:]
S.replace(b'"a":"a2"', b'"a":"a2" "a3"')
S.replace(b'"k":"join"', b'"k":"join","x":"s"t')
S.replace(b'"k":"join"', b'"k":"join","x":"s" "y":1')
EOF
	local n i t=""
	n=$(nvariants "$BATS_TEST_TMPDIR/exprs")
	[ "$n" = 50 ] || fail "$n texts"
	# each session's join record (a1 creates, a2 joins) made over
	for ((i = 0; i < n; i++)); do
		session_of "r$i" 3 whole
		variant "$BATS_TEST_TMPDIR/exprs" "$i" "$(rcli LINDEX "sess:{r$i}:history" 1)"
		put "sess:{r$i}:history" lset 1 <"$BATS_TEST_TMPDIR/v"
		t+=" r$i"
	done
	# shellcheck disable=SC2086
	run -1 sv sessions $t
	diff <(findings) "$BATS_TEST_DIRNAME/data/validate-spans-records.txt" || fail "the findings differ (above)"
}

@test "stored checkpoints read from their spans: the same findings as the cJSON tree gave, shape by shape (issue 19)" {
	cat >"$BATS_TEST_TMPDIR/exprs" <<'EOF'
S
S[:-1] + b',"state":"working"}'
S.replace(b'"state"', b'"st\\u0061te"')
S.replace(b'"working"', b'"w\\u006frking"')
S[:-1] + b',"x":{"sd":"0","state":"broken","agents":[]}}'
S[:-1] + b',"x":[{"seq":1},{"q":1,"q":2}]}'
S.replace(b'"seq":10', b'"seq":10.0')
S.replace(b'"seq":10', b'"seq":1e1')
S.replace(b'"seq":10', b'"seq":"10"')
S.replace(b'"seq":10', b'"seq":11')
S.replace(b'"ttl":3600', b'"ttl":3600,"x":' + b'7' * 70)
S.replace(b'"ttl":3600', b'"ttl":3600,"x":' + b'7' * 29)
S.replace(b'"ttl":3600', b'"ttl":9007199254740993')
S.replace(b'"ttl":3600', b'"ttl":-3600')
S.replace(b'"ttl":3600', b'"ttl":03600')
S + b' x'
S + b' \n'
b' ' + S
S.replace(b',', b' , ').replace(b':', b' : ')
S[:-1] + b',"metadata":{"x":1}}'
S.replace(b'["a1","a2"]', b'[ "a1" , "a2" ]')
S.replace(b'["a1","a2"]', b'["a1","a2",]')
S.replace(b'["a1","a2"]', b'["a1""a2"]')
S.replace(b'["a1","a2"]', b'["a1","a2"')
S.replace(b'["a1","a2"]', b'["a1","a\x002"]')
S.replace(b'"auto"', b'"a\tuto"')
S.replace(b'"auto"', b'"a\x00uto"')
S.replace(b'"auto"', b'"\\q"')
S.replace(b'"auto"', b'"\xfe\xff"')
S.replace(b'"working"', b'"working\x00x"')
S.replace(b'"a1",', b'"a1\x00",')
S[:-1] + b',"x":' + b'[' * 1001 + b']' * 1001 + b'}'
S[:-1] + b',"x":' + b'[' * 998 + b']' * 998 + b'}'
S[:-1] + b',"x":true,"y":null,"z":-0.5e-3}'
S[:-1] + b',"x":tru}'
b'[1]'
b'"' + S.replace(b'"', b'\\"') + b'"'
b''
S.replace(b'"ch":"', b'"ch":"0')
S.replace(b'"sd":"', b'"sd":"x')
S.replace(b'"creator":"a1"', b'"creator":"a2"')
S.replace(b'"creator":"a1"', b'"creator":"a\\u0031"')
S.replace(b',"creator":"a1"', b'')
S[:-1] + b',"k1":1,"k2":1,"k3":1,"k4":1,"k5":1,"k6":1,"k7":1,"k8":1,"k9":1,"k10":1,"k11":1,"k12":1,"k13":1,"k14":1,"k15":1,"k16":1,"k17":1,"k18":1,"k19":1,"k20":1}'
S[:-1] + b',}'
b'{,' + S[1:]
S[:-1] + b',,"x":1}'
S[:-1] + b',"x":"s"t}'
S[:-1] + b',"x":"s" "y":1}'
S.replace(b'"state":"working"', b'"state":"working" "broken"')
EOF
	local n i t=""
	n=$(nvariants "$BATS_TEST_TMPDIR/exprs")
	[ "$n" = 50 ] || fail "$n texts"
	# each session's checkpoint 1 made over
	for ((i = 0; i < n; i++)); do
		session_of "c$i" 12 whole
		variant "$BATS_TEST_TMPDIR/exprs" "$i" "$(rcli HGET "sess:{c$i}:checkpoints" 1)"
		put "sess:{c$i}:checkpoints" hset 1 <"$BATS_TEST_TMPDIR/v"
		t+=" c$i"
	done
	# metadata: the create record's, a checkpoint's byte for byte or not
	cat >"$BATS_TEST_TMPDIR/exprs" <<'EOF'
S
S.replace(b'"metadata":{"x":1,"y":"z/w"}', b'"metadata":{"y":"z/w","x":1}')
S.replace(b'"metadata":{"x":1,"y":"z/w"}', b'"metadata":{"x":1,"y":"z\\/w"}')
S.replace(b'"metadata":{"x":1,"y":"z/w"}', b'"metadata":{"x":1.0,"y":"z/w"}')
S.replace(b'"metadata":{"x":1,"y":"z/w"}', b'"metadata":{"x":1,"y":"z/w","x":2}')
S.replace(b'"metadata":{"x":1,"y":"z/w"}', b'"metadata":{"x":2,"y":"z/w"}')
S.replace(b'"metadata":{"x":1,"y":"z/w"}', b'"metadata":null')
S.replace(b',"metadata":{"x":1,"y":"z/w"}', b'')
EOF
	python3 -c '
import json
for s in range(8):
    i = "m%d" % s
    print(json.dumps({"op": "create", "id": i, "agent": "a1", "metadata": {"x": 1, "y": "z/w"}}))
    print(json.dumps({"op": "join", "id": i, "agent": "a2"}))
    for e in range(12):
        print(json.dumps({"op": "emit", "id": i, "actor": "a1" if e % 2 else "a2", "type": "note"}))' | sctl batch >/dev/null
	for i in 0 1 2 3 4 5 6 7; do
		for k in events checkpoints history; do
			[ "$(rcli PTTL "sess:{m$i}:$k")" != -1 ] || rcli PEXPIRE "sess:{m$i}:$k" "$(rcli PTTL "sess:{m$i}:meta")" >/dev/null
		done
	done
	n=$(nvariants "$BATS_TEST_TMPDIR/exprs")
	[ "$n" = 8 ] || fail "$n metadata texts"
	for ((i = 0; i < n; i++)); do
		variant "$BATS_TEST_TMPDIR/exprs" "$i" "$(rcli HGET "sess:{m$i}:checkpoints" 1)"
		put "sess:{m$i}:checkpoints" hset 1 <"$BATS_TEST_TMPDIR/v"
		t+=" m$i"
	done
	# shellcheck disable=SC2086
	run -1 sv sessions $t
	diff <(findings) "$BATS_TEST_DIRNAME/data/validate-spans-checkpoints.txt" || fail "the findings differ (above)"
}

@test "an event that is no JSON object at its own level is damaged to every reader, its chain made over to match" {
	# what cJSON refuses at the event's own level (the scanner the fold and
	# sess-replay read events with once passed over it: commas taken as
	# whitespace, a string value running on to the next delimiter), then
	# what JSON allows (spaces and tabs about every token; not a raw
	# newline: a stored event is one line), which all must take
	cat >"$BATS_TEST_TMPDIR/exprs" <<'EOF'
S.replace(b',"t":', b',,"t":')
b'{,' + S[1:]
S[:-1] + b',}'
S.replace(b'"a":"a1"', b'"a":"a1" "a2"')
S.replace(b'"t":"note"', b'"t":"note"x')
S.replace(b',', b' ,\t').replace(b'}', b' }')
EOF
	local n k t=""
	n=$(nvariants "$BATS_TEST_TMPDIR/exprs")
	[ "$n" = 6 ] || fail "$n texts"
	for ((k = 0; k < n; k++)); do
		session_of "j$k" 3 whole
		variant "$BATS_TEST_TMPDIR/exprs" "$k" "$(rcli LINDEX "sess:{j$k}:events" 1)"
		put "sess:{j$k}:events" lset 1 <"$BATS_TEST_TMPDIR/v"
		rechain "j$k"
		t+=" j$k"
	done
	# shellcheck disable=SC2086
	run -1 sv sessions $t
	local found=$output
	for ((k = 0; k < n - 1; k++)); do
		[ "$(jq -r --arg id "j$k" 'select(.id == $id and .code) | .code' <<<"$found")" = session.corrupt_record ] ||
			fail "sess-validate on j$k: $(jq -c --arg id "j$k" 'select(.id == $id)' <<<"$found")"
		run -1 sk sess-replay verify "j$k"
		[ "$(jq -r 'select(has("ok")) | .ok' <<<"$output")" = false ] || fail "sess-replay verify on j$k: $output"
		run -65 sctl events "j$k"
	done
	# (bats' run leaves i set: k is this loop's)
	# the last: whitespace JSON allows, read alike by every reader
	run -0 sv sessions "j$k"
	run -0 sk sess-replay verify "j$k"
	[ "$(jq -r 'select(has("ok")) | .ok' <<<"$output")" = true ] || fail "sess-replay verify on j$k: $output"
	run -0 sctl events "j$k"
	[ "$(jq -s 'length' <<<"$output")" = 3 ] || fail "sessctl events j$k: $output"
}
