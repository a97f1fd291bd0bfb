"""The project's own Schema Registry: Apicurio Registry, built from Maven Central's jars.

Apicurio Registry (Apache-2.0) serves the Confluent Schema Registry API at
`/apis/ccompat/v7`, which is what `OMEGA_SCHEMA_REGISTRY_URL` needs (omega/kafka/registry.py).
`infra/registry/pom.xml` runs the Quarkus build over `io.apicurio:apicurio-registry-app`
once per pom version; the registry keeps its schemas in memory (H2), so each start is
empty. `omega registry` and the suite's fixture drive `LocalRegistry`.
"""

from __future__ import annotations

import logging
import subprocess
import time
from pathlib import Path

import httpx

from devstack.processes import JavaMissing, MavenFailed, free_port, java, maven_once
from omega import processes as omega_processes

log = logging.getLogger(__name__)

CCOMPAT_PATH = "/apis/ccompat/v7"


class LocalRegistryError(RuntimeError):
    """The local registry could not be built or started; the message says why."""


class LocalRegistry:
    """One Apicurio Registry process on a loopback port, its log in `log_file`."""

    def __init__(self, home: Path, log_file: Path, heap: str = "256m") -> None:
        self.home = home
        self.build_dir = home / ".cache" / "target"
        self.log_file = log_file
        self.heap = heap
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = ""

    @property
    def runner(self) -> Path:
        return next(iter(self.build_dir.glob("*-runner.jar")), self.build_dir / "missing.jar")

    def ensure_built(self) -> Path:
        """Run the Quarkus build over the registry's jars once per pom.xml version."""
        pom = self.home / "pom.xml"
        try:
            maven_once([pom, self.home / "src" / "main" / "resources" / "application.properties"],
                       self.build_dir, self.home / ".cache" / ".pom.sha256",
                       ["-f", str(pom), "package"],
                       "building the Schema Registry (Apicurio, Quarkus)",
                       force=not self.runner.exists())
        except MavenFailed as exc:
            raise LocalRegistryError(str(exc)) from exc
        if not self.runner.exists():
            raise LocalRegistryError(f"the registry's build made no runner jar in "
                                     f"{self.build_dir}")
        return self.runner

    def start(self, timeout_s: float = 60.0, port: int = 0,
              die_with_parent: bool = False) -> str:
        """Start it and wait until its Confluent-compatible API answers; its URL (the
        value for OMEGA_SCHEMA_REGISTRY_URL)."""
        runner = self.ensure_built()
        port = port or free_port()
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        try:
            command = java()
        except JavaMissing as exc:
            raise LocalRegistryError(str(exc)) from exc
        with open(self.log_file, "ab") as out:
            self.proc = subprocess.Popen(
                [command, f"-Xmx{self.heap}", f"-Dquarkus.http.port={port}",
                 "-Dquarkus.http.host=127.0.0.1", "-jar", str(runner)],
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                preexec_fn=omega_processes.die_with_parent if die_with_parent else None)
        self.url = f"http://127.0.0.1:{port}{CCOMPAT_PATH}"
        deadline = time.monotonic() + timeout_s
        while not self._answers():
            if self.proc.poll() is not None:
                raise LocalRegistryError(f"the registry exited with code {self.proc.returncode}; "
                                         f"see {self.log_file}")
            if time.monotonic() > deadline:
                self.stop()
                raise LocalRegistryError(f"the registry did not answer in {timeout_s:.0f} s; "
                                         f"see {self.log_file}")
            time.sleep(0.25)
        log.info("Schema Registry (Apicurio) at %s (pid %d)", self.url, self.proc.pid)
        return self.url

    def _answers(self) -> bool:
        try:
            return httpx.get(f"{self.url}/subjects", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self, timeout_s: float = 20.0) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
