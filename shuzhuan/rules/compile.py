"""Compile a policy to one SQL expression per dialect (for the DuckDB and Spark batch runners).

The same sqlglot trees the explain runner evaluates are rewritten — step names inlined, edition
parameters replaced by literal lists, ``has_kind``/``has_qualification`` turned into the
dialect's array test (or, given ``membership``, into a boolean column the batch runner derives once
per row before the join: see ``membership_tests``) — and printed by sqlglot. Numbers are cast to DECIMAL(18, 4) (more digits
when the literal has more than four decimals) so no runner uses floating point; the ceiling is
rounded to the fen. A one-time reward also requires that its reward group is not in the
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


def _rewrite(
    tree: exp.Expression,
    steps: dict[str, exp.Expression],
    edition: Edition,
    membership: Membership | None = None,
) -> exp.Expression:
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
            scale = max(4, -int(Decimal(node.this).as_tuple().exponent))
            return exp.cast(node.copy(), exp.DataType.build(f"DECIMAL({14 + scale}, {scale})"))
        return node

    def strict(node: exp.Expression) -> exp.Expression:
        # SQL's LEAST/GREATEST skip NULLs; ours are NULL when any argument is unknown, so a
        # missing basis never turns into "the full cap".
        if isinstance(node, exp.Least | exp.Greatest):
            args = [node.this, *node.expressions]
            unknown = exp.or_(*(exp.Is(this=a.copy(), expression=exp.Null()) for a in args))
            return exp.Case(ifs=[exp.If(this=unknown, true=exp.Null())], default=node.copy())
        return node

    return tree.copy().transform(fn).transform(strict)


def policy_sql(
    policy: Policy, edition: Edition, dialect: str, *, membership: Membership | None = None
) -> str:
    """``CASE WHEN <all conditions> THEN ROUND(<ceiling>, 2) END`` in ``dialect``.

    With ``membership`` (from ``membership_tests``) set tests read those boolean columns instead
    of testing the list columns."""
    if dialect not in DIALECTS:
        raise ValueError(f"unknown dialect {dialect!r} (known: {', '.join(DIALECTS)})")
    steps: dict[str, exp.Expression] = {}
    for step in policy.steps:
        steps[step.name] = _rewrite(step.expr.tree, steps, edition, membership)
    conditions = [_rewrite(c.expr.tree, steps, edition, membership) for c in policy.conditions]
    if policy.once_per_enterprise:  # as explain: a reward group already paid is not paid again
        received: exp.Expression = (
            exp.column(membership[("rewards_received", policy.reward_group)])
            if membership is not None
            else exp.ArrayContains(
                this=exp.column("rewards_received"), expression=exp.Literal.string(policy.reward_group)
            )
        )
        conditions.append(exp.not_(exp.Coalesce(this=received, expressions=[exp.false()])))
    ceiling = exp.Round(this=steps["ceiling"], decimals=exp.Literal.number(2))
    case = exp.Case(ifs=[exp.If(this=exp.and_(*conditions), true=ceiling)])
    return case.sql(dialect=dialect)
