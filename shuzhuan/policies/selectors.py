"""Reads over stored policy editions: the rulebook in force, an edition's parameters and the
changes a draft makes to the edition it is based on."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import DatabaseError

from shuzhuan.core.errors import ApplicationError
from shuzhuan.policies.models import PolicyEdition
from shuzhuan.rules.fields import FUNDING_LEVEL_LABELS, FUNDING_LEVELS
from shuzhuan.rules.loader import (
    RulebookError,
    default_rulebook,
    edition_from_document,
    rulebook_from_editions,
)
from shuzhuan.rules.model import Edition, Rulebook
from shuzhuan.rules.parameters import (
    AppliedChange,
    ParameterAssignment,
    ParameterError,
    document_parameters_set,
    parameter_value,
)

_cache_lock = threading.Lock()
_cache: dict[str, Any] = {"key": None, "rulebook": None}


def edition_rulebook() -> Rulebook:
    """The published editions in the database, as one rulebook (what the calculator uses).

    Decided: the database is the source once it has the editions table — a freshly migrated one
    holds the shipped editions, published. Only when there is no such table (a database that was
    never migrated, e.g. ``shuzhuan policy calc`` in a bare checkout) do the package files serve.
    """
    try:
        key = tuple(
            PolicyEdition.objects.filter(status=PolicyEdition.Status.PUBLISHED)
            .order_by("pk")
            .values_list("pk", "updated_at")
        )
    except DatabaseError:  # no editions table: the database was never migrated
        return default_rulebook()
    with _cache_lock:
        if _cache["key"] == key and _cache["rulebook"] is not None:
            return _cache["rulebook"]
    stored = PolicyEdition.objects.filter(status=PolicyEdition.Status.PUBLISHED)
    rulebook = rulebook_from_editions(edition_from_document(e.document) for e in stored)
    with _cache_lock:
        _cache.update(key=key, rulebook=rulebook)
    return rulebook


def edition_built(edition: PolicyEdition) -> Edition:
    """The stored document as the rulebook's Edition (validated)."""
    return edition_from_document(edition.document)


def edition_reformed(
    edition: PolicyEdition, changes: Sequence[ParameterAssignment]
) -> tuple[Edition, list[AppliedChange]]:
    """The stored edition with parameter changes that are not saved (the what-if preview,
    ``shuzhuan policy impact --set``), validated as publishing would, and the changes made. A
    refusal is an ApplicationError naming the edition, policy and step."""
    try:
        document, applied = document_parameters_set(edition.document, changes)
    except ParameterError as exc:
        raise ApplicationError(exc.message, field=exc.field, extra={"index": exc.index}) from None
    try:
        return edition_from_document(document), applied
    except RulebookError as exc:
        raise ApplicationError(f"校验未通过：{exc}", field="value") from None


@dataclass(frozen=True)
class Parameter:
    policy: str
    policy_title: str
    step: str
    unit: str
    note: str
    value: Decimal


def edition_parameters(edition: PolicyEdition) -> list[Parameter]:
    rows = []
    for policy in edition.document.get("policies", []):
        for step in policy.get("steps", []):
            value = parameter_value(step.get("expr"))
            if value is not None:
                rows.append(
                    Parameter(
                        policy=policy["id"],
                        policy_title=policy.get("title", ""),
                        step=step["name"],
                        unit=step.get("unit", "yuan"),
                        note=step.get("note", ""),
                        value=value,
                    )
                )
    return rows


@dataclass(frozen=True)
class ParameterChange:
    policy: str
    policy_title: str
    step: str
    unit: str
    before: Decimal | None
    after: Decimal


def _suffix(policy_id: str, edition_id: str) -> str:
    return policy_id.removeprefix(f"{edition_id}-")


def edition_changes(edition: PolicyEdition) -> list[ParameterChange]:
    """Each parameter whose value differs from the edition this one is based on (before → after).
    Policies are matched by their id without the edition prefix (cixi-2025-ai ↔ cixi-2026-ai)."""
    base = edition.based_on
    if base is None:
        return []
    before = {(_suffix(p.policy, base.edition_id), p.step): p.value for p in edition_parameters(base)}
    changes = []
    for p in edition_parameters(edition):
        old = before.get((_suffix(p.policy, edition.edition_id), p.step))
        if old is None or old != p.value:
            changes.append(ParameterChange(p.policy, p.policy_title, p.step, p.unit, old, p.value))
    return changes


@dataclass(frozen=True)
class SettingChange:
    """An edition-level setting that differs from the edition this one is based on."""

    setting: str  # key_industries | funding_split
    label: str
    before: str
    after: str


def _industries_text(codes: Any) -> str:
    return "、".join(str(c) for c in codes or [])


def _split_text(split: Any) -> str:
    split = split or {}
    return " / ".join(f"{FUNDING_LEVEL_LABELS[level]} {split.get(level, '—')}" for level in FUNDING_LEVELS)


def edition_setting_changes(edition: PolicyEdition) -> list[SettingChange]:
    """The key industries and the edition's funding split, where they differ from ``based_on``.
    (Shares are compared as numbers: "0.5" and "0.50" are the same share.)"""
    base = edition.based_on
    if base is None:
        return []
    new, old = edition.document, base.document
    changes = []
    if list(new.get("key_industries") or []) != list(old.get("key_industries") or []):
        changes.append(
            SettingChange(
                "key_industries",
                "重点行业",
                _industries_text(old.get("key_industries")),
                _industries_text(new.get("key_industries")),
            )
        )
    if _shares(new.get("funding_split")) != _shares(old.get("funding_split")):
        changes.append(
            SettingChange(
                "funding_split",
                "三级资金分担比例",
                _split_text(old.get("funding_split")),
                _split_text(new.get("funding_split")),
            )
        )
    return changes


def _shares(split: Any) -> dict[str, Decimal | None]:
    split = split if isinstance(split, dict) else {}
    return {level: parameter_value(split.get(level)) for level in FUNDING_LEVELS}
