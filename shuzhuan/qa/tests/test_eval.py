"""The 智能应答 question set (``make eval-qa``) stays at or above 90% right."""

from __future__ import annotations

import io

import pytest

from shuzhuan.qa.eval import SEEDS, eval_run, load_questions

pytestmark = pytest.mark.django_db


def test_question_set_has_at_least_60_questions_of_every_kind() -> None:
    _, items = load_questions()
    assert len(items) >= 60
    assert sum(1 for i in items if i.get("seeds")) >= 10
    assert sum(1 for i in items if i.get("amount")) >= 20
    assert sum(1 for i in items if "amount" in i and i["amount"] is None) >= 5


def test_accuracy_at_least_90_percent() -> None:
    out = io.StringIO()
    report = eval_run(out=out)
    if not SEEDS.is_dir():
        assert report.skipped, "questions that need the seeds are skipped, with a reason"
    assert report.accuracy >= 0.9, out.getvalue()
