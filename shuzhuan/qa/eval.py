"""The 智能应答 question set, run and scored: ``python -m shuzhuan.qa.eval`` (``make eval-qa``).

Run as a program it works in a throwaway SQLite database (migrated, so the shipped editions are
in the corpus), first ingests the seed documents (``../shared/seeds/*.txt`` beside the repository,
or ``--seeds DIR``) through ``qa_ingest`` — questions marked ``seeds`` are skipped, with the reason
printed, when they are missing — and prints one line per question and the accuracy. The test
suite calls ``eval_run`` inside its own test database.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

QUESTIONS = Path(__file__).resolve().parent / "eval" / "questions.yaml"
REPO = Path(__file__).resolve().parents[2]
SEEDS = REPO.parent / "shared" / "seeds"


@dataclass(frozen=True)
class Result:
    question: str
    ok: bool
    problems: tuple[str, ...]
    answer: str
    amount: str | None
    confidence: float


@dataclass
class Report:
    results: list[Result] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (question, reason)

    @property
    def accuracy(self) -> float:
        return sum(r.ok for r in self.results) / len(self.results) if self.results else 0.0


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def load_questions(path: Path = QUESTIONS) -> tuple[dt.date, list[dict[str, Any]]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    today = data["today"]
    return (today if isinstance(today, dt.date) else dt.date.fromisoformat(str(today))), list(
        data["questions"]
    )


def seeds_ingest(seeds: Path) -> int:
    """Ingest every seed .txt (idempotent by content); the number of documents, 0 when none."""
    from shuzhuan.qa.services import qa_ingest

    files = sorted(seeds.glob("*.txt")) if seeds.is_dir() else []
    for path in files:
        qa_ingest(acting_user=None, path=path)
    return len(files)


def check(item: dict[str, Any], answer: Any) -> list[str]:
    from shuzhuan.qa.answer import NOT_FOUND

    problems = []
    got = answer.as_dict()
    if item.get("not_found"):
        if answer.answer != NOT_FOUND:
            problems.append("expected no exact basis")
        return problems
    if answer.answer == NOT_FOUND:
        return ["answered: no exact basis"]
    if "amount" in item and got["amount"] != item["amount"]:
        problems.append(f"amount {got['amount']} ≠ {item['amount']}")
    if "document" in item and not any(item["document"] in c["document"] for c in got["citations"]):
        problems.append(f"no citation of {item['document']}")
    haystack = _squash(answer.answer + "".join(c["passage"] for c in got["citations"]))
    missing = [k for k in item.get("keywords", []) if _squash(str(k)) not in haystack]
    if missing:
        problems.append("missing " + "、".join(missing))
    return problems


def eval_run(
    *, questions: Path = QUESTIONS, seeds: Path = SEEDS, out: Any = None, baseline: bool = False
) -> Report:
    """Ingest the seeds, ask every question (unanswered questions are not logged) and score;
    ``baseline``: search passages with the plain BM25 baseline retriever instead."""
    from shuzhuan.qa.answer import qa_ask

    today, items = load_questions(questions)
    have_seeds = seeds_ingest(seeds) > 0
    report = Report()
    for item in items:
        q = item["q"]
        if item.get("seeds") and not have_seeds:
            report.skipped.append((q, f"seed documents not found in {seeds}"))
            continue
        answer = qa_ask(question=q, today=today, log=False, baseline=baseline)
        problems = check(item, answer)
        got = answer.as_dict()
        report.results.append(
            Result(q, not problems, tuple(problems), answer.answer, got["amount"], answer.confidence)
        )
    if out is not None:
        for r in report.results:
            mark = "✓" if r.ok else "✗"
            detail = f" — {'; '.join(r.problems)}\n    答：{r.answer}" if r.problems else ""
            print(f"{mark} {r.question} → {r.amount or '-'} ({r.confidence:.2f}){detail}", file=out)
        for q, reason in report.skipped:
            print(f"- {q} (skipped: {reason})", file=out)
        right = sum(r.ok for r in report.results)
        print(
            f"accuracy {report.accuracy:.1%} ({right}/{len(report.results)}; {len(report.skipped)} skipped)",
            file=out,
        )
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the 智能应答 question set and print the accuracy.")
    parser.add_argument(
        "--seeds", type=Path, default=SEEDS, help="directory of seed .txt documents to ingest"
    )
    parser.add_argument("--min-accuracy", type=float, default=0.9, help="exit 1 below this accuracy")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="shuzhuan-eval-") as tmp:
        os.environ["DATABASE_URL"] = f"sqlite:///{Path(tmp) / 'eval.sqlite3'}"
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.django.test")
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0)
        report = eval_run(seeds=args.seeds, out=sys.stdout)
    return 0 if report.accuracy >= args.min_accuracy else 1


if __name__ == "__main__":
    sys.exit(main())
