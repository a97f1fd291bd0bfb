"""Secrets kept in a data folder, and what they key: release noise, sealed dead letters.

Each secret comes from settings when set (several hosts must share it), else from a file
made once in the data folder, mode 0600, shared by the processes of one host. The dead
letters are sealed with AES-256-GCM (the `cryptography` package, pyca: audited OpenSSL
primitives, not hand-written crypto), and units are masked with a keyed BLAKE2b digest
under a key of their own, never one derived from another secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SEALED = b"omega-sealed.v1\x00"  # prefix of a sealed payload: nonce (12) + ciphertext + tag
SEALED_REASON = "(sealed with the payload: omega-deadletters show decrypts it)"


class KeyRefused(ValueError):
    """A key that is malformed, or a sealed payload it cannot open (wrong key, or
    tampered bytes): the message says which and what to do."""


def folder_secret(folder: Path, name: str) -> str:
    """The data folder's secret `name`, made once (mode 0600) and shared by this host's
    processes: the first process to get here wins, the others read its file."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if not path.exists():
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_hex(32))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text().strip()


def release_key(configured: str | None, data_dir: Path) -> bytes:
    """The key of the release noise (OMEGA_RELEASE_KEY, else the data folder's)."""
    secret = configured or folder_secret(data_dir / "streams", "release-key")
    return hashlib.sha256(b"omega.release-noise.v1\x00" + secret.encode()).digest()


def dead_letter_key(configured: str | None, data_dir: Path) -> bytes:
    """The 32-byte dead-letter key (OMEGA_DEAD_LETTER_KEY, 64 hex digits, else the data
    folder's)."""
    secret = configured or folder_secret(data_dir / "streams", "dead-letter-key")
    try:
        key = bytes.fromhex(secret)
    except ValueError:
        key = b""
    if len(key) != 32:
        raise KeyRefused("OMEGA_DEAD_LETTER_KEY must be 64 hex digits (a 32-byte AES-256 "
                         "key), e.g. from `openssl rand -hex 32`")
    return key


def _subkey(key: bytes, purpose: bytes) -> bytes:
    return hmac.new(key, b"omega." + purpose, hashlib.sha256).digest()


def letter_context(topic: str, partition: int, offset: int) -> bytes:
    """What a sealed dead letter is bound to: its source message (a letter copied onto
    another's record fails to open)."""
    return f"{topic}:{partition}:{offset}".encode()


def seal(key: bytes, plaintext: bytes, context: bytes) -> bytes:
    """AES-256-GCM with a random nonce; `context` is authenticated, not encrypted."""
    nonce = os.urandom(12)
    return SEALED + nonce + AESGCM(_subkey(key, b"seal")).encrypt(nonce, plaintext, context)


def is_sealed(blob: bytes) -> bool:
    return blob.startswith(SEALED)


def unseal(key: bytes, blob: bytes, context: bytes) -> bytes:
    body = blob[len(SEALED):]
    try:
        return AESGCM(_subkey(key, b"seal")).decrypt(body[:12], body[12:], context)
    except InvalidTag:
        raise KeyRefused("this dead letter was sealed with another key (or altered): set "
                         "OMEGA_DEAD_LETTER_KEY to the worker's key") from None


def mask(key: bytes, value: str) -> str:
    """A short keyed digest of a unit id: the same device groups together, but its id
    cannot be recovered or guessed without the key."""
    digest = hashlib.blake2b(value.encode(), key=_subkey(key, b"mask")[:32], digest_size=8)
    return "masked:" + digest.hexdigest()


def open_letter(key: bytes | None, letter: dict[str, Any]) -> dict[str, Any]:
    """A DeadLetter record with its sealed payload, key and reason opened (letters written
    before sealing pass through). Without the key (None), the record as it is, sealed."""
    if key is None or not is_sealed(letter["payload"]):
        return letter
    context = letter_context(letter["source_topic"], letter["source_partition"],
                             letter["source_offset"])
    inside = json.loads(unseal(key, letter["payload"], context))
    return {**letter, "payload": base64.b64decode(inside["payload"]),
            "payload_key": None if inside["key"] is None else base64.b64decode(inside["key"]),
            "reason": inside["reason"], "unit": letter["payload_key"]}
