#!/bin/bash
# Real etcd members for shell tests (sourced): members on 127.0.0.1, free
# ports, data under $WORK, killed by etcd_cleanup (call it from your trap).
# etcd_single NAME          one member; its URL in ETCD_URL[NAME]
# etcd_cluster3 N1 N2 N3    three members of one cluster
# etcd_kill NAME            kill -9 one member
# etcd_ctl NAME ARGS...     etcdctl against that member

declare -A ETCD_PID ETCD_URL ETCD_PEER

etcd_free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# etcd_start NAME INITIAL_CLUSTER: start member NAME (ports already in ETCD_URL/ETCD_PEER)
etcd_start() {
	local name=$1 initial=$2
	mkdir -p "$WORK/etcd-$name"
	etcd --name "$name" --data-dir "$WORK/etcd-$name/data" \
		--listen-client-urls "${ETCD_URL[$name]}" --advertise-client-urls "${ETCD_URL[$name]}" \
		--listen-peer-urls "${ETCD_PEER[$name]}" --initial-advertise-peer-urls "${ETCD_PEER[$name]}" \
		--initial-cluster "$initial" --initial-cluster-token "sg-test-$$" \
		--unsafe-no-fsync --log-level warn >>"$WORK/etcd-$name/log" 2>&1 &
	ETCD_PID[$name]=$!
}

etcd_ports() {
	ETCD_URL[$1]="http://127.0.0.1:$(etcd_free_port)"
	ETCD_PEER[$1]="http://127.0.0.1:$(etcd_free_port)"
}

# etcd_healthy NAME [SECONDS]: wait until the member answers /health true
etcd_healthy() {
	local name=$1 end=$((SECONDS + ${2:-15}))
	while [ $SECONDS -lt $end ]; do
		if curl -s --max-time 1 "${ETCD_URL[$name]}/health" | grep -q '"health":"true"'; then
			return 0
		fi
		sleep 0.1
	done
	echo "FAIL: etcd $name not healthy; log:" >&2
	tail -5 "$WORK/etcd-$name/log" >&2
	return 1
}

etcd_single() {
	etcd_ports "$1"
	etcd_start "$1" "$1=${ETCD_PEER[$1]}"
	etcd_healthy "$1"
}

etcd_cluster3() {
	local n initial=""
	for n in "$@"; do
		etcd_ports "$n"
		initial+="${initial:+,}$n=${ETCD_PEER[$n]}"
	done
	for n in "$@"; do
		etcd_start "$n" "$initial"
	done
	for n in "$@"; do
		etcd_healthy "$n" 30 || return 1
	done
}

etcd_kill() {
	kill -9 "${ETCD_PID[$1]}" 2>/dev/null
	wait "${ETCD_PID[$1]}" 2>/dev/null
	unset "ETCD_PID[$1]"
}

etcd_ctl() {
	local name=$1
	shift
	ETCDCTL_API=3 etcdctl --endpoints "${ETCD_URL[$name]}" --command-timeout=3s "$@"
}

etcd_cleanup() {
	local n
	for n in "${!ETCD_PID[@]}"; do
		kill -9 "${ETCD_PID[$n]}" 2>/dev/null
		wait "${ETCD_PID[$n]}" 2>/dev/null
	done
}
