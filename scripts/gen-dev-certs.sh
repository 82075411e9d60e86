#!/usr/bin/env bash
# Generates a development cluster CA and node certificates for dmlp's node-to-node TLS with the
# openssl CLI. NOT for production (keys unencrypted, long validity).
#   scripts/gen-dev-certs.sh [OUT_DIR] [NODE_NAME ...]     (default: certs head worker)
# Writes OUT_DIR/ca.pem, OUT_DIR/ca.key and, per node, OUT_DIR/<node>.pem + <node>.key
# (EC P-256, signed by the CA, CN and subjectAltName = the node name).
set -euo pipefail
out=${1:-certs}
shift || true
nodes=("$@")
[[ ${#nodes[@]} -eq 0 ]] && nodes=(head worker)
mkdir -p "$out"
if [[ ! -f "$out/ca.pem" ]]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
    -subj "/CN=dmlp dev cluster CA" -keyout "$out/ca.key" -out "$out/ca.pem" 2>/dev/null
fi
for node in "${nodes[@]}"; do
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$node" \
    -keyout "$out/$node.key" -out "$out/$node.csr" 2>/dev/null
  printf 'subjectAltName=DNS:%s,DNS:localhost,IP:127.0.0.1\n' "$node" > "$out/$node.ext"
  openssl x509 -req -in "$out/$node.csr" -CA "$out/ca.pem" -CAkey "$out/ca.key" \
    -CAcreateserial -days 825 -extfile "$out/$node.ext" -out "$out/$node.pem" 2>/dev/null
  rm -f "$out/$node.csr" "$out/$node.ext"
  chmod 600 "$out/$node.key"
done
chmod 600 "$out/ca.key"
echo "CA and certificates for ${nodes[*]} in $out"
