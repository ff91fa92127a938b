from __future__ import annotations

import os

import pytest
from django.db import connection

from config import env


@pytest.mark.django_db
def test_database_follows_database_url() -> None:
    """The PostgreSQL run of the suite really runs on PostgreSQL, the default one on SQLite."""
    url = os.environ.get("DATABASE_URL", "")
    expected = "postgresql" if url.startswith(("postgres://", "postgresql://")) else "sqlite"
    assert connection.vendor == expected


def test_env_bool_rejects_nonsense(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHUZHUAN_X", "maybe")
    with pytest.raises(env.ImproperlyConfiguredEnv, match="SHUZHUAN_X"):
        env.env_bool("SHUZHUAN_X")
    monkeypatch.setenv("SHUZHUAN_X", "yes")
    assert env.env_bool("SHUZHUAN_X") is True


def test_env_int_and_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHUZHUAN_N", "12")
    assert env.env_int("SHUZHUAN_N", 1) == 12
    monkeypatch.setenv("SHUZHUAN_N", "x")
    with pytest.raises(env.ImproperlyConfiguredEnv):
        env.env_int("SHUZHUAN_N", 1)
    monkeypatch.setenv("SHUZHUAN_L", "a, b,,c")
    assert env.env_list("SHUZHUAN_L", []) == ["a", "b", "c"]
