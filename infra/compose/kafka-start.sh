#!/usr/bin/env bash
# The compose stack's broker (apache/kafka image, or any host with Kafka's jars): KRaft,
# clients on SASL_SSL (SCRAM-SHA-512 over TLS, `make certs`), the users of every role made
# in the KRaft bootstrap as the local broker does (devstack/local_kafka.py), ACLs enforced
# by StandardAuthorizer. The ACLs themselves are written by the `topics` job
# (`omega topics create` as the admin).
#
# Environment: SCRAM_ADMIN_PASSWORD and SCRAM_<ROLE>_PASSWORD for each role (WORKER,
# API, EMBEDDER, PRODUCER, ANALYTICS, DEADLETTERS, REGISTRY); KAFKA_ADVERTISED_HOST (kafka),
# KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (9093), KAFKA_TLS_DIR (/etc/kafka/tls, with
# kafka.pem), KAFKA_DATA (/var/lib/kafka/data), KAFKA_LIBS (/opt/kafka/libs).
set -euo pipefail
libs=${KAFKA_LIBS:-/opt/kafka/libs}
data=${KAFKA_DATA:-/var/lib/kafka/data}
host=${KAFKA_ADVERTISED_HOST:-kafka}
port=${KAFKA_PORT:-9092}
controller=${KAFKA_CONTROLLER_PORT:-9093}
tls=${KAFKA_TLS_DIR:-/etc/kafka/tls}
admin=${SCRAM_ADMIN_PASSWORD:?set SCRAM_ADMIN_PASSWORD (docs/security.md)}
[ -r "$tls/kafka.pem" ] || { echo "no $tls/kafka.pem: run \`make certs\` first" >&2; exit 2; }

mkdir -p "$data"
conf="$data/server.properties"
umask 077  # the file holds the admin's password
cat > "$conf" <<PROPS
node.id=1
process.roles=broker,controller
controller.quorum.voters=1@127.0.0.1:$controller
listeners=SASL_SSL://0.0.0.0:$port,CONTROLLER://127.0.0.1:$controller
advertised.listeners=SASL_SSL://$host:$port
listener.security.protocol.map=SASL_SSL:SASL_SSL,CONTROLLER:SASL_PLAINTEXT
inter.broker.listener.name=SASL_SSL
controller.listener.names=CONTROLLER
log.dirs=$data/kraft
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
auto.create.topics.enable=false
ssl.keystore.type=PEM
ssl.keystore.location=$tls/kafka.pem
ssl.endpoint.identification.algorithm=https
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$admin";
listener.name.sasl_ssl.ssl.truststore.type=PEM
listener.name.sasl_ssl.ssl.truststore.location=$tls/ca.pem
listener.name.controller.sasl.enabled.mechanisms=PLAIN
sasl.mechanism.controller.protocol=PLAIN
listener.name.controller.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="$admin" user_admin="$admin";
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:admin
allow.everyone.if.no.acl.found=false
PROPS

if [ ! -f "$data/kraft/meta.properties" ]; then
  users=(--add-scram "SCRAM-SHA-512=[name=admin,password=$admin]")
  for role in worker api embedder producer analytics deadletters registry; do
    var="SCRAM_${role^^}_PASSWORD"
    if [ -n "${!var:-}" ]; then
      users+=(--add-scram "SCRAM-SHA-512=[name=$role,password=${!var}]")
    else
      echo "warning: $var is unset; $role has no user" >&2
    fi
  done
  java -cp "$libs/*" kafka.tools.StorageTool format --ignore-formatted \
    -t "${KAFKA_CLUSTER_ID:-$(java -cp "$libs/*" kafka.tools.StorageTool random-uuid)}" \
    -c "$conf" "${users[@]}"
fi
exec java ${KAFKA_HEAP_OPTS:--Xmx1g -Xms1g} -cp "$libs/*" kafka.Kafka "$conf"
