#!/usr/bin/env bash
# Makes a development CA and node certificates for mutual TLS between the nodes.
#
#   deploy/certs/make-dev-certs.sh [OUT_DIR] [NODE ...]
#
# OUT_DIR defaults to deploy/certs/out (git-ignored); NODEs default to "source-node dest-node".
# Writes, in OUT_DIR:
#   ca.pem, ca-key.pem              the CA (EC P-256, 825 days) — keep ca-key.pem private
#   <node>.pem, <node>-key.pem      per node: certificate + PKCS#8 key (EC P-256, 825 days), valid
#                                   for TLS server *and* client auth, named by
#                                   CN=<node>, URI SAN spiffe://dbm-migrate/<node>,
#                                   DNS SANs <node>, localhost, $EXTRA_DNS; IP SANs 127.0.0.1, ::1, $EXTRA_IPS
# An existing CA in OUT_DIR is reused, so nodes can be added later; existing node files are replaced.
#
# Needs only openssl (1.1.1 or 3.x). If it is missing and we are root on Debian/Ubuntu, installs
# the "openssl" package with apt-get; nothing else is installed.
#
# Use:
#   dest-node   --bind 0.0.0.0 --tls-cert OUT/dest-node.pem --tls-key OUT/dest-node-key.pem \
#               --tls-ca OUT/ca.pem --allowed-source uri:spiffe://dbm-migrate/source-node
#   source-node ... --tls-cert OUT/source-node.pem --tls-key OUT/source-node-key.pem --tls-ca OUT/ca.pem
# Development only: keys are unencrypted files.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/out}"
shift || true
nodes=("$@")
[ ${#nodes[@]} -gt 0 ] || nodes=(source-node dest-node)
days="${DAYS:-825}"

if ! command -v openssl >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "openssl not found: installing the Debian package 'openssl'" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssl >/dev/null
  else
    echo "error: openssl is required (apt-get install openssl)" >&2
    exit 1
  fi
fi

for n in "${nodes[@]}"; do
  if ! [[ "$n" =~ ^[A-Za-z0-9][A-Za-z0-9.-]*$ ]]; then
    echo "error: node name '$n' must be letters, digits, dots and dashes" >&2
    exit 2
  fi
done

mkdir -p "$out"
umask 077
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

if [ ! -f "$out/ca.pem" ] || [ ! -f "$out/ca-key.pem" ]; then
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$out/ca-key.pem"
  cat >"$tmp/ca.cnf" <<CNF
[req]
distinguished_name = dn
prompt = no
x509_extensions = v3_ca
[dn]
O = dbm-migrate dev
CN = dbm-migrate dev CA
[v3_ca]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
CNF
  openssl req -new -x509 -key "$out/ca-key.pem" -sha256 -days "$days" -config "$tmp/ca.cnf" -out "$out/ca.pem"
  echo "created CA $out/ca.pem"
else
  echo "reusing CA $out/ca.pem"
fi

for n in "${nodes[@]}"; do
  sans="URI:spiffe://dbm-migrate/$n, DNS:$n, DNS:localhost, IP:127.0.0.1, IP:::1"
  for d in ${EXTRA_DNS:-}; do sans="$sans, DNS:$d"; done
  for i in ${EXTRA_IPS:-}; do sans="$sans, IP:$i"; done
  cat >"$tmp/$n.cnf" <<CNF
[req]
distinguished_name = dn
prompt = no
[dn]
O = dbm-migrate dev
CN = $n
[v3_node]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth, clientAuth
subjectAltName = $sans
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF
  # genpkey writes PKCS#8 ("BEGIN PRIVATE KEY"), which gRPC's Netty transport loads.
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$out/$n-key.pem"
  openssl req -new -key "$out/$n-key.pem" -config "$tmp/$n.cnf" -out "$tmp/$n.csr"
  openssl x509 -req -in "$tmp/$n.csr" -CA "$out/ca.pem" -CAkey "$out/ca-key.pem" -CAcreateserial \
    -CAserial "$tmp/ca.srl" -days "$days" -sha256 -extfile "$tmp/$n.cnf" -extensions v3_node \
    -out "$out/$n.pem" 2>/dev/null
  openssl verify -CAfile "$out/ca.pem" "$out/$n.pem" >/dev/null
  echo "created $out/$n.pem ($sans)"
done
chmod 644 "$out"/*.pem
chmod 600 "$out"/*-key.pem
