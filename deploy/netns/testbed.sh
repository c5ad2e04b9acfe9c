#!/usr/bin/env bash
# Network-namespace testbed: two namespaces joined by a veth pair, the link shaped with tc,
# the destination node in one namespace and the source node in the other.
#
#   deploy/netns/testbed.sh probe
#   deploy/netns/testbed.sh run  --rate 1gbit --rtt-ms 5 --loss-pct 0.1 -- --ram 1g --workload random ...
#   deploy/netns/testbed.sh up   --name dbmx --rate 100mbit      # leave it up (prints TESTBED_UP ...)
#   deploy/netns/testbed.sh hold --name dbmx --rate 100mbit      # up until Ctrl-C, then down
#   deploy/netns/testbed.sh down --name dbmx
#
# Needs root (CAP_NET_ADMIN for namespaces, veth, tc and nftables). Installs iproute2 (ip, tc) and,
# only when loss is requested on a kernel without netem, nftables, with apt-get (--no-install: never).
#
# Link emulation, per kernel feature (probed on the veth itself, every run):
#   rate         tc tbf (default) or htb on both veth ends      missing: says which qdisc, and in `run`
#                                                               falls back to the source's in-process
#                                                               --max-bandwidth cap (--strict: fail)
#   delay/jitter tc netem on both ends (RTT = 2 x one-way)      missing: a user-space relay in the
#                                                               source namespace (io.dbmmigrate.net.relay)
#   loss         tc netem loss on both ends                     missing: nftables "numgen random" drop
#                                                               on input in both namespaces
# Everything created is removed on exit, on failure and on Ctrl-C (trap), and by `down --name N`.
set -Eeuo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$SCRIPT_DIR/../.." && pwd)"

NAME="dbm$$"
RATE="0"
RTT_MS="0"
JITTER_MS="0"
LOSS_PCT="0"
SHAPER="tbf"
SUBNET=""
# shellcheck source=deploy/lib.sh
. "$REPO_DIR/deploy/lib.sh"
SOURCE_JAR=""   # default: the built jar (dbm_jar), looked up when the testbed runs a migration
DEST_JAR=""
CLASSPATH_ARG=""
SOURCE_MAIN="io.dbmmigrate.source.SourceNodeMain"
DEST_MAIN="io.dbmmigrate.dest.DestNodeMain"
JAVA="${JAVA:-java}"
SOURCE_JVM_OPTS="${SOURCE_JVM_OPTS:-}"
DEST_JVM_OPTS="${DEST_JVM_OPTS:-}"
# The destination refuses a non-loopback address without TLS unless told --plaintext; the testbed's
# veth pair is a private link between two namespaces of this host.
DEST_ARGS="${DEST_ARGS:---plaintext}"
LOG_DIR=""
INSTALL=1
STRICT=0
NO_NETEM=0
SOURCE_ARGS=()

# State for cleanup.
CREATED=0
PIDS=()
RELAY_PORT=""
DEST_PORT=""
FALLBACK_MAX_BANDWIDTH=""
LATENCY_VIA="none"
LOSS_VIA="none"
RATE_VIA="none"

usage() {
  sed -n '2,24p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  cat <<'EOF'

Options:
  --name N           namespace/interface prefix, [a-z0-9], <= 10 chars (default dbm<pid>)
  --rate R           link rate per direction: 0 (unshaped) or N{bit,kbit,mbit,gbit} (e.g. 100mbit)
  --rtt-ms N         round-trip time added to the link (ms, fractions allowed)
  --jitter-ms N      jitter per direction (ms)
  --loss-pct P       packet loss per direction (percent, 0.1 resolution)
  --shaper tbf|htb   qdisc for the rate (default tbf)
  --subnet A.B.C     /24 prefix for the veth addresses (default 10.213.<hash of name>)
  --source-jar F     source node shaded jar (default: the one ./mvnw package builds)
  --dest-jar F       destination node shaded jar
  --classpath CP     run source, destination and relay from this class path instead of the jars
  --source-main C, --dest-main C   main classes with --classpath (tests use fakes)
  --source-jvm-opts S, --dest-jvm-opts S   extra JVM options (also env SOURCE_JVM_OPTS, DEST_JVM_OPTS)
  --dest-args S      extra destination options (default --plaintext; also env DEST_ARGS), e.g. TLS files
  --log-dir D        where dest.log, relay.log and source.log go (default: a temp dir)
  --no-install       never apt-get; fail if a tool is missing
  --strict           fail instead of falling back to --max-bandwidth when a rate qdisc is missing
  --no-netem         do not use netem even if the kernel has it (tests the relay/nftables path)
  -- ARGS            (run) arguments for `SourceNodeMain migrate`, without --target
Output lines for scripts: TESTBED_UP ..., TESTBED_LINK ..., TESTBED_DOWN name=...
EOF
}

log() { echo "testbed: $*" >&2; }
die() { echo "testbed: error: $*" >&2; exit 2; }

# ---------------------------------------------------------------------------------------------
# Argument parsing

[ $# -ge 1 ] || { usage; exit 2; }
CMD="$1"; shift
case "$CMD" in
  probe|up|down|hold|run) ;;
  -h|--help|help) usage; exit 0 ;;
  *) usage; die "unknown command '$CMD'" ;;
esac
while [ $# -gt 0 ]; do
  case "$1" in
    --name) NAME="$2"; shift 2 ;;
    --rate) RATE="$2"; shift 2 ;;
    --rtt-ms) RTT_MS="$2"; shift 2 ;;
    --jitter-ms) JITTER_MS="$2"; shift 2 ;;
    --loss-pct) LOSS_PCT="$2"; shift 2 ;;
    --shaper) SHAPER="$2"; shift 2 ;;
    --subnet) SUBNET="$2"; shift 2 ;;
    --source-jar) SOURCE_JAR="$2"; shift 2 ;;
    --dest-jar) DEST_JAR="$2"; shift 2 ;;
    --classpath) CLASSPATH_ARG="$2"; shift 2 ;;
    --source-main) SOURCE_MAIN="$2"; shift 2 ;;
    --dest-main) DEST_MAIN="$2"; shift 2 ;;
    --source-jvm-opts) SOURCE_JVM_OPTS="$2"; shift 2 ;;
    --dest-jvm-opts) DEST_JVM_OPTS="$2"; shift 2 ;;
    --dest-args) DEST_ARGS="$2"; shift 2 ;;
    --log-dir) LOG_DIR="$2"; shift 2 ;;
    --no-install) INSTALL=0; shift ;;
    --strict) STRICT=1; shift ;;
    --no-netem) NO_NETEM=1; shift ;;
    --) shift; SOURCE_ARGS=("$@"); break ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done

[[ "$NAME" =~ ^[a-z][a-z0-9]{0,9}$ ]] || die "--name must be [a-z][a-z0-9]*, at most 10 characters (interface names are limited to 15)"
[[ "$SHAPER" == tbf || "$SHAPER" == htb ]] || die "--shaper must be tbf or htb"
is_number() { [[ "$1" =~ ^[0-9]+(\.[0-9]+)?$ ]]; }
is_number "$RTT_MS" || die "--rtt-ms must be a number >= 0, not '$RTT_MS'"
is_number "$JITTER_MS" || die "--jitter-ms must be a number >= 0, not '$JITTER_MS'"
is_number "$LOSS_PCT" || die "--loss-pct must be a number >= 0, not '$LOSS_PCT'"
awk -v p="$LOSS_PCT" 'BEGIN { exit !(p <= 100) }' || die "--loss-pct must be <= 100"

# rate_bytes RATE -> bytes per second (tc's decimal units, bits)
rate_bytes() {
  local r="$1"
  [[ "$r" == 0 ]] && { echo 0; return; }
  [[ "$r" =~ ^([0-9]+(\.[0-9]+)?)(bit|kbit|mbit|gbit|tbit)$ ]] || return 1
  local n="${BASH_REMATCH[1]}" u="${BASH_REMATCH[3]}" m
  case "$u" in bit) m=1 ;; kbit) m=1e3 ;; mbit) m=1e6 ;; gbit) m=1e9 ;; tbit) m=1e12 ;; esac
  awk -v n="$n" -v m="$m" 'BEGIN { printf "%.0f\n", n * m / 8 }'
}
RATE_BYTES="$(rate_bytes "$RATE")" || die "--rate must be 0 or N{bit,kbit,mbit,gbit} (tc units, e.g. 100mbit), not '$RATE'"

SRC_NS="$NAME-src"
DST_NS="$NAME-dst"
SRC_IF="${NAME}s"
DST_IF="${NAME}d"
if [ -z "$SUBNET" ]; then
  SUBNET="10.213.$(( $(printf '%s' "$NAME" | cksum | cut -d' ' -f1) % 250 + 1 ))"
fi
SRC_IP="$SUBNET.1"
DST_IP="$SUBNET.2"

# ---------------------------------------------------------------------------------------------
# Prerequisites

require_root() {
  if [ "$(id -u)" -ne 0 ]; then
    die "this needs root: network namespaces, veth pairs, tc and nftables need CAP_NET_ADMIN.
  Run it with sudo, or, without root, run migrations on loopback with the source's in-process
  --max-bandwidth cap (deploy/experiment.sh does that for specs with testbed: local)."
  fi
}

# need_cmd CMD PACKAGE WHY (deploy/lib.sh's dbm_need_tool; --no-install: never apt-get)
need_cmd() {
  if [ "$INSTALL" = 1 ]; then dbm_need_tool "$1" "$2" "$3" || die "'$1' is unavailable"
  else DBM_NO_INSTALL=1 dbm_need_tool "$1" "$2" "$3" || die "'$1' is unavailable (--no-install)"; fi
}

# qdisc_available KIND: tries to attach it to our veth and removes it again.
qdisc_available() {
  local args
  case "$1" in
    netem) args="netem delay 1ms" ;;
    tbf) args="tbf rate 1gbit burst 64kb latency 50ms" ;;
    htb) args="htb default 10" ;;
  esac
  # shellcheck disable=SC2086
  if ip netns exec "$SRC_NS" tc qdisc add dev "$SRC_IF" root handle 1: $args 2>/dev/null; then
    ip netns exec "$SRC_NS" tc qdisc del dev "$SRC_IF" root 2>/dev/null || true
    return 0
  fi
  return 1
}

# ---------------------------------------------------------------------------------------------
# Setup and teardown

kill_pid() {
  local pid="$1" i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}

teardown() {
  local pid ns
  for pid in "${PIDS[@]+"${PIDS[@]}"}"; do kill_pid "$pid"; done
  for ns in "$SRC_NS" "$DST_NS"; do
    if ip netns list 2>/dev/null | grep -qE "^$ns( |\$)"; then
      # Anything still running inside our own namespaces was started by this testbed.
      for pid in $(ip netns pids "$ns" 2>/dev/null); do kill_pid "$pid"; done
      ip netns del "$ns" 2>/dev/null || log "could not delete namespace $ns"
    fi
  done
  # A veth left in the root namespace by an interrupted setup.
  ip link del "$SRC_IF" 2>/dev/null || true
  ip link del "$DST_IF" 2>/dev/null || true
  echo "TESTBED_DOWN name=$NAME"
}

on_exit() {
  local rc=$?
  trap - EXIT INT TERM
  if [ "$CREATED" = 1 ]; then teardown || true; fi
  exit "$rc"
}

setup_namespaces() {
  require_root
  need_cmd ip iproute2 "network namespaces and veth"
  need_cmd tc iproute2 "link shaping"
  if ip netns list 2>/dev/null | grep -qE "^($SRC_NS|$DST_NS)( |\$)"; then
    die "namespace $SRC_NS or $DST_NS exists already (another testbed with --name $NAME? remove it with: $0 down --name $NAME)"
  fi
  CREATED=1
  ip netns add "$SRC_NS" || die "cannot create network namespace $SRC_NS (ip netns add not permitted here?)"
  ip netns add "$DST_NS" || die "cannot create network namespace $DST_NS"
  ip link add "$SRC_IF" type veth peer name "$DST_IF" || die "cannot create veth pair $SRC_IF/$DST_IF"
  ip link set "$SRC_IF" netns "$SRC_NS"
  ip link set "$DST_IF" netns "$DST_NS"
  ip -n "$SRC_NS" addr add "$SRC_IP/24" dev "$SRC_IF"
  ip -n "$DST_NS" addr add "$DST_IP/24" dev "$DST_IF"
  ip -n "$SRC_NS" link set lo up
  ip -n "$DST_NS" link set lo up
  ip -n "$SRC_NS" link set "$SRC_IF" up
  ip -n "$DST_NS" link set "$DST_IF" up
}

# shape_end NS IF NETEM_ARGS: root qdisc chain on one veth end.
shape_end() {
  local ns="$1" dev="$2" netem_args="$3" parent="root" burst
  if [ -n "$netem_args" ]; then
    # shellcheck disable=SC2086
    ip netns exec "$ns" tc qdisc add dev "$dev" root handle 1: netem $netem_args limit 1000000
    parent="parent 1:"
  fi
  [ "$RATE_VIA" = "$SHAPER" ] || return 0
  # Burst: at least 128 KiB (veth passes 64 KiB GSO packets), else 4 ms of traffic.
  burst=$(( RATE_BYTES / 250 > 131072 ? RATE_BYTES / 250 : 131072 ))
  if [ "$SHAPER" = tbf ]; then
    # shellcheck disable=SC2086
    ip netns exec "$ns" tc qdisc add dev "$dev" $parent handle 2: tbf rate "$RATE" burst "$burst" latency 50ms
  else
    # shellcheck disable=SC2086
    ip netns exec "$ns" tc qdisc add dev "$dev" $parent handle 2: htb default 10
    ip netns exec "$ns" tc class add dev "$dev" parent 2: classid 2:10 htb rate "$RATE" ceil "$RATE" burst "$burst"
  fi
}

# nft_loss NS IF: drop LOSS_PCT of the packets arriving on IF.
nft_loss() {
  local ns="$1" dev="$2" permille
  permille=$(awk -v p="$LOSS_PCT" 'BEGIN { printf "%d\n", p * 10 + 0.5 }')
  ip netns exec "$ns" nft add table inet dbmtestbed
  ip netns exec "$ns" nft add chain inet dbmtestbed input '{ type filter hook input priority 0; policy accept; }'
  ip netns exec "$ns" nft add rule inet dbmtestbed input iifname "$dev" numgen random mod 1000 "<" "$permille" drop
}

shape_link() {
  local netem=0 netem_args="" half_ms
  local want_latency want_loss
  want_latency=$(awk -v r="$RTT_MS" -v j="$JITTER_MS" 'BEGIN { print (r > 0 || j > 0) ? 1 : 0 }')
  want_loss=$(awk -v p="$LOSS_PCT" 'BEGIN { print (p > 0) ? 1 : 0 }')
  if [ "$NO_NETEM" = 0 ] && qdisc_available netem; then netem=1; fi

  if [ "$RATE_BYTES" != 0 ]; then
    if qdisc_available "$SHAPER"; then
      RATE_VIA="$SHAPER"
    elif [ "$STRICT" = 1 ]; then
      die "qdisc '$SHAPER' is not available in this kernel (CONFIG_NET_SCH_${SHAPER^^}); drop --strict to use the source's in-process cap --max-bandwidth $RATE_BYTES instead"
    else
      log "qdisc '$SHAPER' is not available in this kernel (CONFIG_NET_SCH_${SHAPER^^}): the link stays unshaped;"
      log "using the source's in-process cap instead: --max-bandwidth $RATE_BYTES (bytes/s)"
      RATE_VIA="max-bandwidth"
      FALLBACK_MAX_BANDWIDTH="$RATE_BYTES"
    fi
  fi

  if [ "$want_latency" = 1 ] || [ "$want_loss" = 1 ]; then
    if [ "$netem" = 1 ]; then
      half_ms=$(awk -v r="$RTT_MS" 'BEGIN { printf "%.3f\n", r / 2 }')
      [ "$want_latency" = 1 ] && netem_args="delay ${half_ms}ms ${JITTER_MS}ms" && LATENCY_VIA="netem"
      [ "$want_loss" = 1 ] && netem_args="$netem_args loss ${LOSS_PCT}%" && LOSS_VIA="netem"
    else
      if [ "$NO_NETEM" = 1 ]; then
        log "netem disabled by --no-netem"
      else
        log "qdisc 'netem' is not available in this kernel (CONFIG_NET_SCH_NETEM):"
      fi
      if [ "$want_latency" = 1 ]; then
        log "  delay/jitter through the user-space relay (io.dbmmigrate.net.relay) in $SRC_NS"
        LATENCY_VIA="relay"
      fi
      if [ "$want_loss" = 1 ]; then
        log "  loss through nftables (numgen random drop) in both namespaces"
        need_cmd nft nftables "packet loss without netem"
        LOSS_VIA="nftables"
      fi
    fi
  fi

  shape_end "$SRC_NS" "$SRC_IF" "$netem_args"
  shape_end "$DST_NS" "$DST_IF" "$netem_args"
  if [ "$LOSS_VIA" = nftables ]; then
    nft_loss "$SRC_NS" "$SRC_IF"
    nft_loss "$DST_NS" "$DST_IF"
  fi
  echo "TESTBED_LINK rate=$RATE rate_via=$RATE_VIA rtt_ms=$RTT_MS jitter_ms=$JITTER_MS latency_via=$LATENCY_VIA loss_pct=$LOSS_PCT loss_via=$LOSS_VIA max_bandwidth=${FALLBACK_MAX_BANDWIDTH:-0}"
}

up() {
  setup_namespaces
  shape_link
  echo "TESTBED_UP name=$NAME src_ns=$SRC_NS dst_ns=$DST_NS src_if=$SRC_IF dst_if=$DST_IF src_ip=$SRC_IP dst_ip=$DST_IP"
}

# ---------------------------------------------------------------------------------------------
# Processes

run_migration() {
  local java_ok pid line target rc
  local dest_cmd source_cmd relay_cmd
  if [ -n "$CLASSPATH_ARG" ]; then
    dest_cmd=(-cp "$CLASSPATH_ARG" "$DEST_MAIN")
    source_cmd=(-cp "$CLASSPATH_ARG" "$SOURCE_MAIN")
    relay_cmd=(-cp "$CLASSPATH_ARG" io.dbmmigrate.net.relay.RelayMain)
  else
    [ -n "$SOURCE_JAR" ] || SOURCE_JAR=$(dbm_jar source-node dbm-migrate-source-node)
    [ -n "$DEST_JAR" ] || DEST_JAR=$(dbm_jar dest-node/app dbm-migrate-dest-node)
    [ -f "$SOURCE_JAR" ] || die "source jar not found: ${SOURCE_JAR:-source-node/target/*-all.jar} (build: ./mvnw -B -q -DskipTests package)"
    [ -f "$DEST_JAR" ] || die "dest jar not found: ${DEST_JAR:-dest-node/app/target/*-all.jar} (build: ./mvnw -B -q -DskipTests package)"
    dest_cmd=(-jar "$DEST_JAR")
    source_cmd=(-jar "$SOURCE_JAR")
    relay_cmd=(-cp "$SOURCE_JAR" io.dbmmigrate.net.relay.RelayMain)
  fi
  java_ok=$(command -v "$JAVA" || true)
  [ -n "$java_ok" ] || die "java not found ($JAVA)"
  [ -n "$LOG_DIR" ] || LOG_DIR="$(mktemp -d /tmp/testbed-$NAME.XXXXXX)"
  mkdir -p "$LOG_DIR"

  up

  # shellcheck disable=SC2086
  ip netns exec "$DST_NS" "$JAVA" $DEST_JVM_OPTS "${dest_cmd[@]}" --port 0 --bind "$DST_IP" $DEST_ARGS \
    >"$LOG_DIR/dest.log" 2>&1 &
  pid=$!; PIDS+=("$pid")
  DEST_PORT=$(dbm_wait_listening "$LOG_DIR/dest.log" "$pid" 60 destination) || exit 1
  target="$DST_IP:$DEST_PORT"

  if [ "$LATENCY_VIA" = relay ]; then
    local half_ms
    half_ms=$(awk -v r="$RTT_MS" 'BEGIN { printf "%.3f\n", r / 2 }')
    # shellcheck disable=SC2086
    ip netns exec "$SRC_NS" "$JAVA" -Xmx1g "${relay_cmd[@]}" \
      --listen 127.0.0.1:0 --target "$target" --delay-ms "$half_ms" --jitter-ms "$JITTER_MS" \
      >"$LOG_DIR/relay.log" 2>&1 &
    pid=$!; PIDS+=("$pid")
    RELAY_PORT=$(dbm_wait_listening "$LOG_DIR/relay.log" "$pid" 60 relay) || exit 1
    target="127.0.0.1:$RELAY_PORT"
  fi

  # The testbed's veth link is a lab network: plaintext, asked for explicitly (the nodes refuse it
  # off loopback otherwise), unless the source arguments bring TLS files.
  local plain=(--plaintext)
  case " ${SOURCE_ARGS[*]-} " in *" --tls-cert "*) plain=() ;; esac
  local extra=()
  [ -n "$FALLBACK_MAX_BANDWIDTH" ] && extra=(--max-bandwidth "$FALLBACK_MAX_BANDWIDTH")
  echo "TESTBED_RUN dest=$DST_IP:$DEST_PORT source_target=$target logs=$LOG_DIR"
  set +e
  # shellcheck disable=SC2086
  ip netns exec "$SRC_NS" "$JAVA" $SOURCE_JVM_OPTS "${source_cmd[@]}" migrate --target "$target" \
    "${extra[@]+"${extra[@]}"}" "${SOURCE_ARGS[@]+"${SOURCE_ARGS[@]}"}" "${plain[@]+"${plain[@]}"}" \
    > >(tee "$LOG_DIR/source.log") 2>&1 &
  pid=$!; PIDS+=("$pid")
  wait "$pid"
  rc=$?
  set -e
  echo "TESTBED_SOURCE_EXIT rc=$rc"
  return "$rc"
}

case "$CMD" in
  probe)
    require_root
    need_cmd ip iproute2 "network namespaces and veth"
    need_cmd tc iproute2 "link shaping"
    trap on_exit EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    setup_namespaces
    for q in tbf htb netem; do
      if qdisc_available "$q"; then echo "PROBE qdisc_$q=yes"; else echo "PROBE qdisc_$q=no"; fi
    done
    if command -v nft >/dev/null 2>&1; then echo "PROBE nft=yes"; else echo "PROBE nft=no (apt-get install nftables on demand)"; fi
    ;;
  up)
    trap 'rc=$?; if [ $rc -ne 0 ] && [ "$CREATED" = 1 ]; then teardown; fi; exit $rc' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    up
    ;;
  down)
    require_root
    teardown
    ;;
  hold)
    trap on_exit EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    up
    echo "TESTBED_HOLD press Ctrl-C to tear down"
    while true; do sleep 1; done
    ;;
  run)
    trap on_exit EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    run_migration
    ;;
esac
