#!/usr/bin/env bash
# A CA, and a certificate it signs for the broker, for the compose stack's TLS listener
# (`make certs`). Clients check the broker against the CA: OMEGA_KAFKA_SSL_CA=<out>/ca.pem.
#
#   infra/tls/make-certs.sh [OUT]       # default infra/tls/out; the CA is kept if present
#   OMEGA_TLS_NAMES=DNS:kafka.example.com,DNS:kafka infra/tls/make-certs.sh
set -euo pipefail
out=${1:-"$(dirname "$0")/out"}
names=${OMEGA_TLS_NAMES:-DNS:kafka,DNS:localhost,IP:127.0.0.1}
days=${OMEGA_TLS_DAYS:-825}
mkdir -p "$out"
umask 077  # private keys are the owner's only
cd "$out"
if [ ! -f ca.pem ]; then
  openssl req -x509 -newkey rsa:3072 -nodes -days "$days" -subj "/CN=Omega CA" \
    -keyout ca-key.pem -out ca.pem 2>/dev/null
fi
openssl req -newkey rsa:2048 -nodes -subj "/CN=kafka" -keyout kafka-key.pem \
  -out kafka.csr 2>/dev/null
printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\n' "$names" > kafka.ext
openssl x509 -req -in kafka.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days "$days" \
  -extfile kafka.ext -out kafka-cert.pem 2>/dev/null
# Kafka's PEM keystore: the certificate, then its unencrypted PKCS#8 key.
cat kafka-cert.pem kafka-key.pem > kafka.pem
rm -f kafka.csr kafka.ext ca.srl
chmod 644 ca.pem kafka-cert.pem
echo "CA: $out/ca.pem (give clients OMEGA_KAFKA_SSL_CA); broker: $out/kafka.pem for $names"
