#!/usr/bin/env bash
# Makes the throwaway certificate authority and server certificate the APNs and FCM
# simulators use (test/simulators/certs/). Test-only: trust ca.pem through NODE_EXTRA_CA_CERTS
# in the processes that talk to the simulators, never anywhere else. Valid for 100 years.
set -euo pipefail
dir="$(cd "$(dirname "$0")/.." && pwd)/test/simulators/certs"
mkdir -p "$dir" && cd "$dir"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 36500 \
  -keyout ca-key.pem -out ca.pem -subj "/CN=push-token-registry test CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout server-key.pem -out server.csr \
  -subj "/CN=localhost" 2>/dev/null
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 36500 -out server.pem \
  -extfile <(printf "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth") 2>/dev/null
rm -f server.csr ca.srl
echo "wrote $dir"
