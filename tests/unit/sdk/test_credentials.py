"""The AES-GCM credentials keyring: sealing, opening, rotation and key specs."""

from __future__ import annotations

import base64
import json

import pytest

from dashin_sdk.credentials import KEY_ENV, CredentialsError, CredentialsKeyring, new_key
from dashin_sdk.errors import ConfigurationError

SECRET = {"api_key": "sk-123", "nested": {"a": [1, 2]}, "unicode": "pässwörd"}


def test_round_trip() -> None:
    keyring = CredentialsKeyring.parse(new_key("k1"))
    envelope = keyring.seal(SECRET)
    assert set(envelope) == {"v", "alg", "kid", "nonce", "ciphertext"}
    assert (envelope["v"], envelope["alg"], envelope["kid"]) == (1, "A256GCM", "k1")
    assert "sk-123" not in json.dumps(envelope)
    assert keyring.open(envelope) == SECRET


def test_each_seal_uses_a_fresh_nonce() -> None:
    keyring = CredentialsKeyring.parse(new_key())
    first, second = keyring.seal(SECRET), keyring.seal(SECRET)
    assert first["nonce"] != second["nonce"]
    assert first["ciphertext"] != second["ciphertext"]


def test_rotation_old_key_still_opens() -> None:
    old = new_key("old")
    sealed_with_old = CredentialsKeyring.parse(old).seal(SECRET)
    rotated = CredentialsKeyring.parse(f"{new_key('new')}, {old}")
    assert rotated.open(sealed_with_old) == SECRET
    resealed = rotated.seal(SECRET)
    assert resealed["kid"] == "new"  # the first key seals
    assert rotated.open(resealed) == SECRET
    with pytest.raises(CredentialsError):
        CredentialsKeyring.parse(old).open(resealed)


def test_unknown_kid() -> None:
    envelope = CredentialsKeyring.parse(new_key("gone")).seal(SECRET)
    with pytest.raises(CredentialsError, match="'gone'"):
        CredentialsKeyring.parse(new_key("k1")).open(envelope)


def test_same_kid_other_key_fails() -> None:
    envelope = CredentialsKeyring.parse(new_key("k1")).seal(SECRET)
    with pytest.raises(CredentialsError):
        CredentialsKeyring.parse(new_key("k1")).open(envelope)


def _flip(encoded: str) -> str:
    raw = bytearray(base64.b64decode(encoded))
    raw[0] ^= 1
    return base64.b64encode(bytes(raw)).decode()


@pytest.mark.parametrize(
    "tamper",
    [
        lambda e: {**e, "ciphertext": _flip(e["ciphertext"])},
        lambda e: {**e, "nonce": _flip(e["nonce"])},
        lambda e: {**e, "ciphertext": e["ciphertext"][:-8]},
        lambda e: {**e, "ciphertext": "not base64!"},
        lambda e: {k: v for k, v in e.items() if k != "nonce"},
    ],
)
def test_tampered_envelopes(tamper: object) -> None:
    keyring = CredentialsKeyring.parse(new_key())
    envelope = keyring.seal(SECRET)
    with pytest.raises(CredentialsError):
        keyring.open(tamper(envelope))  # type: ignore[operator]


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ("", "holds no key"),
        (" , ", "holds no key"),
        ("no-colon", "entry 1 must look like"),
        (":" + base64.b64encode(b"x" * 32).decode(), "entry 1 must look like"),
        ("k1:***", "'k1' is not valid base64"),
        ("k1:" + base64.b64encode(b"short").decode(), "'k1' must be 32 bytes"),
        (f"{new_key('ok')},k2:" + base64.b64encode(b"x" * 16).decode(), "'k2' must be 32 bytes"),
        (f"{new_key('ok')},broken", "entry 2 must look like"),
    ],
)
def test_bad_key_specs(spec: str, problem: str) -> None:
    with pytest.raises(ConfigurationError, match=problem) as caught:
        CredentialsKeyring.parse(spec)
    assert KEY_ENV in str(caught.value)


def test_from_env() -> None:
    key = new_key("env")
    assert CredentialsKeyring.from_env({KEY_ENV: key}).keys[0][0] == "env"
    for environ in ({}, {KEY_ENV: "   "}):
        with pytest.raises(ConfigurationError, match=f"{KEY_ENV} is not set"):
            CredentialsKeyring.from_env(environ)
