#!/usr/bin/env bats
# The Debian package (issue 20): `make deb` builds sesskit_VERSION-1_ARCH.deb
# from the build dir; its control fields, its files where Debian expects
# them, its binaries run from the unpacked tree (dpkg-deb -x) against the
# private redis-server, and lintian (when installed) finds no error or
# warning. Writes only into the build dir (the .deb, removed at the end)
# and the file's tmp dir: it runs under make distcheck too.
bats_require_minimum_version 1.5.0

BINS="sessctl sess-replay sess-migrate sess-validate sess-health sess-bench"

setup_file() {
	load helpers/redis
	common_setup_file
	command -v dpkg-deb >/dev/null || skip "dpkg-deb is not installed"
	local version arch
	version=$(sed -n 's/^VERSION = //p' "$SESSKIT_BUILDDIR/Makefile")
	arch=$(dpkg --print-architecture)
	export DEB="$SESSKIT_BUILDDIR/sesskit_${version}-1_${arch}.deb" DEB_VERSION="$version-1" DEB_ARCH=$arch
	rm -f "$DEB"
	# the make running this test must not lend its jobserver to this one
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL "${MAKE:-make}" -s -C "$SESSKIT_BUILDDIR" deb >"$BATS_FILE_TMPDIR/make-deb.out" 2>&1 ||
		{ cat "$BATS_FILE_TMPDIR/make-deb.out" >&2; return 1; }
	export ROOT="$BATS_FILE_TMPDIR/root"
	dpkg-deb -x "$DEB" "$ROOT"
}

teardown_file() {
	load helpers/redis
	common_teardown_file
	[ -z "${DEB:-}" ] || rm -f "$DEB"
}

setup() {
	load helpers/redis
	common_setup
	[ -n "${ROOT:-}" ] || skip "dpkg-deb is not installed"
}

# pk BINARY ARGS...: the packaged binary against the private server (as sk)
pk() {
	local b=$1
	shift
	REDIS_URL="redis://127.0.0.1:$REDIS_PORT_T" HOME="$BATS_FILE_TMPDIR" \
		XDG_CONFIG_HOME= SESSKIT_CONFIG= "$ROOT/usr/bin/$b" "$@"
}

@test "make deb: the control fields name the package, version, architecture and the libraries linked" {
	[ -f "$DEB" ] || fail "make deb wrote no $DEB"
	run -0 dpkg-deb -f "$DEB" Package Version Architecture Section Priority Maintainer
	assert_line "Package: sesskit"
	assert_line "Version: $DEB_VERSION"
	assert_line "Architecture: $DEB_ARCH"
	assert_line "Section: database"
	assert_line "Priority: optional"
	assert_line --regexp '^Maintainer: .+ <.+@.+>$'
	run -0 dpkg-deb -f "$DEB" Depends
	local so p
	# every soname a binary needs is in Depends as its package
	for so in $(for b in $BINS; do objdump -p "$ROOT/usr/bin/$b" | awk '$1 == "NEEDED" {print $2}'; done | sort -u); do
		case $so in
		libc.so.6 | libm.so.6) p=libc6 ;;
		libssl.so.3 | libcrypto.so.3) p=libssl3 ;;
		libhiredis.so.0.14) p=libhiredis0.14 ;;
		libcjson.so.1) p=libcjson1 ;;
		libedit.so.2) p=libedit2 ;;
		libmicrohttpd.so.12) p=libmicrohttpd12 ;;
		libzstd.so.1) p=libzstd1 ;;
		*) continue ;;
		esac
		[[ ", $output," =~ [\ ,]$p[\ ,] ]] || fail "$so is linked but $p is not in Depends: $output"
	done
	run -0 dpkg-deb -I "$DEB"
	assert_output --partial "Installed-Size:"
	assert_output --partial " md5sums"
}

@test "make deb: binaries stripped in /usr/bin, man pages gzipped, completions in Debian's places, copyright and changelog" {
	local b f
	for b in $BINS; do
		f=$ROOT/usr/bin/$b
		[ -x "$f" ] || fail "no executable /usr/bin/$b in the package"
		run -0 objdump -h "$f"
		refute_output --partial ".debug_info"
		refute_output --partial ".symtab"
		[ -f "$ROOT/usr/share/man/man1/$b.1.gz" ] || fail "no /usr/share/man/man1/$b.1.gz"
		[ -f "$ROOT/usr/share/bash-completion/completions/$b" ] || fail "no bash completion for $b"
		[ -f "$ROOT/usr/share/zsh/vendor-completions/_$b" ] || fail "no zsh completion for $b"
		[ -f "$ROOT/usr/share/fish/vendor_completions.d/$b.fish" ] || fail "no fish completion for $b"
	done
	for f in man7/sesskit-layout.7.gz man7/sesskit-acl.7.gz; do
		[ -f "$ROOT/usr/share/man/$f" ] || fail "no /usr/share/man/$f"
	done
	run -0 find "$ROOT/usr/share/man" -type f ! -name '*.gz'
	assert_output ""
	run -0 gzip -t "$ROOT"/usr/share/man/man*/*.gz
	run -0 zcat "$ROOT/usr/share/man/man1/sessctl.1.gz"
	assert_line --regexp '^\.TH SESSCTL 1'
	[ -f "$ROOT/usr/share/doc/sesskit/copyright" ] || fail "no copyright file"
	run -0 zcat "$ROOT/usr/share/doc/sesskit/changelog.Debian.gz"
	assert_line --index 0 --regexp "^sesskit \\($DEB_VERSION\\) "
	# nothing outside /usr (no /usr/local, no build paths)
	run -0 find "$ROOT" -mindepth 1 -maxdepth 1
	assert_output "$ROOT/usr"
	run -0 find "$ROOT/usr" -mindepth 1 -maxdepth 1
	assert_output --regexp "^($ROOT/usr/(bin|share)"$'\n'"?){2}$"
}

@test "make deb: each packaged binary runs: --version, --help and a real command against redis-server" {
	local b
	for b in $BINS; do
		run -0 pk "$b" --version
		assert_output "$b (sesskit) ${DEB_VERSION%-1}"
		run -0 pk "$b" --help
		assert_line --index 0 --regexp "^usage: $b "
	done
	run -0 pk sessctl create --agent a1 --id deb1
	run -0 pk sessctl get deb1
	[ "$(json_field id <<<"$output")" = deb1 ] || fail "sessctl get deb1: $output"
	run -0 pk sess-replay verify deb1
	run -0 pk sess-validate sessions --strict deb1
	run -0 pk sess-migrate export --all
	[ "$(head -n 1 <<<"$output" | json_field id)" = deb1 ] || fail "sess-migrate export: $output"
	run -0 pk sess-health
	# the monitoring plugin's name: a link to sess-health, nagios by default
	assert_equal "$(readlink "$ROOT/usr/bin/check_sesskit")" sess-health
	assert_equal "$(readlink "$ROOT/usr/share/man/man1/check_sesskit.1.gz")" sess-health.1.gz
	assert_equal "$(readlink "$ROOT/usr/share/bash-completion/completions/check_sesskit")" sess-health
	assert_equal "$(readlink "$ROOT/usr/share/fish/vendor_completions.d/check_sesskit.fish")" sess-health.fish
	run -0 pk check_sesskit
	assert_output --regexp '^SESS-HEALTH OK - '
	run -0 pk sess-bench emit -n 20 -c 1 -S 2 -i 0 --think 0
	assert_output --partial '"type":"summary"'
}

@test "make deb: lintian finds no error or warning" {
	command -v lintian >/dev/null || skip "lintian is not installed (apt-get install lintian)"
	# (as root it says so on stderr: not a tag)
	run --separate-stderr lintian --tag-display-limit 0 --fail-on error,warning "$DEB"
	assert_success
	refute_output --regexp '^[EW]: '
}
