"""Compile a policy to one SQL expression per dialect (for the DuckDB and Spark batch runners).

The same sqlglot trees the explain runner evaluates are rewritten — step names inlined, edition
parameters replaced by literal lists, ``has_kind``/``has_qualification`` turned into the
dialect's array test — and printed by sqlglot. Numbers are cast to DECIMAL(18, 4) (more digits
when the literal has more than four decimals) so no runner uses floating point; the ceiling is
rounded to the fen. A one-time reward also requires that its reward group is not in the
enterprise's ``rewards_received`` list. The batch runners are ``batch_duckdb`` and ``batch_spark``.
"""

from __future__ import annotations

from decimal import Decimal

from sqlglot import exp

from shuzhuan.rules.fields import FUNCTIONS
from shuzhuan.rules.model import Edition, Policy

DIALECTS = ("duckdb", "spark", "postgres")


def _rewrite(tree: exp.Expression, steps: dict[str, exp.Expression], edition: Edition) -> exp.Expression:
    def fn(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column) and node.name in steps:
            return exp.Paren(this=steps[node.name].copy())
        if isinstance(node, exp.In) and isinstance(node.args.get("field"), exp.Column):
            name = node.args["field"].name
            values = {"key_industries": edition.key_industries}[name]
            return exp.In(this=node.this.copy(), expressions=[exp.Literal.string(v) for v in values])
        if isinstance(node, exp.Anonymous):
            spec = FUNCTIONS[str(node.this).lower()]
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


def policy_sql(policy: Policy, edition: Edition, dialect: str) -> str:
    """``CASE WHEN <all conditions> THEN ROUND(<ceiling>, 2) END`` in ``dialect``."""
    if dialect not in DIALECTS:
        raise ValueError(f"unknown dialect {dialect!r} (known: {', '.join(DIALECTS)})")
    steps: dict[str, exp.Expression] = {}
    for step in policy.steps:
        steps[step.name] = _rewrite(step.expr.tree, steps, edition)
    conditions = [_rewrite(c.expr.tree, steps, edition) for c in policy.conditions]
    if policy.once_per_enterprise:  # as explain: a reward group already paid is not paid again
        received = exp.ArrayContains(
            this=exp.column("rewards_received"), expression=exp.Literal.string(policy.reward_group)
        )
        conditions.append(exp.not_(exp.Coalesce(this=received, expressions=[exp.false()])))
    ceiling = exp.Round(this=steps["ceiling"], decimals=exp.Literal.number(2))
    case = exp.Case(ifs=[exp.If(this=exp.and_(*conditions), true=ceiling)])
    return case.sql(dialect=dialect)
