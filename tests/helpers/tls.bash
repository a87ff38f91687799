# TLS for a bats suite (after `load helpers/redis`): certificates made
# with openssl at test time, and redis-servers on a TLS port.
#
#   tls_make_certs DIR   in DIR (made): ca.crt/ca.key (the CA),
#                        server.crt/.key (127.0.0.1 and localhost in its
#                        subjectAltName), client.crt/.key (mode 600),
#                        expired.crt/.key (127.0.0.1, valid in 2020 only),
#                        other.crt/.key (for other.example only),
#                        ca2.crt/ca2.key (a second, unrelated CA); sets
#                        and exports TLS_DIR
#   tls_redis_start NAME CERT AUTH   a redis_start_named server (stopped
#                        by common_teardown_file) with --port 0 and a
#                        --tls-port on a reserved port, serving
#                        $TLS_DIR/CERT.crt; AUTH yes: clients need a
#                        certificate of the CA (--tls-auth-clients yes).
#                        Sets NAME_TLS_PORT; NAME_SOCK is plain text
#                        (for redis-cli)
#   tls_url NAME         rediss://127.0.0.1:NAME_TLS_PORT

# _tls_sign NAME CN SAN [CA]: NAME.key and NAME.crt signed by CA (ca).
_tls_sign() {
	local name=$1 cn=$2 san=$3 ca=${4:-ca}
	openssl req -new -newkey rsa:2048 -nodes -keyout "$name.key" -out "$name.csr" \
		-subj "/CN=$cn" 2>/dev/null || return 1
	printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\n' "$san" >"$name.ext"
	openssl x509 -req -in "$name.csr" -CA "$ca.crt" -CAkey "$ca.key" -CAcreateserial \
		-days 2 -extfile "$name.ext" -out "$name.crt" 2>/dev/null || return 1
	chmod 600 "$name.key"
}

tls_make_certs() {
	local dir=${1:?dir}
	command -v openssl >/dev/null || { echo "tls_make_certs: openssl is needed (tools/check installs it)" >&2; return 1; }
	mkdir -p "$dir" && (
		cd "$dir" || exit 1
		for ca in ca ca2; do
			openssl req -x509 -newkey rsa:2048 -nodes -keyout "$ca.key" -out "$ca.crt" \
				-days 2 -subj "/CN=sesskit test $ca" 2>/dev/null || exit 1
		done
		_tls_sign server localhost "DNS:localhost,IP:127.0.0.1" || exit 1
		_tls_sign client client "DNS:client" || exit 1
		_tls_sign other other.example "DNS:other.example" || exit 1
		# an expired certificate: openssl ca takes the dates
		openssl req -new -newkey rsa:2048 -nodes -keyout expired.key -out expired.csr \
			-subj /CN=localhost 2>/dev/null || exit 1
		mkdir -p db && : >db/index && echo 01 >db/serial
		cat >ca.cnf <<-EOF
			[ca]
			default_ca = d
			[d]
			database = db/index
			serial = db/serial
			new_certs_dir = db
			default_md = sha256
			policy = p
			copy_extensions = none
			x509_extensions = x
			[p]
			commonName = supplied
			[x]
			subjectAltName = DNS:localhost,IP:127.0.0.1
		EOF
		openssl ca -batch -config ca.cnf -cert ca.crt -keyfile ca.key -in expired.csr \
			-out expired.crt -startdate 20200101000000Z -enddate 20200102000000Z \
			>/dev/null 2>&1 || exit 1
		chmod 600 expired.key
	) || { echo "tls_make_certs: openssl failed in $dir" >&2; return 1; }
	TLS_DIR=$dir
	export TLS_DIR
}

tls_redis_start() {
	local name=${1:?name} cert=${2:?cert} auth=${3:-no} port dir oldport try started=""
	# a TLS port someone else took meanwhile (an ephemeral port) is given
	# up and another reserved
	for try in 1 2 3 4 5; do
		port=$(port_reserve) || return 1
		if redis_start_named "$name" --port 0 --tls-port "$port" \
			--tls-cert-file "$TLS_DIR/$cert.crt" --tls-key-file "$TLS_DIR/$cert.key" \
			--tls-ca-cert-file "$TLS_DIR/ca.crt" --tls-auth-clients "$auth" 2>"${BATS_FILE_TMPDIR:-/tmp}/tls-start.err"; then
			started=1
			break
		fi
		port_release "$port"
	done
	if [ -z "$started" ]; then
		cat "${BATS_FILE_TMPDIR:-/tmp}/tls-start.err" >&2
		echo "tls_redis_start: redis-server would not start with --tls-port (built without TLS?)" >&2
		return 1
	fi
	# the reserved plain port is unused: the TLS port is released with
	# the server instead
	dir=${name}_DIR
	oldport=$(cat "${!dir}/port")
	echo "$port" >"${!dir}/port"
	port_release "$oldport"
	printf -v "${name}_TLS_PORT" %s "$port"
	export "${name}_TLS_PORT"
	local i
	for i in $(seq 1 100); do
		_port_listened "$port" && return 0
		sleep 0.05
	done
	echo "tls_redis_start: nothing listens on TLS port $port" >&2
	return 1
}

tls_url() {
	local port=${1:?name}_TLS_PORT
	echo "rediss://127.0.0.1:${!port}"
}
