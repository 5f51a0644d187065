"""Client settings and ``from_env``."""

from __future__ import annotations

from typing import Any

import pytest

from dashin_sdk import AsyncDashin, ConfigurationError, Dashin
from dashin_sdk.settings import ClientOptions, ConnectionSettings, settings_from_env

URL = "postgresql://u:p@127.0.0.1:1/db"


def test_direct_url_wins() -> None:
    settings, options = settings_from_env(
        {"DASHIN_DATABASE_URL": URL, "SUPABASE_URL": "http://x", "SUPABASE_ANON_KEY": "k"}
    )
    assert settings == ConnectionSettings(database_url=URL)
    assert settings.is_direct
    assert options == ClientOptions()


@pytest.mark.parametrize(
    ("env", "key"),
    [
        ({"SUPABASE_URL": "http://x", "SUPABASE_ANON_KEY": "anon"}, "anon"),
        ({"SUPABASE_URL": "http://x", "SUPABASE_SERVICE_ROLE_KEY": "svc"}, "svc"),
        (
            {
                "SUPABASE_URL": "http://x",
                "SUPABASE_SERVICE_ROLE_KEY": "svc",
                "SUPABASE_ANON_KEY": "a",
            },
            "svc",
        ),
    ],
)
def test_supabase_settings(env: dict[str, str], key: str) -> None:
    settings, _ = settings_from_env(env)
    assert (settings.supabase_url, settings.supabase_key, settings.is_direct) == (
        "http://x",
        key,
        False,
    )


def test_tuning_from_env() -> None:
    _, options = settings_from_env(
        {"DASHIN_DATABASE_URL": URL, "DASHIN_TIMEOUT": "2.5", "DASHIN_MAX_RETRIES": "0"}
    )
    assert (options.timeout, options.max_retries) == (2.5, 0)


@pytest.mark.parametrize(
    ("env", "problem"),
    [
        ({}, "set DASHIN_DATABASE_URL"),
        ({"SUPABASE_URL": "http://x"}, "set DASHIN_DATABASE_URL"),
        ({"DASHIN_DATABASE_URL": URL, "DASHIN_TIMEOUT": "soon"}, "DASHIN_TIMEOUT must be a number"),
        ({"DASHIN_DATABASE_URL": URL, "DASHIN_TIMEOUT": "0"}, "timeout must be positive"),
        ({"DASHIN_DATABASE_URL": URL, "DASHIN_MAX_RETRIES": "-1"}, "max_retries must be >= 0"),
        (
            {"DASHIN_DATABASE_URL": URL, "DASHIN_MAX_RETRIES": "many"},
            "DASHIN_MAX_RETRIES must be a number",
        ),
    ],
)
def test_bad_env(env: dict[str, str], problem: str) -> None:
    with pytest.raises(ConfigurationError, match=problem):
        settings_from_env(env)


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({}, "no backend configured"),
        ({"database_url": URL, "supabase_url": "http://x"}, "not both"),
        ({"supabase_url": "http://x"}, "supabase_key is required"),
    ],
)
def test_connection_settings(kwargs: dict[str, Any], problem: str) -> None:
    with pytest.raises(ConfigurationError, match=problem):
        ConnectionSettings(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"timeout": -1}, "timeout"),
        ({"max_retries": -1}, "max_retries"),
        ({"pool_min_size": 5, "pool_max_size": 2}, "pool sizes"),
    ],
)
def test_bad_options(kwargs: dict[str, Any], problem: str) -> None:
    with pytest.raises(ConfigurationError, match=problem):
        ClientOptions(**kwargs)


@pytest.mark.parametrize("client", [Dashin, AsyncDashin])
def test_from_env_builds_a_client_without_connecting(
    client: type[Dashin] | type[AsyncDashin], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DASHIN_DATABASE_URL", URL)
    monkeypatch.setenv("DASHIN_TIMEOUT", "3")
    dx = client.from_env()
    assert dx.options.timeout == 3
    assert dx.identity.role == "service_role"


def test_from_env_without_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "DASHIN_DATABASE_URL",
        "SUPABASE_URL",
        "SUPABASE_ANON_KEY",
        "SUPABASE_SERVICE_ROLE_KEY",
    ):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigurationError):
        Dashin.from_env()
