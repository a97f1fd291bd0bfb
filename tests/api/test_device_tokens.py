"""Device tokens expire and need `Bearer`; the API refuses the built-in key outside dev mode."""

from __future__ import annotations

import logging
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from api.security import CLOCK_SKEW_S, KeyRing, TokenRefused, bearer
from devstack.stack import sync_keys_allowed
from omega.settings import DEV_SYNC_SECRET, REPO_ROOT, Settings

NOW = 1_780_000_000  # 2026-05-28


def test_a_token_verifies_until_it_expires_and_names_when_it_did() -> None:
    ring = KeyRing("k1:a-secret", ttl_s=3600)
    token = ring.token("tv-1", issued=NOW)
    key_id, issued, expires, mac = token.split(".")
    assert (key_id, int(issued), int(expires), len(mac)) == ("k1", NOW, NOW + 3600, 64)
    ring.verify("tv-1", token, now=NOW + 3599)
    with pytest.raises(TokenRefused, match=r"expired at 2026-05-28T.*Z; fetch a new one"):
        ring.verify("tv-1", token, now=NOW + 3600)


def test_a_token_issued_in_the_future_is_refused_beyond_the_clock_skew() -> None:
    ring = KeyRing("k1:a-secret")
    ring.verify("tv-1", ring.token("tv-1", issued=NOW + CLOCK_SKEW_S), now=NOW)
    with pytest.raises(TokenRefused, match="ahead of this server's clock"):
        ring.verify("tv-1", ring.token("tv-1", issued=NOW + CLOCK_SKEW_S + 1), now=NOW)


@pytest.mark.parametrize(("change", "reason"), [
    (lambda t: t.replace("k1.", "k9.", 1), "key 'k9' is not accepted"),
    (lambda t: t[:-1] + ("0" if t[-1] != "0" else "1"), "not valid for this X-Device-Id"),
    (lambda t: t.replace(f".{NOW + 3600}.", f".{NOW + 7200}."), "not valid for this"),
    (lambda t: t.rpartition(".")[0], "malformed"),
    (lambda t: "k1." + t.rpartition(".")[2], "malformed"),  # the old format, no times
])
def test_a_changed_or_old_format_token_is_refused_saying_why(change: Callable[[str], str],
                                                            reason: str) -> None:
    ring = KeyRing("k1:a-secret", ttl_s=3600)
    token = ring.token("tv-1", issued=NOW)
    with pytest.raises(TokenRefused, match=reason):
        ring.verify("tv-1", change(token), now=NOW + 1)
    with pytest.raises(TokenRefused, match="not valid for this X-Device-Id"):
        ring.verify("tv-2", token, now=NOW + 1)  # another device's


def test_bearer_is_required() -> None:
    assert bearer("Bearer k1.1.2.ab") == "k1.1.2.ab"
    assert bearer("bearer  k1.1.2.ab ") == "k1.1.2.ab"  # the scheme is case-insensitive
    for header, reason in (("k1.1.2.ab", "Bearer prefix is required"),
                           ("Basic dXNlcg==", "Bearer prefix is required"),
                           ("Bearer ", "no device token"),
                           ("", "no device token")):
        with pytest.raises(TokenRefused, match=reason):
            bearer(header)


def test_key_ids_cannot_break_the_token_format() -> None:
    for spec in ("k.1:secret", "k1", ":secret", "k1:"):
        with pytest.raises(ValueError, match="OMEGA_SYNC_KEYS must be"):
            KeyRing(spec)


def api(tmp_path: Path, *argv: str, **env: object) -> subprocess.CompletedProcess[str]:
    """`omega-api ...` on a fresh data folder, without Kafka: what start-up says first."""
    settings = Settings(data_dir=tmp_path, kafka_bootstrap="127.0.0.1:9")
    return subprocess.run([sys.executable, "-m", "api", *argv], cwd=REPO_ROOT,
                          env=settings.subprocess_env(**env), capture_output=True, text=True,
                          timeout=60)


def test_the_api_refuses_to_start_with_the_built_in_key_outside_dev_mode(
        tmp_path: Path) -> None:
    refused = api(tmp_path)
    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines() == [
        "omega-api: OMEGA_SYNC_KEYS holds the built-in development key, whose secret is public "
        "in the source: set OMEGA_SYNC_KEYS=id:secret with a secret of your own "
        "(docs/security.md), or OMEGA_DEV_MODE=true on a development machine"]
    # Also when the built-in key is only one of the keys, as after a rotation away from it.
    assert api(tmp_path, sync_keys=f"mine:s3cret,dev:{DEV_SYNC_SECRET}").returncode == 1
    # Dev mode, or a key of one's own, gets past it (to the Kafka check here: none runs).
    for env in ({"dev_mode": True}, {"sync_keys": "mine:s3cret"}):
        started = api(tmp_path, **env)
        assert "OMEGA_SYNC_KEYS holds" not in started.stderr and "Kafka" in started.stderr


def test_omega_api_token_prints_a_token_the_api_accepts(tmp_path: Path) -> None:
    printed = api(tmp_path, "token", "tv-42")
    assert printed.returncode == 0, printed.stderr
    KeyRing(f"dev:{DEV_SYNC_SECRET}").verify("tv-42", printed.stdout.strip())
    assert "only an API in dev mode" in printed.stderr  # the built-in key, outside dev mode
    issued, expires = (int(t) for t in printed.stdout.split(".")[1:3])
    assert abs(issued - time.time()) < 60 and expires - issued == 30 * 86_400
    mine = api(tmp_path, "token", "tv-42", sync_keys="mine:s3cret", sync_token_ttl_s=600)
    KeyRing("mine:s3cret").verify("tv-42", mine.stdout.strip())
    assert mine.stderr == "" and mine.stdout.count(".") == 3
    assert int(mine.stdout.split(".")[2]) - int(mine.stdout.split(".")[1]) == 600


def test_omega_run_checks_the_key_before_starting_and_warns_once_in_dev_mode(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="devstack.stack")
    assert not sync_keys_allowed(Settings(data_dir=tmp_path, dev_mode=False))
    assert [r.levelname for r in caplog.records] == ["ERROR"]
    assert "OMEGA_DEV_MODE=true" in caplog.records[0].getMessage()
    caplog.clear()
    assert sync_keys_allowed(Settings(data_dir=tmp_path, dev_mode=True))
    assert [(r.levelname, r.getMessage().count("\n")) for r in caplog.records] == [
        ("WARNING", 0)]
    caplog.clear()
    assert sync_keys_allowed(Settings(data_dir=tmp_path, sync_keys="mine:s3cret"))
    assert caplog.records == []


def test_make_run_sets_dev_mode() -> None:
    run_env = (REPO_ROOT / "Makefile").read_text().split("RUN_ENV :=")[1].split("\n\n")[0]
    assert "OMEGA_DEV_MODE=$${OMEGA_DEV_MODE:-true}" in run_env
