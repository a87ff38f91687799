#!/usr/bin/env bats
# sess-replay: saved replays (save, list, show, delete, cleanup, stats),
# export and import, and what they hold after the session is gone.
bats_require_minimum_version 1.5.0

setup_file() { load helpers/redis; common_setup_file; }
teardown_file() { load helpers/redis; common_teardown_file; }
setup() { load helpers/redis; common_setup; }

rp() { sk sess-replay "$@"; }
shape='{state, seq, agents: [.agents[].id], checkpoints, ttl, metadata}'

# A session with N events from three agents, transitions now and then.
session() {
	local id=$1 n=$2
	sctl create --agent a1 --id "$id" --metadata '{"feature":"replay"}' >/dev/null
	sctl join "$id" a2 >/dev/null
	sctl join "$id" a3 >/dev/null
	awk -v n="$n" -v id="$id" 'BEGIN { for (i = 1; i <= n; i++) {
		a = "a" (i % 3 + 1)
		if (i > int(n / 2) && a == "a2") a = "a3" # a2 left half-way
		if (i % 50 == 25) printf "{\"op\":\"emit\",\"id\":\"%s\",\"actor\":\"%s\",\"type\":\"broke\",\"stateTransition\":{\"from\":\"working\",\"to\":\"broken\"}}\n", id, a
		else if (i % 50 == 30) printf "{\"op\":\"emit\",\"id\":\"%s\",\"actor\":\"%s\",\"type\":\"fixed\",\"stateTransition\":{\"from\":\"broken\",\"to\":\"working\"}}\n", id, a
		else printf "{\"op\":\"emit\",\"id\":\"%s\",\"actor\":\"%s\",\"type\":\"modified\",\"changeInfo\":{\"elementType\":\"function\",\"entityIds\":[\"src/m%d.ts\"],\"operation\":\"modified\"}}\n", id, a, i % 7
		if (i == int(n / 2)) printf "{\"op\":\"leave\",\"id\":\"%s\",\"agent\":\"a2\"}\n", id
	} }' | sctl batch >/dev/null
}

@test "save keeps the history; after the session is gone play, state and verify read the replay" {
	session r1 300
	for seq in 10 120 151 300; do sctl_state[$seq]=$(rp state r1 --at $seq | jq -c "$shape"); done
	live_play=$(rp play r1)
	# diffs within a block, across blocks, over the whole history
	local diffs=("10 60" "120 151" "1 300") d
	local -A sctl_diff
	for d in "${diffs[@]}"; do sctl_diff[$d]=$(rp diff r1 --from ${d% *} --to ${d#* }); done
	run rp save r1 --block-records 64
	assert_success
	assert_equal "$(jq -c '[.id, .saved, .events, .lastSeq, .blocks > 1]' <<<"$output")" '["r1",true,300,300,true]'
	sctl delete r1 >/dev/null
	assert_equal "$(rcli EXISTS 'sess:{r1}:meta')" 0
	for seq in 10 120 151 300; do
		run rp state r1 --at $seq
		assert_success
		assert_equal "$(jq -c "$shape" <<<"$output")" "${sctl_state[$seq]}"
	done
	assert_equal "$(rp play r1)" "$live_play"
	for d in "${diffs[@]}"; do
		run rp diff r1 --from ${d% *} --to ${d#* }
		assert_success
		assert_equal "$output" "${sctl_diff[$d]}"
	done
	run -0 rp diff r1 --from 120 --to 151
	assert_equal "$(jq -c '[.events.count, .from.seq, .to.seq]' <<<"$output")" '[31,120,151]'
	run rp verify r1
	assert_success
	assert_equal "$(jq -c '[.source, .ok, .events]' <<<"$output")" '["saved",true,300]'
	run -0 rp show r1
	assert_equal "$(jq -r '.checkpoints | length' <<<"$output")" 36
}

@test "list, show, stats, delete; save of a missing session: exit 1, nothing saved" {
	session r2 20
	session r3 40
	rp save r2 r3 >/dev/null
	run -0 rp list
	assert_equal "$(jq -r .id <<<"$output" | sort | tr '\n' ' ')" "r2 r3 "
	run -0 rp stats
	assert_equal "$(jq -c '[.replays, .events, .storedBytes < .rawBytes]' <<<"$output")" '[2,60,true]'
	run rp save nosuch
	assert_failure 1
	assert_equal "$(rcli EXISTS 'sess:replay:{nosuch}')" 0
	run rp delete r2
	assert_success
	run rp delete r2
	assert_failure 1
	run -0 rp list
	assert_equal "$(jq -r .id <<<"$output")" r3
}

@test "save --completed: every completed session not saved yet (the cron job)" {
	session c1 5
	session c2 5
	session c3 5
	sctl complete c1 >/dev/null
	sctl complete c3 >/dev/null
	rp save c3 >/dev/null
	run rp save --completed
	assert_success
	assert_equal "$(jq -r .id <<<"$output")" c1
	run -0 rp save --completed
	assert_output ""
}

@test "cleanup --older-than: retention by the time saved" {
	session k1 5
	session k2 5
	rp save k1 k2 >/dev/null
	# k1 saved ten days ago
	rcli ZADD sess:#{all}:replays "$(( $(date +%s) * 1000 - 10 * 86400000 ))" k1 >/dev/null
	run -0 rp cleanup --older-than 7 --dry-run
	assert_equal "$(jq -r 'select(.wouldDelete == true) | .id' <<<"$output")" k1
	assert_equal "$(rcli EXISTS 'sess:replay:{k1}')" 1
	run rp cleanup --older-than 7
	assert_success
	assert_equal "$(jq -r 'select(.deleted == true) | .id' <<<"$output")" k1
	assert_equal "$(rcli EXISTS 'sess:replay:{k1}')" 0
	assert_equal "$(rcli EXISTS 'sess:replay:{k2}')" 1
	run rp cleanup
	assert_failure 64
}

@test "a damaged replay: a flipped byte or a cut block is found, named, exit 1/65" {
	session d1 200
	rp save d1 --block-records 50 >/dev/null
	sctl delete d1 >/dev/null
	# flip one byte in the middle of block 1
	python3 - "$REDIS_SOCK" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
def cmd(*a):
    s.sendall(b"".join([b"*%d\r\n" % len(a)] + [b"$%d\r\n%s\r\n" % (len(x), x) for x in a]))
    data = b""
    while True:
        data += s.recv(1 << 20)
        if data.startswith(b"$"):
            n = int(data[1:data.index(b"\r\n")])
            if n < 0 or len(data) >= data.index(b"\r\n") + 2 + n + 2:
                break
        elif data.endswith(b"\r\n"):
            break
    return data
raw = cmd(b"HGET", b"sess:replay:{d1}", b"b:1")
hdr = raw.index(b"\r\n") + 2
blob = bytearray(raw[hdr:-2])
blob[len(blob) // 2] ^= 0x40
cmd(b"HSET", b"sess:replay:{d1}", b"b:1", bytes(blob))
PY
	run rp verify d1
	assert_failure 1
	assert_equal "$(jq -r 'select(.code) | .code' <<<"$output")" replay.checksum_mismatch
	# a point in that block reads it; one in another block does not need it
	run rp state d1 --at 70
	assert_failure 65
	assert_output --partial "checksum"
	run rp state d1 --at 20
	assert_success
	run rp state d1 --at 150
	assert_success
	# play stops at the bad block, after what it could show
	run rp play d1
	assert_failure 65
	assert_output --partial "checksum"
	assert_output --partial '"seq":20,'
	# a block cut short
	rcli HSET 'sess:replay:{d1}' b:2 "SKB1" >/dev/null
	run rp state d1 --at "$(rp show d1 | jq -r '.blockSeqs[2] + 1')"
	assert_failure 65
	assert_output --partial "damaged"
}

@test "export and import: a round trip gives the same state at every point" {
	session e1 120
	rp export e1 > "$BATS_TEST_TMPDIR/e1.jsonl"
	run -0 head -1 "$BATS_TEST_TMPDIR/e1.jsonl"
	assert_equal "$(jq -r .sesskit <<<"$output")" history
	run rp import --id e1copy < "$BATS_TEST_TMPDIR/e1.jsonl"
	assert_success
	assert_equal "$(jq -c '[.id, .imported, .events]' <<<"$output")" '["e1copy",true,120]'
	for seq in 0 1 37 60 61 119 120; do
		assert_equal "$(rp state e1copy --at $seq | jq -c "$shape")" "$(rp state e1 --at $seq | jq -c "$shape")"
	done
	run rp verify e1copy
	assert_success
	# the export of the replay is the export of the session
	rp export e1copy > "$BATS_TEST_TMPDIR/again.jsonl"
	assert_equal "$(tail -n +2 "$BATS_TEST_TMPDIR/again.jsonl")" "$(tail -n +2 "$BATS_TEST_TMPDIR/e1.jsonl")"
	# into another Redis: a file to a server that never saw the session
	rp export e1 --output "$BATS_TEST_TMPDIR/e1.file"
	[ -s "$BATS_TEST_TMPDIR/e1.file" ] || fail "no file"
	cmp "$BATS_TEST_TMPDIR/e1.file" "$BATS_TEST_TMPDIR/e1.jsonl"
	# importing over an existing replay needs --replace
	run rp import --id e1copy "$BATS_TEST_TMPDIR/e1.file"
	assert_failure 1
	run rp import --id e1copy --replace "$BATS_TEST_TMPDIR/e1.file"
	assert_success
}

@test "import: a bad line, a changed record, a cut file: one line naming it, exit 65, nothing written" {
	session i1 30
	rp export i1 > "$BATS_TEST_TMPDIR/i1.jsonl"
	sed '7s/.*/not json/' "$BATS_TEST_TMPDIR/i1.jsonl" > "$BATS_TEST_TMPDIR/bad.jsonl"
	run rp import --id x1 "$BATS_TEST_TMPDIR/bad.jsonl"
	assert_failure 65
	assert_output --partial "line 7"
	sed '9s/modified/MODIFIED/' "$BATS_TEST_TMPDIR/i1.jsonl" > "$BATS_TEST_TMPDIR/changed.jsonl"
	run rp import --id x2 "$BATS_TEST_TMPDIR/changed.jsonl"
	assert_failure 65
	assert_output --partial "chain"
	head -n 20 "$BATS_TEST_TMPDIR/i1.jsonl" > "$BATS_TEST_TMPDIR/cut.jsonl"
	run rp import --id x3 "$BATS_TEST_TMPDIR/cut.jsonl"
	assert_failure 65
	assert_output --partial "cut short"
	run rp import --id x4 "$BATS_TEST_TMPDIR/nosuch.jsonl"
	assert_failure 66
	assert_equal "$(rcli KEYS 'sess:replay:*')" ""
	assert_equal "$(rcli ZCARD sess:#{all}:replays)" 0
}

@test "storedBytes is every byte the replay's hash holds; checkpoints are rebuilt from their records" {
	session z1 120
	run rp save z1
	assert_success
	stored=$(jq -r .storedBytes <<<"$output")
	total=0
	for f in $(rcli HKEYS 'sess:replay:{z1}'); do
		total=$((total + $(rcli HSTRLEN 'sess:replay:{z1}' "$f")))
	done
	assert_equal "$stored" "$total"
	# no checkpoint bodies stored: show rebuilds them, equal to the session's
	assert_equal "$(rcli --raw HGET 'sess:replay:{z1}' meta | jq 'has("checkpoints")')" false
	run rp show z1
	assert_success
	assert_equal "$(jq -c '.checkpoints' <<<"$output")" \
		"$(for n in $(rcli HKEYS 'sess:{z1}:checkpoints' | sort -n); do rcli --raw HGET 'sess:{z1}:checkpoints' "$n"; done | jq -sc .)"
}

@test "a replay of version 1 (checkpoints in its meta) is shown with the rebuilt ones only; a newer version is refused, exit 78" {
	session v1 30
	rp save v1 >/dev/null
	want=$(rp show v1 | jq -c .checkpoints)
	meta=$(rcli --raw HGET 'sess:replay:{v1}' meta)
	rcli HSET 'sess:replay:{v1}' meta "$(jq -c '.v = 1 | .checkpoints = [{"id":1,"old":true}] | .final = {"seq":30}' <<<"$meta")" >/dev/null
	run rp show v1
	assert_success
	assert_equal "$(grep -o '"checkpoints"' <<<"$output" | wc -l)" 1
	assert_equal "$(jq -c .checkpoints <<<"$output")" "$want"
	assert_equal "$(jq 'has("final")' <<<"$output")" false
	run rp verify v1 --saved
	assert_success
	rcli HSET 'sess:replay:{v1}' meta "$(jq -c '.v = 3' <<<"$meta")" >/dev/null
	for cmd in "show v1" "play v1 --saved" "verify v1 --saved"; do
		run rp $cmd
		assert_failure 78
		assert_output --partial "format version 3"
	done
}

@test "save and import refuse checkpoints their records do not imply, and write nothing" {
	session c1 40
	# a stored checkpoint edited: its state is not the one folded up to it
	cp=$(rcli --raw HGET 'sess:{c1}:checkpoints' 2)
	rcli HSET 'sess:{c1}:checkpoints' 2 "$(sed 's/"ttl":3600/"ttl":7/' <<<"$cp")" >/dev/null
	run rp save c1
	assert_failure 65
	assert_output --partial "checkpoint 2"
	assert_output --partial "sess-replay verify c1"
	assert_equal "$(rcli EXISTS 'sess:replay:{c1}')" 0
	# a checkpoint no record took
	rcli HSET 'sess:{c1}:checkpoints' 2 "$cp" >/dev/null
	rcli HSET 'sess:{c1}:checkpoints' 99 "$(sed 's/"id":2,"seq":[0-9]*/"id":99,"seq":25/' <<<"$cp")" >/dev/null
	run rp save c1
	assert_failure 65
	assert_output --partial "checkpoint 99"
	rcli HDEL 'sess:{c1}:checkpoints' 99 >/dev/null
	run rp save c1
	assert_success
	# an export whose checkpoint line was changed
	rp export c1 > "$BATS_TEST_TMPDIR/c1.jsonl"
	grep -q '^{"checkpoint":{"id":3,' "$BATS_TEST_TMPDIR/c1.jsonl"
	sed 's/^\({"checkpoint":{"id":3,.*\)"state":"[a-z]*"/\1"state":"completed"/' "$BATS_TEST_TMPDIR/c1.jsonl" > "$BATS_TEST_TMPDIR/cp.jsonl"
	run cmp -s "$BATS_TEST_TMPDIR/c1.jsonl" "$BATS_TEST_TMPDIR/cp.jsonl"
	assert_failure
	run rp import --id c1x "$BATS_TEST_TMPDIR/cp.jsonl"
	assert_failure 65
	assert_output --partial "checkpoint 3"
	assert_equal "$(rcli EXISTS 'sess:replay:{c1x}')" 0
}

@test "Redis down: exit 69" {
	REDIS_URL="redis://127.0.0.1:$(dead_port)" run "$SESSKIT_BUILDDIR/sess-replay" list
	assert_failure 69
}

@test "save --block-records N: records per block; --interval (a duration in every other tool) is read one release with a warning" {
	run -0 sctl create --agent a1 --id bk1
	for n in $(seq 1 40); do echo "{\"op\":\"emit\",\"id\":\"bk1\",\"actor\":\"a1\",\"type\":\"modified\"}"; done >"$BATS_TEST_TMPDIR/ops"
	run -0 sctl batch <"$BATS_TEST_TMPDIR/ops"
	run -0 --separate-stderr rp save bk1 --block-records 16
	assert_equal "$(jq -c .blocks <<<"$output")" 3
	assert_equal "$stderr" ""
	run -0 --separate-stderr rp save bk1 --interval 32
	assert_equal "$(jq -c .blocks <<<"$output")" 2
	[[ "$stderr" == *"--interval is read as --block-records for this release only; write --block-records"* ]] ||
		fail "no warning: $stderr"
	run -0 rp save --help
	assert_output --partial "--block-records N"
	refute_output --partial "--interval"
}
