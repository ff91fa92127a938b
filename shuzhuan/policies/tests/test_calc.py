"""The calculator contract: `shuzhuan policy calc` (stdin JSON, --jsonl) and POST /api/policy/calc
take the same JSON and return the same JSON; bad input names the field (exit 2 / HTTP 400)."""

from __future__ import annotations

import copy
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from conftest import County
from shuzhuan.cli import main
from shuzhuan.enterprises.uscc import uscc_make
from shuzhuan.rules.docs import render_policies_md
from shuzhuan.rules.loader import default_rulebook

# The calculator reads the published editions from the database (the shipped ones, loaded by a
# data migration), so even the CLI tests need it.
pytestmark = pytest.mark.django_db

USCC = uscc_make("91330282MA2AAAAAA")

ISSUE_CASE: dict[str, Any] = {
    "as_of": "2025-06-30",
    "enterprise": {
        "uscc": USCC,
        "industry": "auto_parts",
        "is_sme": True,
        "qualifications": ["ningbo_sample_enterprise"],
    },
    "project": {
        "kinds": ["pilot", "new_it", "ai_model"],
        "in_pilot_plan": True,
        "accepted": True,
        "declared_investment": 1000000,
        "verified_investment": 700000,
    },
}


def _with(path: str, value: Any) -> dict[str, Any]:
    case = copy.deepcopy(ISSUE_CASE)
    *parents, last = path.split(".")
    node = case
    for p in parents:
        node = node[p]
    if value is _DROP:
        del node[last]
    else:
        node[last] = value
    return case


_DROP = object()

BAD_INPUTS = [
    pytest.param(
        _with("project.verified_investment", -1), "project.verified_investment", id="negative amount"
    ),
    pytest.param(
        _with("project.declared_investment", "七十万"), "project.declared_investment", id="non-numeric"
    ),
    pytest.param(
        _with("project.verified_investment", "1.005"), "project.verified_investment", id="three decimals"
    ),
    pytest.param(_with("project.verified_investment", True), "project.verified_investment", id="bool amount"),
    pytest.param(_with("project.kinds", ["pilot", "robots"]), "project.kinds", id="unknown project kind"),
    pytest.param(_with("enterprise.uscc", USCC[:-1] + "0"), "enterprise.uscc", id="invalid uscc"),
    pytest.param(
        _with("enterprise.qualifications", ["gold_star"]), "enterprise.qualifications", id="unknown qual"
    ),
    pytest.param(_with("as_of", "2025-02-30"), "as_of", id="impossible date"),
    pytest.param(_with("as_of", "30/06/2025"), "as_of", id="malformed date"),
    pytest.param(_with("as_of", _DROP), "as_of", id="missing date"),
    pytest.param(_with("as_of", "2023-12-31"), "as_of", id="no edition covers the date"),
    pytest.param(_with("project.colour", "red"), "project.colour", id="unknown field"),
    pytest.param(_with("enterprise.is_sme", "yes"), "enterprise.is_sme", id="not a boolean"),
]


def _cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], text: str, *args: str
) -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(text))
    code = main(["policy", "calc", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# --- CLI (no database) ---------------------------------------------------------------------


def test_cli_issue_example(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _cli(monkeypatch, capsys, json.dumps(ISSUE_CASE))
    assert (code, err) == (0, "")
    result = json.loads(out)
    assert result["edition"] == "cixi-2025"
    assert result["best"] == {
        "policy": "cixi-2025-pilot",
        "ceiling": "350000.00",
        "funding": {"central": "175000.00", "city": "87500.00", "county": "87500.00"},
    }
    assert result["total_ceiling"] == "350000.00"
    pilot = result["results"][0]
    assert pilot["policy"] == "cixi-2025-pilot" and pilot["scope"] == "project" and pilot["eligible"]
    assert pilot["ceiling"] == "350000.00" and pilot["unmet"] == []
    assert pilot["source"].startswith("慈经信建〔2025〕15号")
    assert [s["name"] for s in pilot["steps"]] == ["basis", "rate", "cap", "ceiling"]


def test_cli_amounts_keep_their_fen(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    text = json.dumps(_with("project.verified_investment", 0)).replace(
        '"verified_investment": 0', '"verified_investment": 333333.33'
    )
    code, out, _ = _cli(monkeypatch, capsys, text)
    assert code == 0
    by_policy = {r["policy"]: r for r in json.loads(out)["results"]}
    assert by_policy["cixi-2025-new-it"]["ceiling"] == "66666.67"


@pytest.mark.parametrize(("case", "field"), BAD_INPUTS)
def test_cli_bad_input_exits_2_naming_the_field(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], case: dict[str, Any], field: str
) -> None:
    code, out, err = _cli(monkeypatch, capsys, json.dumps(case, ensure_ascii=False))
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"错误 error: {field}: "), err
    assert "Traceback" not in err


def test_cli_not_json(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _cli(monkeypatch, capsys, "{as_of: 2025}")
    assert code == 2 and err.startswith("错误 error: input: not valid JSON") and len(err.splitlines()) == 1


def test_cli_jsonl(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    lines = [json.dumps(ISSUE_CASE), "", json.dumps(_with("as_of", "2024-12-31"))]
    code, out, err = _cli(monkeypatch, capsys, "\n".join(lines) + "\n", "--jsonl")
    assert (code, err) == (0, "")
    results = [json.loads(line) for line in out.splitlines()]
    assert [r["edition"] for r in results] == ["cixi-2025", "cixi-2024"]
    assert results[1]["total_ceiling"] == "550000.00"  # 2024: pilot 350,000 + sample 200,000


def test_cli_jsonl_bad_line_names_line_and_field(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    text = json.dumps(ISSUE_CASE) + "\n" + json.dumps(_with("project.kinds", ["x"])) + "\n"
    code, out, err = _cli(monkeypatch, capsys, text, "--jsonl")
    assert code == 2
    assert len(out.splitlines()) == 1
    assert err.strip().startswith("错误 error: line 2: project.kinds: ")


# --- API -----------------------------------------------------------------------------------


def _post(client: Client, body: Any) -> Any:
    text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
    return client.post("/api/policy/calc", text, content_type="application/json")


def test_api_returns_what_the_cli_prints(
    county: County, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    client = Client()
    client.force_login(county.users["enterprise"])
    response = _post(client, ISSUE_CASE)
    assert response.status_code == 200
    _, out, _ = _cli(monkeypatch, capsys, json.dumps(ISSUE_CASE))
    assert response.json() == json.loads(out)


@pytest.mark.parametrize(("case", "field"), BAD_INPUTS)
def test_api_bad_input_is_400_naming_the_field(county: County, case: dict[str, Any], field: str) -> None:
    client = Client()
    client.force_login(county.users["expert"])
    response = _post(client, case)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and error["field"] == field and error["message"]


def test_api_not_json_and_anonymous(county: County) -> None:
    client = Client()
    assert _post(client, ISSUE_CASE).status_code == 401
    client.force_login(county.users["auditor"])
    response = _post(client, "{not json")
    assert response.status_code == 400 and response.json()["error"]["field"] == "body"


# --- docs/policies.md is generated from the editions -----------------------------------------


def test_committed_policies_md_is_current() -> None:
    committed = Path(settings.BASE_DIR) / "docs" / "policies.md"
    assert committed.read_text(encoding="utf-8") == render_policies_md(default_rulebook()), (
        "docs/policies.md is out of date with the editions: run `make policies-docs`"
    )


def test_cli_docs_prints_the_same(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy", "docs"]) == 0
    assert capsys.readouterr().out == render_policies_md(default_rulebook())
