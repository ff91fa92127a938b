"""`shuzhuan match run|push|auto-grant|runs`. Bad input is one line naming the option, exit 2."""

from __future__ import annotations

import json
from typing import Any

import pytest

from shuzhuan.applications.models import Application
from shuzhuan.cli import main
from shuzhuan.matching.models import MatchRun

pytestmark = pytest.mark.django_db


def _one_line_error(capsys: pytest.CaptureFixture[str], *words: str) -> None:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("错误 error: ") and all(w in err[0] for w in words), err[0]


def test_run_push_and_auto_grant(county: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["match", "run", "--on", "2024-06-01", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {k: data[k] for k in ("version", "status", "engine", "on", "edition")} == {
        "version": 1,
        "status": "succeeded",
        "engine": "duckdb",
        "on": "2024-06-01",
        "edition": "cixi-2024",
    }
    assert data["counts"] == {"eligible": 1, "prospect": 3, "near_miss": 0}
    assert (data["enterprises"], data["projects"], data["new"], data["changed"], data["gone"]) == (
        3,
        0,
        4,
        0,
        0,
    )
    assert set(data["timings"]) == {"snapshot", "match", "store", "diff"}

    assert main(["match", "auto-grant", "--json"]) == 0
    granted = json.loads(capsys.readouterr().out)
    assert granted["granted"] == 1 and Application.objects.filter(origin="auto_grant").count() == 1
    assert main(["match", "auto-grant"]) == 0
    assert capsys.readouterr().out.startswith("免申即享（第 1 次匹配）：新受理 0 项，已有申报或已获奖励 1 家")

    assert main(["match", "push", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "run": 1,
        "sent": 3,
        "enterprises": 3,
        "waiting": 0,
        "opted_out": 0,
    }
    assert main(["match", "push"]) == 0
    assert capsys.readouterr().out.startswith("推送完成（第 1 次匹配）：0 条通知")

    assert main(["match", "run"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("第 2 次匹配完成（duckdb，") and "cixi-2025" in out[0]
    assert out[1] == "  符合条件 eligible 0 · 可申报 prospect 3 · 差一点 near miss 0"
    assert out[2] == "  较上次 vs last run：新增 new 3 · 变化 changed 0 · 不再匹配 gone 4"

    assert main(["match", "runs", "--json"]) == 0
    assert [r["version"] for r in json.loads(capsys.readouterr().out)] == [2, 1]
    assert main(["match", "runs"]) == 0
    assert capsys.readouterr().out.splitlines()[1].startswith("#1    succeeded duckdb 2024-06-01 cixi-2024")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["match", "run", "--engine", "numpy"], ["--engine", "numpy"]),
        (["match", "run", "--on", "2024-02-30"], ["--on", "2024-02-30"]),
        (["match", "run", "--on", "2023-06-01"], ["--on", "2023-06-01 没有生效的政策版本"]),
        (["match", "runs", "--limit", "0"], ["--limit"]),
    ],
)
def test_bad_input_is_one_line_naming_the_option_exit_2(
    county: Any, capsys: pytest.CaptureFixture[str], args: list[str], words: list[str]
) -> None:
    assert main(args) == 2
    _one_line_error(capsys, *words)
    assert not MatchRun.objects.exists()


def test_push_and_auto_grant_before_any_run_exit_1(county: Any, capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("push", "auto-grant"):
        assert main(["match", command]) == 1
        _one_line_error(capsys, "尚无成功的政策匹配")


def test_a_failed_run_is_one_line_exit_1(
    county: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("shuzhuan.rules.match.run_duckdb", broken)
    assert main(["match", "run"]) == 1
    _one_line_error(capsys, "第 1 次匹配失败：内部错误：RuntimeError")
    assert MatchRun.objects.get().status == "failed"
