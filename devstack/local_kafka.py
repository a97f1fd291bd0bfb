"""The project's own Apache Kafka: jars from Maven Central, KRaft combined mode, loopback.

`omega kafka start|stop|status` and the pytest session fixture both drive `LocalKafka`.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import signal
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devstack import processes
from devstack.processes import (
    JavaMissing,
    MavenFailed,
    free_port,
    java,
    maven_once,
    pid_alive,
    port_open,
    reap,
    signal_group,
)
from omega.kafka.acls import CREDENTIALS_FILE, ROLES

log = logging.getLogger(__name__)


class LocalKafkaError(RuntimeError):
    """The local broker could not be set up, started or stopped; the message says why."""


@dataclass(frozen=True)
class BrokerState:
    """What a running local broker left in its state file."""

    pid: int
    bootstrap: str
    data_dir: str


def _java() -> str:
    try:
        return java()
    except JavaMissing as exc:
        raise LocalKafkaError(str(exc)) from exc


class LocalKafka:
    """One single-node KRaft broker with its own data folder and log file."""

    def __init__(self, kafka_home: Path, data_dir: Path, heap: str = "512m",
                 auth: bool = False) -> None:
        self.kafka_home = kafka_home
        self.data_dir = data_dir
        self.heap = heap
        self.auth = auth  # SASL/SCRAM-SHA-512 users per role, ACLs enforced
        self.credentials_file = data_dir / CREDENTIALS_FILE
        self.libs_dir = kafka_home / ".cache" / "kafka-libs"
        self.state_file = data_dir / "broker.json"
        self.log_file = data_dir / "logs" / "server.log"
        self.stdout_file = data_dir / "logs" / "kafka.out"

    # -- jars -------------------------------------------------------------------------
    def ensure_jars(self) -> Path:
        """Resolve the broker's jars from Maven Central once per pom.xml version."""
        pom = self.kafka_home / "pom.xml"
        try:
            maven_once([pom], self.libs_dir, self.libs_dir / ".pom.sha256",
                       ["-f", str(pom), "dependency:copy-dependencies",
                        f"-DoutputDirectory={self.libs_dir}", "-DincludeScope=runtime"],
                       "resolving Kafka jars")
        except MavenFailed as exc:
            raise LocalKafkaError(str(exc)) from exc
        return self.libs_dir

    # -- lifecycle --------------------------------------------------------------------
    def status(self) -> BrokerState | None:
        """The running broker, or None (a stale state file is removed)."""
        if not self.state_file.exists():
            return None
        state = BrokerState(**json.loads(self.state_file.read_text()))
        if pid_alive(state.pid):
            return state
        self.state_file.unlink(missing_ok=True)
        return None

    def start(self, timeout_s: float = 60.0, die_with_parent: bool = False) -> BrokerState:
        """Start the broker (or return the one running) and wait until it serves requests."""
        running = self.status()
        if running is not None:
            return running
        libs = self.ensure_jars()
        formatted = (self.data_dir / "kraft-log" / "meta.properties").exists()
        if self.auth and formatted and not self.credentials_file.exists():
            raise LocalKafkaError(
                f"the broker's data in {self.data_dir} was made without authentication, so "
                "it has no users for the roles: remove that folder to start afresh (local "
                "topics are lost), or run it as before with OMEGA_KAFKA_AUTH=false")
        broker_port, controller_port = self._ports()
        config = self._write_config(broker_port, controller_port)
        classpath = f"{libs}/*"
        self._format(classpath, config)
        self.stdout_file.touch()
        processes.make_private(self.data_dir)  # raw topics: this user's only (docs/security.md)
        java = _java()
        cmd = [java, f"-Xmx{self.heap}", f"-Xms{self.heap}", "-XX:+UseG1GC",
               "-Djava.awt.headless=true",
               f"-Dlog4j.configuration=file:{self.kafka_home / 'log4j.properties'}",
               f"-Dkafka.logs.dir={self.log_file.parent}",
               "-cp", classpath, "kafka.Kafka", str(config)]
        with open(self.stdout_file, "ab") as out:
            proc = subprocess.Popen(
                cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=(processes.private_child_dying_with_parent if die_with_parent
                            else processes.private_child),
            )
        state = BrokerState(pid=proc.pid, bootstrap=f"127.0.0.1:{broker_port}",
                            data_dir=str(self.data_dir))
        self.state_file.write_text(json.dumps(state.__dict__))
        self.state_file.chmod(0o600)
        self._wait_ready(proc, broker_port, timeout_s)
        log.info("local Kafka up at %s (pid %d)", state.bootstrap, proc.pid)
        return state

    def stop(self, timeout_s: float = 30.0) -> bool:
        """Stop the broker cleanly (SIGTERM), SIGKILL after `timeout_s`; False if none ran."""
        state = self.status()
        if state is None:
            return False
        signal_group(state.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        while pid_alive(state.pid) and time.monotonic() < deadline:
            reap(state.pid)
            time.sleep(0.2)
        if pid_alive(state.pid):
            log.warning("broker pid %d did not stop in %.0f s; killing it", state.pid, timeout_s)
            signal_group(state.pid, signal.SIGKILL)
            time.sleep(0.5)
            reap(state.pid)
        self.state_file.unlink(missing_ok=True)
        return True

    # -- helpers ----------------------------------------------------------------------
    def _ports(self) -> tuple[int, int]:
        """The ports this data folder's broker used before, when they are still free (a
        restarted broker keeps its address, so clients reconnect); else new free ones."""
        ports_file = self.data_dir / "ports.json"
        if ports_file.exists():
            broker, controller = json.loads(ports_file.read_text())
            if not port_open("127.0.0.1", broker) and not port_open("127.0.0.1", controller):
                return broker, controller
        broker, controller = free_port(), free_port()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        ports_file.write_text(json.dumps([broker, controller]))
        return broker, controller

    def credentials(self) -> dict[str, str]:
        """Each role's password (docs/security.md), made on first start: a file in the data
        folder, mode 0600, read by the components of this host."""
        if self.credentials_file.exists():
            stored: dict[str, str] = json.loads(self.credentials_file.read_text())
            return stored
        made = {role: secrets.token_urlsafe(24) for role in ROLES}
        self._store_credentials(made)
        return made

    def _store_credentials(self, credentials: dict[str, str]) -> None:
        """Written whole and mode 0600 from the start, then moved into place."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        replacement = self.credentials_file.with_suffix(".new")
        fd = os.open(replacement, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump(credentials, out)
        replacement.replace(self.credentials_file)

    def rotate(self, role: str, admin: Any) -> str:
        """A new password for `role`: set on the running broker (AlterUserScramCredentials,
        as the admin), then stored. Clients connected with the old one keep their
        connections until they reconnect; restart them with the new one."""
        from confluent_kafka.admin import (  # type: ignore[attr-defined]  # noqa: PLC0415
            ScramCredentialInfo,
            ScramMechanism,
            UserScramCredentialUpsertion,
        )

        stored = self.credentials()
        if role not in stored or role == "admin":
            raise LocalKafkaError(f"cannot rotate {role!r}: roles are "
                                  f"{', '.join(r for r in stored if r != 'admin')} (the "
                                  "admin's password is in the broker's own config)")
        password = secrets.token_urlsafe(24)
        upsert = UserScramCredentialUpsertion(
            role, ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192), password.encode())
        for future in admin.alter_user_scram_credentials([upsert]).values():
            future.result()
        self._store_credentials(stored | {role: password})
        return password

    def _write_config(self, broker_port: int, controller_port: int) -> Path:
        (self.data_dir / "logs").mkdir(parents=True, exist_ok=True)
        template = (self.kafka_home / "server.properties.template").read_text()
        config = self.data_dir / "server.properties"
        text = template.format(broker_port=broker_port, controller_port=controller_port,
                               log_dir=self.data_dir / "kraft-log")
        if self.auth:
            admin = self.credentials()["admin"]
            scram = ("org.apache.kafka.common.security.scram.ScramLoginModule required "
                     f'username="admin" password="{admin}";')
            plain = ("org.apache.kafka.common.security.plain.PlainLoginModule required "
                     f'username="admin" password="{admin}" user_admin="{admin}";')
            # Later keys win in a Java properties file: these replace the plaintext ones.
            # Clients: SCRAM-SHA-512 (users in the metadata log, from `format --add-scram`);
            # the controller listener: PLAIN with the admin's static entry, as SCRAM users
            # do not exist yet when the controller starts.
            text += f"""
# Authentication and ACLs (LocalKafka(auth=True)); plaintext transport on loopback.
listeners=SASL_PLAINTEXT://127.0.0.1:{broker_port},CONTROLLER://127.0.0.1:{controller_port}
advertised.listeners=SASL_PLAINTEXT://127.0.0.1:{broker_port}
listener.security.protocol.map=SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT
inter.broker.listener.name=SASL_PLAINTEXT
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config={scram}
listener.name.controller.sasl.enabled.mechanisms=PLAIN
sasl.mechanism.controller.protocol=PLAIN
listener.name.controller.plain.sasl.jaas.config={plain}
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:admin
allow.everyone.if.no.acl.found=false
"""
        config.write_text(text)
        config.chmod(0o600)  # it holds the admin's password
        return config

    def _format(self, classpath: str, config: Path) -> None:
        if (self.data_dir / "kraft-log" / "meta.properties").exists():
            return
        cmd = [_java(), "-cp", classpath,
               f"-Dlog4j.configuration=file:{self.kafka_home / 'log4j.properties'}",
               f"-Dkafka.logs.dir={self.log_file.parent}",
               "kafka.tools.StorageTool", "format", "--ignore-formatted",
               "-t", str(uuid.uuid4()).replace("-", "")[:22], "-c", str(config)]
        if self.auth:
            for role, password in self.credentials().items():
                cmd += ["--add-scram", f"SCRAM-SHA-512=[name={role},password={password}]"]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False,
                              preexec_fn=processes.private_child)
        if done.returncode != 0:
            raise LocalKafkaError(f"kafka-storage format failed:\n{done.stdout}{done.stderr}")

    def _wait_ready(self, proc: subprocess.Popen[bytes], port: int, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                self.state_file.unlink(missing_ok=True)
                raise LocalKafkaError(
                    f"broker exited with code {proc.returncode}; see {self.stdout_file} "
                    f"and {self.log_file}")
            if port_open("127.0.0.1", port) and self._started_logged():
                return
            time.sleep(0.25)
        self.stop()
        raise LocalKafkaError(f"broker not ready after {timeout_s:.0f} s; see {self.log_file}")

    def _started_logged(self) -> bool:
        try:
            return "Kafka Server started" in self.log_file.read_text(errors="replace")[-20000:]
        except OSError:
            return False
