"""``shuzhuan ask [--json] "问题"``."""

from __future__ import annotations

import json

import pytest

from shuzhuan.cli import main
from shuzhuan.qa.models import UnansweredQuestion

pytestmark = pytest.mark.django_db


def test_ask_json(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["ask", "--json", "我投了80万做AI大模型项目能补多少"])
    captured = capsys.readouterr()
    assert (code, captured.err) == (0, "")
    data = json.loads(captured.out)
    assert set(data) == {"answer", "amount", "citations", "confidence"}
    assert data["amount"] == "300000.00"
    assert "超过上限30万元" in data["answer"]
    assert data["citations"][0]["document"].startswith("慈经信建〔")
    assert data["citations"][0]["passage"]
    assert 0 < data["confidence"] <= 1


def test_ask_text(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["ask", "新一代信息技术项目门槛是多少"])
    out = capsys.readouterr().out
    assert code == 0
    assert "30万元以上" in out and "依据 source：慈经信建〔" in out and "置信度" in out


def test_ask_nothing_found_is_logged(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["ask", "--json", "食堂今天中午吃什么"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert data["answer"].startswith("未找到确切依据") and data["amount"] is None and data["citations"] == []
    assert UnansweredQuestion.objects.filter(question="食堂今天中午吃什么", user=None).exists()


def test_ask_empty_question_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["ask", "  "])
    assert code == 2
    assert "question" in capsys.readouterr().err
