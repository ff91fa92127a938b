"""The safe expression language: a whitelisted subset of SQL expressions, parsed by sqlglot.

One text serves every runner: this module type-checks it and evaluates it in Python with
``Decimal`` (the explain runner); the batch runners compile the same sqlglot tree to DuckDB or
Spark SQL. Allowed: literals, TRUE/FALSE, the schema's field names, edition parameters and the
policy's earlier steps; AND/OR/NOT; = <> < <= > >=; IN (literal list) and IN parameter;
+ - *; LEAST/GREATEST; the whitelisted functions in ``fields.FUNCTIONS``. Anything else
(subqueries, other functions, qualified or unknown names) is refused.

Division is refused on purpose (decided): DuckDB divides DECIMALs in floating point, Spark
rescales the quotient, Python's Decimal keeps 28 digits, so one ``/`` could make the runners
disagree at the fen. No shipped policy needs it: a share of a basis is a ``ratio`` step
(``rate: "0.20"``) multiplied in, which every runner computes exactly.

Evaluation follows SQL's three-valued logic: an unknown value (None) propagates through
arithmetic and comparisons, AND/OR are Kleene, and a condition holds only when it is TRUE.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from shuzhuan.rules.fields import FIELDS, FUNCTIONS, Type


class ExprError(ValueError):
    """An expression that does not parse, uses a disallowed construct or does not type-check."""


@dataclass(frozen=True)
class Expr:
    text: str
    tree: exp.Expression
    type: Type

    def evaluate(self, values: Mapping[str, Any]) -> Any:
        return _eval(self.tree, values)


_COMPARE: dict[type[exp.Expression], Callable[[Any, Any], bool]] = {
    exp.EQ: lambda a, b: a == b,
    exp.NEQ: lambda a, b: a != b,
    exp.GT: lambda a, b: a > b,
    exp.GTE: lambda a, b: a >= b,
    exp.LT: lambda a, b: a < b,
    exp.LTE: lambda a, b: a <= b,
}
_ARITH: dict[type[exp.Expression], Callable[[Decimal, Decimal], Decimal]] = {
    exp.Add: lambda a, b: a + b,
    exp.Sub: lambda a, b: a - b,
    exp.Mul: lambda a, b: a * b,
}
# The hint every refusal of '/' carries (see the module docstring).
DIVISION_HINT = "use a ratio step instead (a step with unit: ratio, e.g. 0.20, multiplied in)"


def compile_expr(text: str, env: Mapping[str, Type], *, expect: Type | None = None) -> Expr:
    """Parse, check and type ``text`` against ``env`` (name → type)."""
    if not isinstance(text, str) or not text.strip():
        raise ExprError("empty expression")
    try:
        trees = sqlglot.parse(text)
    except SqlglotError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "syntax error"
        raise ExprError(f"cannot parse {text!r}: {first}") from None
    if len(trees) != 1 or not isinstance(trees[0], exp.Expression):
        raise ExprError(f"one expression expected: {text!r}")
    tree = trees[0]
    typ = _type(tree, env)
    if expect is not None and typ != expect:
        raise ExprError(f"expected a {expect} expression, got {typ}: {text!r}")
    return Expr(text=text, tree=tree, type=typ)


def _type(node: exp.Expression, env: Mapping[str, Type]) -> Type:
    if isinstance(node, exp.Paren):
        return _type(node.this, env)
    if isinstance(node, exp.Boolean):
        return Type.BOOL
    if isinstance(node, exp.Literal):
        if node.is_string:
            return Type.STR
        _number(node)
        return Type.NUMBER
    if isinstance(node, exp.Column):
        return _name_type(node, env)
    if isinstance(node, exp.And | exp.Or):
        for side in (node.this, node.expression):
            _want(side, env, Type.BOOL, node)
        return Type.BOOL
    if isinstance(node, exp.Not):
        _want(node.this, env, Type.BOOL, node)
        return Type.BOOL
    if type(node) in _COMPARE:
        left, right = _type(node.this, env), _type(node.expression, env)
        if left != right or left == Type.STR_SET:
            raise ExprError(f"cannot compare {left} with {right}: {node.sql()}")
        if not isinstance(node, exp.EQ | exp.NEQ) and left != Type.NUMBER:
            raise ExprError(f"ordering needs numbers, got {left}: {node.sql()}")
        return Type.BOOL
    if isinstance(node, exp.In):
        return _type_in(node, env)
    if isinstance(node, exp.Div | exp.IntDiv | exp.SafeDivide):
        raise ExprError(f"division '/' is not allowed in {node.sql()!r}: {DIVISION_HINT}")
    if type(node) in _ARITH:
        _want(node.this, env, Type.NUMBER, node)
        _want(node.expression, env, Type.NUMBER, node)
        return Type.NUMBER
    if isinstance(node, exp.Neg):
        _want(node.this, env, Type.NUMBER, node)
        return Type.NUMBER
    if isinstance(node, exp.Least | exp.Greatest):
        args = [node.this, *node.expressions]
        for arg in args:
            _want(arg, env, Type.NUMBER, node)
        return Type.NUMBER
    if isinstance(node, exp.Anonymous):
        return _type_function(node)
    if isinstance(node, exp.Func):
        raise ExprError(f"function not allowed: {node.sql_name() if hasattr(node, 'sql_name') else node.key}")
    raise ExprError(f"construct not allowed: {node.key} in {node.sql()!r}")


def _want(node: exp.Expression, env: Mapping[str, Type], want: Type, parent: exp.Expression) -> None:
    got = _type(node, env)
    if got != want:
        raise ExprError(f"{node.sql()!r} is {got}, {want} needed in {parent.sql()!r}")


def _name_type(node: exp.Column, env: Mapping[str, Type]) -> Type:
    if node.table or not isinstance(node.this, exp.Identifier):
        raise ExprError(f"qualified names not allowed: {node.sql()}")
    name = node.name
    if name not in env:
        raise ExprError(f"unknown field {name!r}")
    typ = env[name]
    if name in FIELDS and typ == Type.STR_SET:
        fn = next(f.name for f in FUNCTIONS.values() if f.field == name)
        raise ExprError(f"field {name!r} is a set: use {fn}('…')")
    return typ


def _type_in(node: exp.In, env: Mapping[str, Type]) -> Type:
    left = _type(node.this, env)
    if left not in (Type.STR, Type.NUMBER):
        raise ExprError(f"IN needs a text or number on the left: {node.sql()}")
    if node.args.get("query") is not None or node.args.get("unnest") is not None:
        raise ExprError(f"subqueries not allowed: {node.sql()}")
    target = node.args.get("field")
    if target is not None:
        if not isinstance(target, exp.Column) or target.table:
            raise ExprError(f"IN needs a list or a parameter: {node.sql()}")
        name = target.name
        if name in FIELDS or env.get(name) != Type.STR_SET:
            raise ExprError(f"IN needs a list parameter, not {name!r}")
        if left != Type.STR:
            raise ExprError(f"{name!r} holds text: {node.sql()}")
        return Type.BOOL
    items = node.expressions
    if not items:
        raise ExprError(f"empty IN list: {node.sql()}")
    for item in items:
        if not isinstance(item, exp.Literal) or _type(item, env) != left:
            raise ExprError(f"IN list must hold {left} literals: {node.sql()}")
    return Type.BOOL


def _type_function(node: exp.Anonymous) -> Type:
    name = str(node.this).lower()
    fn = FUNCTIONS.get(name)
    if fn is None:
        raise ExprError(f"function not allowed: {node.this}")
    args = node.expressions
    if len(args) != 1 or not isinstance(args[0], exp.Literal) or not args[0].is_string:
        raise ExprError(f"{name}() takes one quoted code: {node.sql()}")
    code = args[0].this
    if code not in fn.codes:
        raise ExprError(f"{name}(): unknown code {code!r}")
    return Type.BOOL


def _number(node: exp.Literal) -> Decimal:
    try:
        value = Decimal(node.this)
    except InvalidOperation:
        raise ExprError(f"not a number: {node.this!r}") from None
    if not value.is_finite():
        raise ExprError(f"not a number: {node.this!r}")
    return value


# --- evaluation (Decimal, SQL NULL semantics) ---------------------------------------------------


def _eval(node: exp.Expression, values: Mapping[str, Any]) -> Any:
    if isinstance(node, exp.Paren):
        return _eval(node.this, values)
    if isinstance(node, exp.Boolean):
        return bool(node.this)
    if isinstance(node, exp.Literal):
        return node.this if node.is_string else _number(node)
    if isinstance(node, exp.Column):
        return values.get(node.name)
    if isinstance(node, exp.And):
        a, b = _eval(node.this, values), _eval(node.expression, values)
        if a is False or b is False:
            return False
        return None if a is None or b is None else True
    if isinstance(node, exp.Or):
        a, b = _eval(node.this, values), _eval(node.expression, values)
        if a is True or b is True:
            return True
        return None if a is None or b is None else False
    if isinstance(node, exp.Not):
        a = _eval(node.this, values)
        return None if a is None else not a
    compare = _COMPARE.get(type(node))
    if compare is not None:
        a, b = _eval(node.this, values), _eval(node.expression, values)
        return None if a is None or b is None else compare(a, b)
    arith = _ARITH.get(type(node))
    if arith is not None:
        a, b = _eval(node.this, values), _eval(node.expression, values)
        return None if a is None or b is None else arith(a, b)
    if isinstance(node, exp.Neg):
        a = _eval(node.this, values)
        return None if a is None else -a
    if isinstance(node, exp.Least | exp.Greatest):
        args = [_eval(a, values) for a in (node.this, *node.expressions)]
        if any(a is None for a in args):
            return None  # strict: unknown if any argument is unknown (compile.py emits the same)
        return min(args) if isinstance(node, exp.Least) else max(args)
    if isinstance(node, exp.In):
        left = _eval(node.this, values)
        if left is None:
            return None
        target = node.args.get("field")
        if target is not None:
            return left in (values.get(target.name) or ())
        return left in [_eval(item, values) for item in node.expressions]
    if isinstance(node, exp.Anonymous):
        fn = FUNCTIONS[str(node.this).lower()]
        held = values.get(fn.field)
        return None if held is None else node.expressions[0].this in held
    raise ExprError(f"construct not allowed: {node.key}")  # pragma: no cover - refused by _type
