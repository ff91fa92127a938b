"""Load and validate every edition under a directory — all of them, or none.

Unknown keys, a missing citation, bad or overlapping dates, an unlisted policy file and any
expression that does not type-check are refused with one message naming the edition, the
policy and the step (``cixi-2025-ai / cap: unknown field 'verfied_investment'``).
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from shuzhuan.rules.expr import ExprError, compile_expr
from shuzhuan.rules.fields import FUNDING_LEVELS, Type, base_environment
from shuzhuan.rules.model import (
    STACKING_RULES,
    Citation,
    Condition,
    Edition,
    Policy,
    Rulebook,
    Step,
)

EDITIONS_DIR = Path(__file__).parent / "editions"

_EDITION_KEYS = {
    "id",
    "document",
    "title",
    "effective_from",
    "effective_to",
    "key_industries",
    "stacking",
    "funding_split",
    "policies",
}
_EDITION_REQUIRED = _EDITION_KEYS - {"effective_to"}
_POLICY_KEYS = {
    "id",
    "scope",
    "title",
    "summary",
    "citation",
    "conditions",
    "steps",
    "once_per_enterprise",
    "reward_group",
    "funding_split",
    "auto_grant",
}
_POLICY_REQUIRED = {"id", "scope", "title", "summary", "citation", "conditions", "steps"}
_CITATION_KEYS = {"document", "clause", "title"}
_CONDITION_KEYS = {"expr", "unmet"}
_STEP_KEYS = {"name", "expr", "unit", "note"}
_UNITS = {"yuan", "ratio"}
_INDUSTRY_CODE = re.compile(r"^[a-z][a-z0-9_]*$")  # as the registry's Industry.code and case.py


class RulebookError(ValueError):
    """An edition that cannot be loaded; the message names where."""


def load_rulebook(root: Path | str = EDITIONS_DIR) -> Rulebook:
    root = Path(root)
    if not root.is_dir():
        raise RulebookError(f"{root}: not a directory")
    editions = [
        edition_from_document(edition_document(d)) for d in sorted(p for p in root.iterdir() if p.is_dir())
    ]
    if not editions:
        raise RulebookError(f"{root}: no editions")
    return rulebook_from_editions(editions)


def rulebook_from_editions(editions: Iterable[Edition]) -> Rulebook:
    """Editions (from files or from the database) → a rulebook; refuses duplicate ids and overlaps."""
    ordered = sorted(editions, key=lambda e: e.effective_from)
    ids = [e.id for e in ordered]
    if len(set(ids)) != len(ids):
        raise RulebookError(f"duplicate edition ids: {', '.join(sorted(ids))}")
    for before, after in itertools.pairwise(ordered):
        if before.effective_to is None or before.effective_to >= after.effective_from:
            raise RulebookError(
                f"{before.id}: effective dates overlap {after.id} "
                f"(give {before.id} an effective_to before {after.effective_from.isoformat()})"
            )
    return Rulebook(editions=tuple(ordered))


@lru_cache(maxsize=1)
def default_rulebook() -> Rulebook:
    """The shipped editions (package files), loaded once per process."""
    return load_rulebook(EDITIONS_DIR)


def _read_yaml(path: Path, where: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise RulebookError(f"{where}: {path.name} is not valid YAML: {first}") from None
    if not isinstance(data, dict):
        raise RulebookError(f"{where}: {path.name} must hold a mapping")
    return data


def _keys(data: dict[str, Any], allowed: set[str], required: set[str], where: str) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise RulebookError(f"{where}: unknown key(s): {', '.join(map(str, unknown))}")
    missing = sorted(required - set(data))
    if missing:
        raise RulebookError(f"{where}: missing key(s): {', '.join(missing)}")


def _text(value: Any, where: str, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise RulebookError(f"{where}: {key} must be non-empty text")
    return value.strip()


def _date(value: Any, where: str, key: str) -> dt.date:
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
        raise RulebookError(f"{where}: {key} must be a date YYYY-MM-DD, got {value!r}")
    return value


def _split(value: Any, where: str) -> dict[str, Decimal]:
    if not isinstance(value, dict) or set(value) != set(FUNDING_LEVELS):
        raise RulebookError(f"{where}: funding_split needs exactly {', '.join(FUNDING_LEVELS)}")
    shares: dict[str, Decimal] = {}
    for level in FUNDING_LEVELS:
        raw = value[level]
        if isinstance(raw, float | bool) or not isinstance(raw, str | int):
            raise RulebookError(f"{where}: funding_split.{level} must be quoted text such as '0.25'")
        try:
            share = Decimal(str(raw))
        except InvalidOperation:
            raise RulebookError(f"{where}: funding_split.{level} is not a number: {raw!r}") from None
        if not share.is_finite() or share < 0 or share > 1:
            raise RulebookError(f"{where}: funding_split.{level} must be between 0 and 1")
        shares[level] = share
    if sum(shares.values()) != 1:
        raise RulebookError(f"{where}: funding_split shares must sum to 1")
    return shares


def edition_document(directory: Path | str) -> dict[str, Any]:
    """One edition directory as one JSON-able mapping — ``edition.yaml`` with ``policies`` holding
    each listed policy file's mapping, dates as ISO text. This is what the database stores."""
    directory = Path(directory)
    where = directory.name
    path = directory / "edition.yaml"
    if not path.exists():
        raise RulebookError(f"{where}: edition.yaml is missing")
    data = _read_yaml(path, where)
    _keys(data, _EDITION_KEYS, _EDITION_REQUIRED, where)
    edition_id = _text(data["id"], where, "id")
    if edition_id != directory.name:
        raise RulebookError(f"{where}: id {edition_id!r} must match its directory name")
    names = data["policies"]
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise RulebookError(f"{where}: policies must list the policy files (without .yaml)")
    files = {p.stem for p in directory.glob("*.yaml")} - {"edition"}
    unlisted = sorted(files - set(names))
    if unlisted:
        raise RulebookError(f"{where}: policy files not listed in edition.yaml: {', '.join(unlisted)}")
    policies = []
    for name in names:
        file = directory / f"{name}.yaml"
        if not file.exists():
            raise RulebookError(f"{where}: listed policy file {name}.yaml is missing")
        policy = _read_yaml(file, f"{edition_id} / {file.name}")
        policy_id = _text(policy.get("id"), f"{edition_id} / {file.name}", "id")
        if policy_id != f"{edition_id}-{name}":
            raise RulebookError(f"{policy_id}: id must be {edition_id}-{name}")
        policies.append(policy)
    return _jsonable({**data, "policies": policies})


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def edition_from_document(data: Mapping[str, Any]) -> Edition:
    """Validate one edition held as a mapping (``edition_document``'s shape, as the database
    stores it) and build it; every refusal is a RulebookError naming edition, policy and step."""
    if not isinstance(data, Mapping):
        raise RulebookError("an edition must be a mapping")
    where = str(data.get("id") or "edition")
    _keys(dict(data), _EDITION_KEYS, _EDITION_REQUIRED, where)
    edition_id = _text(data["id"], where, "id")
    start = _date(data["effective_from"], where, "effective_from")
    end = None if data.get("effective_to") is None else _date(data["effective_to"], where, "effective_to")
    if end is not None and end < start:
        raise RulebookError(f"{where}: effective_to is before effective_from")
    industries = data["key_industries"]
    if not isinstance(industries, list) or not industries or not all(isinstance(i, str) for i in industries):
        raise RulebookError(f"{where}: key_industries must be a list of industry codes")
    for code in industries:
        if not _INDUSTRY_CODE.match(code):
            raise RulebookError(
                f"{where}: key_industries: {code!r} is not an industry code (e.g. auto_parts)"
            )
    if len(set(industries)) != len(industries):
        raise RulebookError(f"{where}: key_industries lists an industry twice")
    stacking = data["stacking"]
    if stacking not in STACKING_RULES:
        raise RulebookError(
            f"{where}: unknown stacking rule {stacking!r} (known: {', '.join(STACKING_RULES)})"
        )
    split = _split(data["funding_split"], where)
    raw_policies = data["policies"]
    if not isinstance(raw_policies, list) or not raw_policies:
        raise RulebookError(f"{where}: policies must be a non-empty list")
    policies = []
    for i, raw in enumerate(raw_policies, 1):
        if not isinstance(raw, Mapping):
            raise RulebookError(f"{where} / policy {i}: must be a mapping")
        policies.append(_build_policy(dict(raw), edition_id, split))
    ids = [p.id for p in policies]
    if len(set(ids)) != len(ids):
        raise RulebookError(f"{where}: duplicate policy ids")
    return Edition(
        id=edition_id,
        document=_text(data["document"], where, "document"),
        title=_text(data["title"], where, "title"),
        effective_from=start,
        effective_to=end,
        key_industries=tuple(industries),
        stacking=stacking,
        funding_split=split,
        policies=tuple(policies),
    )


def _build_policy(data: dict[str, Any], edition_id: str, default_split: dict[str, Decimal]) -> Policy:
    policy_id = _text(data.get("id"), f"{edition_id} / policy", "id")
    where = f"{policy_id}"
    if not policy_id.startswith(f"{edition_id}-"):
        raise RulebookError(f"{where}: id must start with {edition_id}-")
    if "citation" not in data or not data["citation"]:
        raise RulebookError(f"{where}: missing citation (document, clause, title)")
    _keys(data, _POLICY_KEYS, _POLICY_REQUIRED, where)
    scope = data["scope"]
    if scope not in ("project", "enterprise"):
        raise RulebookError(f"{where}: scope must be project or enterprise")
    cit = data["citation"]
    if not isinstance(cit, dict):
        raise RulebookError(f"{where}: citation must be a mapping of document, clause, title")
    _keys(cit, _CITATION_KEYS, _CITATION_KEYS, f"{where} / citation")
    citation = Citation(
        **{k: _text(cit[k], f"{where} / citation", k) for k in ("document", "clause", "title")}
    )

    env = base_environment()
    steps: list[Step] = []
    raw_steps = data["steps"]
    if not isinstance(raw_steps, list) or not raw_steps:
        raise RulebookError(f"{where}: steps must be a non-empty list")
    for i, raw in enumerate(raw_steps, 1):
        if not isinstance(raw, dict):
            raise RulebookError(f"{where} / step {i}: must be a mapping")
        name = raw.get("name")
        swhere = f"{where} / {name or f'step {i}'}"
        _keys(raw, _STEP_KEYS, {"name", "expr", "note"}, swhere)
        if not isinstance(name, str) or not name.isidentifier() or name in env:
            raise RulebookError(f"{swhere}: step name must be a new identifier")
        unit = raw.get("unit", "yuan")
        if unit not in _UNITS:
            raise RulebookError(f"{swhere}: unit must be one of {', '.join(sorted(_UNITS))}")
        expr = _expr(raw["expr"], env, Type.NUMBER, swhere)
        steps.append(Step(name=name, expr=expr, unit=unit, note=_text(raw["note"], swhere, "note")))
        env[name] = Type.NUMBER
    if steps[-1].name != "ceiling" or steps[-1].unit != "yuan":
        raise RulebookError(f"{where}: the last step must be 'ceiling' in yuan")

    conditions: list[Condition] = []
    raw_conditions = data["conditions"]
    if not isinstance(raw_conditions, list) or not raw_conditions:
        raise RulebookError(f"{where}: conditions must be a non-empty list")
    for i, raw in enumerate(raw_conditions, 1):
        cwhere = f"{where} / condition {i}"
        if not isinstance(raw, dict):
            raise RulebookError(f"{cwhere}: must be a mapping with expr and unmet")
        _keys(raw, _CONDITION_KEYS, _CONDITION_KEYS, cwhere)
        conditions.append(
            Condition(
                expr=_expr(raw["expr"], env, Type.BOOL, cwhere), unmet=_text(raw["unmet"], cwhere, "unmet")
            )
        )

    once = data.get("once_per_enterprise", False)
    if not isinstance(once, bool):
        raise RulebookError(f"{where}: once_per_enterprise must be true or false")
    if once and scope != "enterprise":
        raise RulebookError(f"{where}: once_per_enterprise applies to enterprise-scope rewards only")
    auto_grant = data.get("auto_grant", False)
    if not isinstance(auto_grant, bool):
        raise RulebookError(f"{where}: auto_grant must be true or false")
    if auto_grant and scope != "enterprise":
        raise RulebookError(f"{where}: auto_grant (免申即享) applies to enterprise-scope policies only")
    group = data.get("reward_group", policy_id)
    return Policy(
        id=policy_id,
        scope=scope,
        title=_text(data["title"], where, "title"),
        summary=_text(data["summary"], where, "summary"),
        citation=citation,
        conditions=tuple(conditions),
        steps=tuple(steps),
        once_per_enterprise=once,
        reward_group=_text(group, where, "reward_group"),
        funding_split=_split(data["funding_split"], where) if "funding_split" in data else default_split,
        auto_grant=auto_grant,
    )


def _expr(raw: Any, env: dict[str, Type], expect: Type, where: str) -> Any:
    if isinstance(raw, (bool, float)):
        raise RulebookError(f"{where}: write the expression as quoted text, got {raw!r}")
    try:
        return compile_expr(str(raw), env, expect=expect)
    except ExprError as exc:
        raise RulebookError(f"{where}: {exc}") from None
