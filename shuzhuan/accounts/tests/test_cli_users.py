"""`shuzhuan users list | set-password | deactivate | activate | unlock | create --home-region`.

The CLI is the operator's: no acting user, no scope. Every refusal is one line and exit 1.
"""

from __future__ import annotations

import io
import json

import pytest
from django.test import Client

from conftest import County
from shuzhuan.accounts.models import User
from shuzhuan.accounts.selectors import user_is_locked
from shuzhuan.accounts.tests.factories import PASSWORD
from shuzhuan.audit.models import AuditEntry
from shuzhuan.cli import main

STRONG = "Hai-Wei-2025-qiye"


def _one_line_error(capsys: pytest.CaptureFixture[str], *words: str) -> None:
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("错误 error: ")
    assert all(w in lines[0] for w in words), lines[0]
    assert "Traceback" not in captured.err


def _stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(text))


def test_list_json_and_role_filter(county: County, capsys: pytest.CaptureFixture[str]) -> None:
    for _ in range(5):
        Client().post("/login/", {"username": "firm", "password": "wrong-password"})
    assert main(["users", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["username"] for r in rows] == ["auditor", "bureau", "expert", "firm", "provider", "town"]
    firm = next(r for r in rows if r["username"] == "firm")
    assert (firm["is_locked"], firm["enterprise"], firm["scope_region"]) == (
        True,
        county.own.uscc,
        "cixi-guanhaiwei",
    )
    assert main(["users", "list", "--role", "town_officer", "--json"]) == 0
    assert [r["username"] for r in json.loads(capsys.readouterr().out)] == ["town"]


def test_list_text(county: County, capsys: pytest.CaptureFixture[str]) -> None:
    User.objects.filter(username="expert").update(is_active=False)
    assert main(["users", "list"]) == 0
    captured = capsys.readouterr()
    lines = captured.out.strip().splitlines()
    assert len(lines) == 6
    assert any(line.startswith("expert") and "停用" in line for line in lines)
    assert any(line.startswith("firm") and county.own.name in line for line in lines)
    assert "共 6 个用户" in captured.err


def test_list_unknown_role(county: County, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["users", "list", "--role", "admin"]) == 1
    _one_line_error(capsys, "unknown role: admin")


def test_set_password_from_stdin(
    county: County, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _stdin(monkeypatch, STRONG + "\n")
    assert main(["users", "set-password", "town", "--password-stdin"]) == 0
    assert "已重置用户 town 的密码" in capsys.readouterr().out
    assert User.objects.get(username="town").check_password(STRONG)
    assert AuditEntry.objects.get(action="user.password_set").actor_username == "system"


def test_set_password_refusals(
    county: County, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _stdin(monkeypatch, "12345678\n")
    assert main(["users", "set-password", "town", "--password-stdin"]) == 1
    _one_line_error(capsys, "password", "密码")
    assert User.objects.get(username="town").check_password(PASSWORD)
    _stdin(monkeypatch, STRONG + "\n")
    assert main(["users", "set-password", "nobody", "--password-stdin"]) == 1
    _one_line_error(capsys, "no such user: nobody")


def test_deactivate_and_activate(county: County, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["users", "deactivate", "bureau"]) == 0  # the operator may stop any account
    assert "已停用用户 bureau" in capsys.readouterr().out
    assert not User.objects.get(username="bureau").is_active
    assert main(["users", "deactivate", "bureau"]) == 1
    _one_line_error(capsys, "已是停用状态")
    assert main(["users", "activate", "bureau"]) == 0
    assert User.objects.get(username="bureau").is_active
    assert main(["users", "deactivate", "nobody"]) == 1
    _one_line_error(capsys, "no such user: nobody")


def test_unlock(county: County, capsys: pytest.CaptureFixture[str]) -> None:
    for _ in range(5):
        Client().post("/login/", {"username": "town", "password": "wrong-password"})
    assert user_is_locked(username="town")
    assert main(["users", "unlock", "town"]) == 0
    assert "已解除用户 town 的登录锁定（清除 1 条失败记录）" in capsys.readouterr().out
    assert not user_is_locked(username="town")
    assert main(["users", "unlock", "nobody"]) == 1
    _one_line_error(capsys, "no such user: nobody")


def test_create_an_expert_with_a_home_region(
    county: County, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _stdin(monkeypatch, STRONG + "\n")
    args = ["users", "create", "zj", "--role", "expert", "--home-region", "cixi", "--password-stdin"]
    assert main(args) == 0
    home = User.objects.get(username="zj").home_region
    assert home is not None and home.code == "cixi"
    _stdin(monkeypatch, STRONG + "\n")
    args = ["users", "create", "zj2", "--role", "town_officer", "--region", "cixi-hushan"]
    assert main([*args, "--home-region", "cixi", "--password-stdin"]) == 1
    _one_line_error(capsys, "home_region")
