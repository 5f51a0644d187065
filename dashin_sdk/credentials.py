"""Data-source credentials: sealed with AES-256-GCM in this process, stored only as ciphertext.

The key never reaches the database. ``DASHIN_CREDENTIALS_KEY`` holds one or more keys,
comma-separated, each ``<key id>:<base64 of 32 bytes>``; the first encrypts, all decrypt, so a
key can be rotated by putting the new one first and re-saving credentials. The stored envelope
(checked by ``private.is_credential_envelope``) is::

    {"v": 1, "alg": "A256GCM", "kid": "<key id>", "nonce": "<b64>", "ciphertext": "<b64>"}

Generate a key with ``python -c "import dashin_sdk.credentials as c; print(c.new_key())"``.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from dashin_sdk.errors import ConfigurationError, DashinError

KEY_ENV = "DASHIN_CREDENTIALS_KEY"
_ALGORITHM = "A256GCM"
# Binds ciphertexts to their purpose: an envelope cannot be replayed as another kind of secret.
_AAD = b"dashin:data_sources.credentials:v1"


class CredentialsError(DashinError):
    """An envelope could not be opened: wrong or unknown key, or tampered data."""


@dataclass(frozen=True)
class CredentialsKeyring:
    """The keys from ``DASHIN_CREDENTIALS_KEY``; the first one seals new envelopes."""

    keys: tuple[tuple[str, bytes], ...]

    @cached_property
    def _by_kid(self) -> dict[str, bytes]:
        return dict(self.keys)

    @classmethod
    def parse(cls, spec: str) -> CredentialsKeyring:
        keys = []
        for index, item in enumerate(part.strip() for part in spec.split(",")):
            if not item:
                continue
            kid, sep, encoded = item.partition(":")
            if not sep or not kid:
                raise ConfigurationError(
                    f"{KEY_ENV} entry {index + 1} must look like '<key id>:<base64 key>'"
                )
            try:
                raw = base64.b64decode(encoded, validate=True)
            except ValueError:
                raise ConfigurationError(f"{KEY_ENV} key {kid!r} is not valid base64") from None
            if len(raw) != 32:
                raise ConfigurationError(
                    f"{KEY_ENV} key {kid!r} must be 32 bytes (AES-256), got {len(raw)}"
                )
            keys.append((kid, raw))
        if not keys:
            raise ConfigurationError(f"{KEY_ENV} holds no key")
        return cls(tuple(keys))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> CredentialsKeyring:
        spec = (os.environ if environ is None else environ).get(KEY_ENV, "")
        if not spec.strip():
            raise ConfigurationError(
                f"{KEY_ENV} is not set: data-source credentials are encrypted before they leave "
                "this process and need a key (see dashin_sdk.credentials.new_key())"
            )
        return cls.parse(spec)

    def seal(self, credentials: Mapping[str, Any]) -> dict[str, Any]:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        kid, key = self.keys[0]
        nonce = secrets.token_bytes(12)
        plaintext = json.dumps(dict(credentials), separators=(",", ":")).encode("utf-8")
        ciphertext = AESGCM(key).encrypt(nonce, plaintext, _AAD)
        return {
            "v": 1,
            "alg": _ALGORITHM,
            "kid": kid,
            "nonce": base64.b64encode(nonce).decode("ascii"),
            "ciphertext": base64.b64encode(ciphertext).decode("ascii"),
        }

    def open(self, envelope: Mapping[str, Any]) -> dict[str, Any]:
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        kid = envelope.get("kid")
        key = self._by_kid.get(str(kid))
        if key is None:
            raise CredentialsError(f"credentials were sealed with key {kid!r}, which is not loaded")
        try:
            nonce = base64.b64decode(str(envelope["nonce"]))
            ciphertext = base64.b64decode(str(envelope["ciphertext"]))
            plaintext = AESGCM(key).decrypt(nonce, ciphertext, _AAD)
        except (KeyError, ValueError, InvalidTag):
            raise CredentialsError(f"credentials sealed with key {kid!r} failed to open") from None
        opened: dict[str, Any] = json.loads(plaintext)
        return opened


def new_key(kid: str = "k1") -> str:
    """A fresh ``<kid>:<base64 key>`` entry for ``DASHIN_CREDENTIALS_KEY``."""
    return f"{kid}:{base64.b64encode(secrets.token_bytes(32)).decode('ascii')}"
