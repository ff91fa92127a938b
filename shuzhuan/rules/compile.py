"""Compile a policy to one SQL expression per dialect (for the DuckDB and Spark batch runners).

The same sqlglot trees the explain runner evaluates are rewritten — step names inlined, edition
parameters replaced by literal lists, ``has_kind``/``has_qualification`` turned into the
dialect's array test (or, given ``membership``, into a boolean column the batch runner derives once
per row before the join: see ``membership_tests``) — and printed by sqlglot. Numbers are cast to
the narrowest DECIMAL that holds them exactly (0.50 → DECIMAL(2, 2), 500000 → DECIMAL(6, 0)), so
no runner uses floating point and products stay within 64-bit decimals; the ceiling is rounded to
the fen. A one-time reward also requires that its reward group is not in the
enterprise's ``rewards_received`` list. The batch runners are ``batch_duckdb`` and ``batch_spark``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

from sqlglot import exp

from shuzhuan.rules.fields import FUNCTIONS
from shuzhuan.rules.model import Edition, Policy

DIALECTS = ("duckdb", "spark", "postgres")

Membership = Mapping[tuple[str, str], str]  # (set-valued field, code) → a boolean column's name


def membership_tests(policies: Iterable[Policy]) -> dict[tuple[str, str], str]:
    """Every (set-valued field, code) the policies test — ``has_kind('pilot')`` is
    ``("kinds", "pilot")``, a one-time reward's check ``("rewards_received", group)`` — each with
    a column name ``m<n>`` (in order of first use). A batch runner computes
    ``ARRAY_CONTAINS(field, code) AS m<n>`` on its own side of the join, so no list column goes
    through the join and each test is made once per row."""
    found: dict[tuple[str, str], str] = {}
    for policy in policies:
        for expr in (*(c.expr for c in policy.conditions), *(s.expr for s in policy.steps)):
            for node in expr.tree.find_all(exp.Anonymous):
                spec = FUNCTIONS[str(node.this).lower()]
                found.setdefault((spec.field, node.expressions[0].name), f"m{len(found)}")
        if policy.once_per_enterprise:
            found.setdefault(("rewards_received", policy.reward_group), f"m{len(found)}")
    return found


def _inline(
    tree: exp.Expression,
    steps: dict[str, exp.Expression],
    edition: Edition,
    membership: Membership | None = None,
) -> exp.Expression:
    """``tree`` with earlier steps inlined, parameters as literal lists, set tests as the
    dialect's array test (or the ``membership`` column) and numbers as DECIMALs; LEAST/GREATEST
    still SQL's (see ``_strict``)."""

    def fn(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column) and node.name in steps:
            return exp.Paren(this=steps[node.name].copy())
        if isinstance(node, exp.In) and isinstance(node.args.get("field"), exp.Column):
            name = node.args["field"].name
            values = {"key_industries": edition.key_industries}[name]
            return exp.In(this=node.this.copy(), expressions=[exp.Literal.string(v) for v in values])
        if isinstance(node, exp.Anonymous):
            spec = FUNCTIONS[str(node.this).lower()]
            if membership is not None:
                return exp.column(membership[(spec.field, node.expressions[0].name)])
            return exp.ArrayContains(this=exp.column(spec.field), expression=node.expressions[0].copy())
        if isinstance(node, exp.Literal) and not node.is_string:
            # the narrowest exact DECIMAL: wider literals would widen every product and LEAST
            # (DuckDB then computes in 128 bits), and Spark would sooner round to fit 38 digits
            _, digits, exponent = Decimal(node.this).as_tuple()
            scale = max(0, -int(exponent))
            precision = max(len(digits) + int(exponent), 0) + scale
            return exp.cast(node.copy(), exp.DataType.build(f"DECIMAL({max(precision, 1)}, {scale})"))
        return node

    return tree.copy().transform(fn)


def _strict(tree: exp.Expression) -> exp.Expression:
    """SQL's LEAST/GREATEST skip NULLs; ours are NULL when any argument is unknown, so a missing
    basis never turns into "the full cap"."""

    def strict(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Least | exp.Greatest):
            args = [node.this, *node.expressions]
            unknown = exp.or_(*(exp.Is(this=a.copy(), expression=exp.Null()) for a in args))
            return exp.Case(ifs=[exp.If(this=unknown, true=exp.Null())], default=node.copy())
        return node

    return tree.transform(strict)


def policy_sql(
    policy: Policy,
    edition: Edition,
    dialect: str,
    *,
    membership: Membership | None = None,
    guard: exp.Expression | None = None,
) -> str:
    """``CASE WHEN <all conditions> THEN ROUND(<ceiling>, 2) END`` in ``dialect``.

    With ``membership`` (from ``membership_tests``) set tests read those boolean columns instead
    of testing the list columns; ``guard`` is a further condition put first (a batch runner's
    edition test), so one CASE decides the whole policy.

    A number expression is NULL exactly when one of the fields it reads is (every operator on
    numbers, and our strict LEAST/GREATEST, is NULL when an operand is), so the ceiling is
    compiled with SQL's plain LEAST/GREATEST behind ``<field> IS NOT NULL`` for each field it
    reads; conditions keep the strict form, which they need inside AND/OR/NOT."""
    if dialect not in DIALECTS:
        raise ValueError(f"unknown dialect {dialect!r} (known: {', '.join(DIALECTS)})")
    steps: dict[str, exp.Expression] = {}
    for step in policy.steps:
        steps[step.name] = _inline(step.expr.tree, steps, edition, membership)
    conditions = [_strict(_inline(c.expr.tree, steps, edition, membership)) for c in policy.conditions]
    if policy.once_per_enterprise:  # as explain: a reward group already paid is not paid again
        received: exp.Expression = (
            exp.column(membership[("rewards_received", policy.reward_group)])
            if membership is not None
            else exp.ArrayContains(
                this=exp.column("rewards_received"), expression=exp.Literal.string(policy.reward_group)
            )
        )
        conditions.append(exp.not_(exp.Coalesce(this=received, expressions=[exp.false()])))
    read = dict.fromkeys(c.name for c in steps["ceiling"].find_all(exp.Column))
    conditions += [exp.not_(exp.Is(this=exp.column(name), expression=exp.Null())) for name in read]
    if guard is not None:
        conditions.insert(0, guard.copy())
    ceiling = exp.Round(this=steps["ceiling"], decimals=exp.Literal.number(2))
    case = exp.Case(ifs=[exp.If(this=exp.and_(*conditions), true=ceiling)])
    return case.sql(dialect=dialect)
