"""The rulebook tests itself: every shipped policy loads, cites its source and type-checks;
broken editions are refused with a message naming edition, policy and step."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from shuzhuan.rules import expr as expr_module
from shuzhuan.rules.expr import ExprError, compile_expr
from shuzhuan.rules.fields import Type, base_environment
from shuzhuan.rules.loader import EDITIONS_DIR, RulebookError, load_rulebook

SEED_DOCUMENTS = {"cixi-2024": "慈经信建〔2024〕18号", "cixi-2025": "慈经信建〔2025〕15号"}


def test_the_shipped_editions_load_with_every_seed_policy() -> None:
    book = load_rulebook()
    ids = {p.id for e in book.editions for p in e.policies}
    assert ids == {
        "cixi-2024-pilot",
        "cixi-2024-sample",
        "cixi-2024-new-it",
        "cixi-2024-ai",
        "cixi-2025-pilot",
        "cixi-2025-new-it",
        "cixi-2025-ai",
    }
    for edition in book.editions:
        assert edition.document == SEED_DOCUMENTS[edition.id]
        assert edition.key_industries == ("auto_parts", "home_appliances")
        assert edition.stacking == "highest_project_policy"
        assert sum(edition.funding_split.values()) == Decimal(1)
        for policy in edition.policies:
            assert policy.citation.document == edition.document
            assert policy.citation.clause and policy.citation.title
            assert policy.steps[-1].name == "ceiling"
            assert all(c.expr.type == Type.BOOL for c in policy.conditions)


def test_every_policy_file_is_written_in_our_own_words() -> None:
    """No sentence of the seed letters is copied into a policy file (DESIGN.md)."""
    seeds = Path(__file__).resolve().parents[3].parent / "shared" / "seeds"
    if not seeds.exists():
        pytest.skip("seed letters not available")
    seed_text = "".join(p.read_text(encoding="utf-8") for p in seeds.glob("*.txt")).replace(" ", "")
    for file in EDITIONS_DIR.glob("*/*.yaml"):
        text = file.read_text(encoding="utf-8")
        for line in text.splitlines():
            chunk = line.strip().replace(" ", "")
            for i in range(0, max(len(chunk) - 24, 0)):
                assert chunk[i : i + 25] not in seed_text, f"{file.name} copies the seed: {chunk[i : i + 25]}"


def test_dates_and_stacking() -> None:
    book = load_rulebook()
    e2024, e2025 = book.editions
    assert (e2024.effective_from.isoformat(), e2024.effective_to and e2024.effective_to.isoformat()) == (
        "2024-01-01",
        "2024-12-31",
    )
    assert e2025.effective_from.isoformat() == "2025-01-01" and e2025.effective_to is None
    sample = e2024.policy("cixi-2024-sample")
    assert sample.scope == "enterprise" and sample.once_per_enterprise
    # 免申即享: the sample-enterprise reward is granted from the data; no project policy is
    assert sample.auto_grant
    assert [p.id for e in book.editions for p in e.policies if p.auto_grant] == ["cixi-2024-sample"]


# --- broken editions are refused, nothing half-loaded -----------------------------------------


@pytest.fixture
def book_dir(tmp_path: Path) -> Path:
    target = tmp_path / "editions"
    shutil.copytree(EDITIONS_DIR, target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(
    ("file", "old", "new", "message"),
    [
        (
            "cixi-2025/ai.yaml",
            'name: cap, expr: "300000"',
            'name: cap, expr: "verfied_investment"',
            "cixi-2025-ai / cap: unknown field 'verfied_investment'",
        ),
        (
            "cixi-2025/new-it.yaml",
            'expr: "verified_investment >= threshold"',
            "expr: \"verified_investment >= 'x'\"",
            "cixi-2025-new-it / condition 3: cannot compare number with str",
        ),
        (  # '/' is refused: DuckDB divides DECIMALs as floats, so the runners would not agree
            "cixi-2025/ai.yaml",
            'name: ceiling, expr: "LEAST(basis * rate, cap)"',
            'name: ceiling, expr: "LEAST(basis / 2, cap)"',
            "cixi-2025-ai / ceiling: division '/' is not allowed in 'basis / 2': use a ratio step instead",
        ),
        (
            "cixi-2025/ai.yaml",
            'name: rate, expr: "0.50"',
            'name: rate, expr: "1 / 2"',
            "cixi-2025-ai / rate: division '/' is not allowed",
        ),
        (
            "cixi-2025/new-it.yaml",
            'expr: "verified_investment >= threshold"',
            'expr: "verified_investment / 2 >= threshold / 2"',
            "cixi-2025-new-it / condition 3: division '/' is not allowed",
        ),
        (
            "cixi-2025/ai.yaml",
            'name: basis, expr: "verified_investment"',
            'name: basis, expr: "(SELECT max(x) FROM t)"',
            "cixi-2025-ai / basis: construct not allowed",
        ),
        (
            "cixi-2025/ai.yaml",
            'name: basis, expr: "verified_investment"',
            'name: basis, expr: "upper(industry)"',
            "cixi-2025-ai / basis: function not allowed",
        ),
        (
            "cixi-2025/ai.yaml",
            "has_kind('ai_model')",
            "has_kind('robots')",
            "cixi-2025-ai / condition 1: has_kind(): unknown code 'robots'",
        ),
        (
            "cixi-2025/ai.yaml",
            "scope: project",
            "scope: project\ncolour: red",
            "cixi-2025-ai: unknown key(s): colour",
        ),
        ("cixi-2025/ai.yaml", "citation: {", "citations: {", "cixi-2025-ai: missing citation"),
        ("cixi-2025/ai.yaml", 'clause: "一(二)", ', "", "cixi-2025-ai / citation: missing key(s): clause"),
        (
            "cixi-2025/edition.yaml",
            "effective_from: 2025-01-01",
            "effective_from: 2025-02-30",
            "not valid YAML",
        ),
        (
            "cixi-2025/edition.yaml",
            "effective_from: 2025-01-01",
            "effective_from: 2024-12-01",
            "cixi-2024: effective dates overlap cixi-2025",
        ),
        (
            "cixi-2025/edition.yaml",
            "stacking: highest_project_policy",
            "stacking: sum_all",
            "unknown stacking",
        ),
        ("cixi-2025/edition.yaml", 'county: "0.25"', 'county: "0.35"', "shares must sum to 1"),
        (
            "cixi-2025/edition.yaml",
            "key_industries: [auto_parts, home_appliances]",
            "key_industries: [auto_parts, auto_parts]",
            "cixi-2025: key_industries lists an industry twice",
        ),
        (
            "cixi-2025/edition.yaml",
            "key_industries: [auto_parts, home_appliances]",
            "key_industries: [auto_parts, 汽配]",
            "cixi-2025: key_industries: '汽配' is not an industry code",
        ),
        (
            "cixi-2025/edition.yaml",
            "key_industries: [auto_parts, home_appliances]",
            "key_industries: []",
            "key_industries must be a list",
        ),
        ("cixi-2025/edition.yaml", "policies: [pilot, new-it, ai]", "policies: [pilot, ai]", "not listed"),
        (
            "cixi-2025/ai.yaml",
            "scope: project",
            "scope: project\nauto_grant: true",
            "cixi-2025-ai: auto_grant (免申即享) applies to enterprise-scope policies only",
        ),
        (
            "cixi-2024/sample.yaml",
            "auto_grant: true",
            "auto_grant: 'yes'",
            "cixi-2024-sample: auto_grant must be true or false",
        ),
    ],
)
def test_a_broken_edition_is_refused(book_dir: Path, file: str, old: str, new: str, message: str) -> None:
    _edit(book_dir / file, old, new)
    with pytest.raises(RulebookError) as info:
        load_rulebook(book_dir)
    assert message in str(info.value)


def test_expressions_refuse_what_is_not_whitelisted() -> None:
    env = base_environment()
    for text in [
        "industry = 'a'; DROP TABLE x",
        "enterprise.industry = 'x'",
        "kinds",
        "is_sme + 1",
        "1 IN (1, 'a')",
    ]:
        with pytest.raises(ExprError):
            compile_expr(text, env)
    assert compile_expr("industry IN ('auto_parts', 'moulds')", env).type == Type.BOOL
    assert expr_module.compile_expr("-verified_investment * (1 + 0.5)", env).type == Type.NUMBER


@pytest.mark.parametrize(
    "text",
    [
        "verified_investment / 5",
        "verified_investment / 0",
        "(verified_investment + 1) / (declared_investment - 1)",
        "LEAST(verified_investment / 2, 300000)",
        "verified_investment / 2 >= 1",
        "SAFE_DIVIDE(verified_investment, 5)",
    ],
)
def test_division_is_refused_with_a_hint(text: str) -> None:
    """No runner divides: a share is a ratio step multiplied in (exact in Decimal, DuckDB, Spark)."""
    with pytest.raises(ExprError, match=r"division '/' is not allowed .*use a ratio step instead"):
        compile_expr(text, base_environment())


def test_evaluation_follows_sql_null_logic() -> None:
    env = base_environment()
    values = {"accepted": None, "is_sme": False, "verified_investment": None}
    assert compile_expr("accepted AND is_sme", env).evaluate(values) is False
    assert compile_expr("accepted OR NOT is_sme", env).evaluate(values) is True
    assert compile_expr("verified_investment >= 1", env).evaluate(values) is None
    # strict, unlike SQL: an unknown argument makes LEAST/GREATEST unknown (no "full cap" by default)
    assert compile_expr("GREATEST(verified_investment, 3)", env).evaluate(values) is None
    assert compile_expr("LEAST(verified_investment, 3)", env).evaluate(values) is None


@pytest.mark.parametrize("dialect", ["duckdb", "spark", "postgres"])
def test_every_policy_compiles_to_sql_for_the_batch_runners(dialect: str) -> None:
    import sqlglot

    from shuzhuan.rules.compile import policy_sql

    for edition in load_rulebook().editions:
        for policy in edition.policies:
            sql = policy_sql(policy, edition, dialect)
            assert sql.startswith("CASE WHEN ") and "has_kind" not in sql and "key_industries" not in sql
            assert all(f" {s.name} " not in f" {sql} " for s in policy.steps if s.name != "ceiling")
            sqlglot.parse_one(sql, read=dialect)  # it is valid SQL in that dialect


def test_the_rulebook_imports_nothing_from_django_or_other_apps() -> None:
    import ast

    package = Path(__file__).resolve().parents[1]
    for file in package.rglob("*.py"):
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            for name in names:
                assert not name.startswith("django"), f"{file.name} imports {name}"
                if name.startswith("shuzhuan"):
                    assert name.startswith("shuzhuan.rules"), f"{file.name} imports {name}"
