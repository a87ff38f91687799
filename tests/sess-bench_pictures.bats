#!/usr/bin/env bats
# sess-bench --hgrm DIR and --svg FILE: the run's latency histograms as
# HdrHistogram percentile distributions and as a plot (with --compare, the
# baseline beside); paths that cannot be written. The plot's determinism
# and escaping at the byte level: tests/unit/test_hist.c.
bats_require_minimum_version 1.5.0

setup_file() { load helpers/redis; common_setup_file; }
teardown_file() { load helpers/redis; common_teardown_file; }
setup() {
	load helpers/redis
	common_setup
	command -v xmllint >/dev/null || skip "xmllint is not installed (Debian libxml2-utils; tools/check installs it)"
	command -v rsvg-convert >/dev/null || skip "rsvg-convert is not installed (Debian librsvg2-bin; tools/check installs it)"
	T=$BATS_TEST_TMPDIR
}

bench() { sk sess-bench "$@"; }

# svg_texts FILE: the text of each <text> element, a line each
svg_texts() {
	python3 -c 'import sys, xml.etree.ElementTree as E
for t in E.parse(sys.argv[1]).iter("{http://www.w3.org/2000/svg}text"): print(t.text)' "$1"
}

# the summary line of $output
summary() { echo "$output" | grep '^{' | jq -c 'select(.type == "summary")'; }

# check_hgrm FILE COUNT: FILE is an HdrHistogram percentile distribution
# (hdr_percentiles_print's classic format) of COUNT values; says why not
check_hgrm() {
	python3 - "$1" "$2" <<'EOF'
import re, sys
path, want = sys.argv[1], int(sys.argv[2])
lines = open(path).read().split("\n")
def bad(why):
    sys.exit("%s: %s" % (path, why))
if lines[0] != "%12s %12s %12s %12s" % ("Value", "Percentile", "TotalCount", "1/(1-Percentile)"):
    bad("header %r" % lines[0])
if lines[1] != "":
    bad("no blank line after the header")
rows = [l for l in lines[2:] if l and not l.startswith("#")]
foot = [l for l in lines[2:] if l.startswith("#")]
if lines[-1] != "" or lines[2 + len(rows):-1] != foot:
    bad("rows, then the footer, then nothing")
prev = None
for r in rows:
    f = r.split()
    if len(f) != 4 or len(r) != 51:
        bad("row %r: not 4 columns 12 wide" % r)
    v, p, c = float(f[0]), float(f[1]), int(f[2])
    if not re.fullmatch(r"\d+\.\d{3}", f[0]) or not re.fullmatch(r"[01]\.\d{6}", f[1]):
        bad("row %r: value or percentile format" % r)
    if f[3] != "inf" and abs(float(f[3]) - 1 / (1 - p)) > 0.01 * max(1, float(f[3])):
        bad("row %r: 1/(1-Percentile) does not match" % r)
    if prev and (v < prev[0] or p < prev[1] or c < prev[2]):
        bad("row %r goes down after %r" % (r, prev))
    prev = (v, p, c)
if len(rows) < 3 or rows[0].split()[1] != "0.000000":
    bad("the rows do not start at percentile 0")
last = rows[-1].split()
if last[1] != "1.000000" or last[3] != "inf" or int(last[2]) != want:
    bad("last row %r: want percentile 1, inf, count %d" % (rows[-1], want))
m = [re.fullmatch(r"#\[Mean    = +[\d.]+, StdDeviation   = +[\d.]+\]", foot[0]),
     re.fullmatch(r"#\[Max     = +([\d.]+), Total count    = +(\d+)\]", foot[1]),
     re.fullmatch(r"#\[Buckets = +\d+, SubBuckets     = +\d+\]", foot[2])] if len(foot) == 3 else [None]
if not all(m):
    bad("footer %r" % foot)
if int(m[1].group(2)) != want or m[1].group(1) != last[0]:
    bad("footer count %s / max %s, want %d / %s" % (m[1].group(2), m[1].group(1), want, last[0]))
EOF
}

# png_check PNG W H: PNG is W x H and not blank: more than 2% of its pixels
# differ from the corner's, some of them coloured (the lines); says why not
png_check() {
	python3 - "$@" <<'EOF'
import struct, sys, zlib
path, W, H = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
d = open(path, "rb").read()
if d[:8] != b"\x89PNG\r\n\x1a\n":
    sys.exit("not a PNG")
pos, idat, hdr = 8, b"", None
while pos < len(d):
    n, t = struct.unpack(">I4s", d[pos:pos + 8])
    if t == b"IHDR":
        hdr = struct.unpack(">IIBBBBB", d[pos + 8:pos + 21])
    elif t == b"IDAT":
        idat += d[pos + 8:pos + 8 + n]
    pos += 12 + n
w, h, depth, ctype = hdr[:4]
if (w, h) != (W, H):
    sys.exit("size %dx%d, want %dx%d" % (w, h, W, H))
if depth != 8 or ctype not in (2, 6):
    sys.exit("unexpected PNG type %d/%d" % (depth, ctype))
bpp = 3 if ctype == 2 else 4
raw, stride, rows, prev = zlib.decompress(idat), w * bpp, [], bytearray(w * bpp)
for y in range(h):
    ft, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b, c = prev[i], prev[i - bpp] if i >= bpp else 0
        if ft == 1: line[i] = (line[i] + a) & 255
        elif ft == 2: line[i] = (line[i] + b) & 255
        elif ft == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif ft == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    rows.append(line)
    prev = line
bg = tuple(rows[0][:3])
px = [tuple(r[x * bpp:x * bpp + 3]) for r in rows for x in range(w)]
other = sum(1 for p in px if p != bg)
colour = sum(1 for p in px if max(p) - min(p) > 60)
if other < 0.02 * w * h or colour < 200:
    sys.exit("blank: %d pixels differ from the background, %d coloured" % (other, colour))
EOF
}

@test "--hgrm DIR: DIR/OP.hgrm per operation, HdrHistogram's format, counts the run's" {
	mkdir "$T/h"
	run -0 bench mixed --clients 4 --requests 600 --sessions 5 --think 0 --interval 0 --hgrm "$T/h"
	sum=$(summary)
	ops=$(jq -r '.ops | keys[]' <<<"$sum" | sort | tr '\n' ' ')
	assert_equal "$ops" "checkpoint emit get "
	assert_equal "$(cd "$T/h" && ls -A | tr '\n' ' ')" "checkpoint.hgrm emit.hgrm get.hgrm "
	total=0
	touch "$T/t"
	for op in $ops; do
		assert_equal "$(stat -c %a "$T/h/$op.hgrm")" "$(stat -c %a "$T/t")"
		n=$(jq -r ".ops.$op.count - .ops.$op.errors" <<<"$sum")
		check_hgrm "$T/h/$op.hgrm" "$n" || fail "$op.hgrm"
		total=$((total + n))
	done
	assert_equal "$total" "$(jq -r .total.count <<<"$sum")"
	# the distribution's median is the summary's p50 (one histogram)
	p50=$(awk '$2 == "0.500000" { print $1 + 0 }' "$T/h/emit.hgrm")
	assert_equal "$p50" "$(jq -r '.ops.emit.latencyMs.p50' <<<"$sum")"
}

@test "--svg FILE: well-formed, renders to an 800x480 PNG that is not blank" {
	run -0 bench emit --clients 4 --requests 500 --interval 0 --svg "$T/p.svg"
	run -0 xmllint --noout "$T/p.svg"
	# the mode a new file gets (umask), not the temporary file's 0600
	touch "$T/t"
	assert_equal "$(stat -c %a "$T/p.svg")" "$(stat -c %a "$T/t")"
	run -0 rsvg-convert -o "$T/p.png" "$T/p.svg"
	png_check "$T/p.png" 800 480 || fail "the plot renders blank"
	# one line, the run's operation, labelled; axes from 0% to 99%+
	run -0 xmllint --xpath 'count(//*[local-name()="polyline"])' "$T/p.svg"
	assert_output 1
	run -0 xmllint --xpath 'string(//*[local-name()="title"])' "$T/p.svg"
	assert_output "sess-bench emit: latency by percentile"
	run -0 svg_texts "$T/p.svg"
	assert_line "0%"
	assert_line "99%"
	assert_line "latency (ms)"
	assert_line "emit"
}

@test "--svg with --compare: the baseline dashed beside the run, in the legend; names escaped" {
	base="$T/b&<\"x\">.json"
	run -0 bench mixed --clients 4 --requests 600 --sessions 5 --think 0 --interval 0
	echo "$output" >"$base"
	run -0 bench mixed --clients 4 --requests 600 --sessions 5 --think 0 --interval 0 \
		--compare "$base" --max-regression 100000 --svg "$T/c.svg"
	run -0 xmllint --noout "$T/c.svg"
	run -0 xmllint --xpath 'count(//*[local-name()="polyline"][@stroke-dasharray])' "$T/c.svg"
	assert_output 3
	run -0 xmllint --xpath 'count(//*[local-name()="polyline"][not(@stroke-dasharray)])' "$T/c.svg"
	assert_output 3
	run -0 svg_texts "$T/c.svg"
	assert_line "emit (this run)"
	assert_line "emit (baseline b&<\"x\">.json)"
	assert_line "checkpoint (baseline b&<\"x\">.json)"
	run -0 rsvg-convert -o "$T/c.png" "$T/c.svg"
	png_check "$T/c.png" 800 480 || fail "the plot renders blank"
}

@test "a path that cannot be written: one line, exit 66, before the run (no key written)" {
	: >"$T/afile"
	for args in "--hgrm $T/missing" "--hgrm $T/afile" "--svg $T/missing/p.svg" "--svg $T/afile/p.svg"; do
		# shellcheck disable=SC2086
		run -66 --separate-stderr bench emit --requests 50 --interval 0 $args
		[ "${#stderr_lines[@]}" -eq 1 ] || fail "$args: not one line: $stderr"
		[[ $stderr == *"${args#* }"* ]] || fail "$args: the path is not named: $stderr"
		assert_equal "$output" ""
		assert_equal "$(rcli DBSIZE)" 0
	done
	run -64 --separate-stderr bench emit --requests 50 --interval 0 --svg "$T"
	[[ $stderr == *"is a directory"* ]] || fail "$stderr"
	# a directory it may not write in (as root, run as nobody: root writes anywhere)
	ro=$(mktemp -d /tmp/sk-pictures.XXXXXX)
	chmod 755 "$ro"
	mkdir "$ro/ro"
	chmod 555 "$ro/ro"
	if [ "$(id -u)" = 0 ]; then
		command -v setpriv >/dev/null || { rm -rf "$ro"; skip "as root without setpriv"; }
		run -66 --separate-stderr setpriv --reuid=65534 --regid=65534 --clear-groups \
			env REDIS_URL="redis://127.0.0.1:$REDIS_PORT_T" HOME=/nonexistent \
			"$SESSKIT_BUILDDIR/sess-bench" emit --requests 50 --interval 0 --svg "$ro/ro/p.svg"
	else
		run -66 --separate-stderr bench emit --requests 50 --interval 0 --svg "$ro/ro/p.svg"
	fi
	left=$(ls -A "$ro/ro")
	rm -rf "$ro"
	[[ $stderr == *"cannot write in $ro/ro: Permission denied"* ]] || fail "$stderr"
	assert_equal "$left" ""
}

@test "the directory gone by the end of the run: the lines are out, exit 66, no file half-written" {
	mkdir "$T/h" "$T/s"
	sk_bg "$T/out" "$T/err" sess-bench emit --clients 2 --duration 2 --interval 0 --hgrm "$T/h" --svg "$T/s/p.svg"
	pid=$!
	for _ in $(seq 100); do grep -q '"type":"run"' "$T/out" && break; sleep 0.1; done
	mv "$T/s" "$T/s2"
	rc=0
	wait "$pid" || rc=$?
	assert_equal "$rc" 66
	grep -q '"type":"summary"' "$T/out" || fail "no summary: $(cat "$T/out" "$T/err")"
	assert_equal "$(wc -l <"$T/err")" 1
	grep -q "writing $T/s/p.svg failed" "$T/err" || fail "$(cat "$T/err")"
	# every file or none: the .hgrm files were not left either, nor any temporary file
	assert_equal "$(find "$T/h" "$T/s2" -mindepth 1)" ""
}

@test "help, man page and completion name --hgrm and --svg" {
	run -0 bench emit --help
	assert_output --partial "--hgrm DIR"
	assert_output --partial "--svg FILE"
	grep -qF -- '\-\-hgrm' "$SESSKIT_SRCDIR/man/sess-bench.1" || fail "man page: no --hgrm"
	grep -qF -- '\-\-svg' "$SESSKIT_SRCDIR/man/sess-bench.1" || fail "man page: no --svg"
	run -0 bench __complete emit --sv
	[ "$(cut -f1 <<<"$output")" = "--svg" ] || fail "$output"
	run -0 bench __complete emit --svg ""
	assert_output ":file"
}
