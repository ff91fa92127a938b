"""Render ``docs/policies.md`` from the editions (``shuzhuan policy docs > docs/policies.md``)."""

from __future__ import annotations

from decimal import Decimal

from shuzhuan.rules.fields import FIELDS, FUNCTIONS
from shuzhuan.rules.model import STACKING_RULES, Rulebook

HEADER = """\
# 政策规则 / Policies

<!-- Generated from shuzhuan/rules/editions by `shuzhuan policy docs > docs/policies.md`
     (or `make policies-docs`). Do not edit by hand: a test checks this file is current. -->

Every amount is a ceiling (“以内”“最高”): min(basis × rate, cap), rounded half-up to the fen; the
officer approves an amount at or below it. In the texts 以上/以下/以内 include the number itself.
The shipped editions are read from the package files; holding them in the database for editing
and publishing through the web is a later step.
"""


def _percent(text: str) -> str:
    digits = format(Decimal(text) * 100, "f")
    return (digits.rstrip("0").rstrip(".") if "." in digits else digits) + "%"


def _money(text: str) -> str:
    try:
        return f"{int(text):,}"
    except ValueError:
        return text


def render_policies_md(book: Rulebook) -> str:
    out = [HEADER]
    out.append("## Editions\n")
    out.append(
        "| edition | document (文号) | in force | key industries | stacking | funding split (central/city/county) |"
    )
    out.append("| --- | --- | --- | --- | --- | --- |")
    for e in book.editions:
        until = e.effective_to.isoformat() if e.effective_to else "until replaced"
        split = " / ".join(str(e.funding_split[k]) for k in ("central", "city", "county"))
        out.append(
            f"| `{e.id}` | {e.document} | {e.effective_from.isoformat()} – {until} | "
            f"{', '.join(e.key_industries)} | {e.stacking}（{STACKING_RULES[e.stacking]}） | {split} |"
        )
    out.append("")
    out.append("## Policies\n")
    out.append(
        "| id | scope | title | basis | rate | threshold | cap | once per enterprise | auto-grant (免申即享) | source |"
    )
    out.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for e in book.editions:
        for p in e.policies:
            steps = {s.name: s.expr.text for s in p.steps}
            rate = steps.get("rate")
            out.append(
                f"| `{p.id}` | {p.scope} | {p.title} | {steps.get('basis', '—')} | "
                f"{_percent(rate) if rate else '—'} | {_money(steps.get('threshold', '—'))} | "
                f"{_money(steps.get('cap', '—'))} | {'yes' if p.once_per_enterprise else '—'} | "
                f"{'yes' if p.auto_grant else '—'} | {p.citation} |"
            )
    out.append("")
    for e in book.editions:
        out.append(f"## {e.id}: {e.document}\n")
        for p in e.policies:
            out.append(f"### `{p.id}` {p.title}\n")
            out.append(f"{p.summary}\n")
            out.append(f"Source: {p.citation}\n")
            if p.auto_grant:
                out.append(
                    "免申即享 (auto-grant): an eligible enterprise is awarded from the data, without an "
                    "application; an officer approves the amount before it is paid.\n"
                )
            out.append("Conditions (all must hold):\n")
            for c in p.conditions:
                out.append(f"- `{c.expr.text}` — otherwise: {c.unmet}")
            out.append("\nSteps:\n")
            for s in p.steps:
                out.append(f"- **{s.name}** = `{s.expr.text}` ({s.unit}) — {s.note}")
            out.append("")
    out.append("## Fields an expression may use\n")
    out.append("| name | entity | type | 中文 |")
    out.append("| --- | --- | --- | --- |")
    for f in FIELDS.values():
        out.append(f"| `{f.name}` | {f.entity} | {f.type} | {f.label} |")
    out.append("")
    for fn in FUNCTIONS.values():
        out.append(f"- `{fn.name}('code')` tests `{fn.field}`; codes: {', '.join(fn.codes)}")
    out.append("- `key_industries`: the edition's key-industry list, as in `industry IN key_industries`")
    return "\n".join(out) + "\n"
