"""同级比较 (shuzhuan.cockpit.peers): the imported figures of peer counties by year and group,
our live value and rank beside them, the bureau's .xlsx upload and the blank template.

Who: a rank compares counties, so the page is for officers whose region is the county or above
— the bureau and the auditor (Perm.COCKPIT_VIEW and ``access_scope_region`` at county level or
higher). A town officer gets a 403 here rather than a list: every statement on this page is a
county's, and a town's own figures cannot be ranked among counties (see ``peer_ranks``). Only
Perm.PEER_IMPORT (the bureau) uploads. A file with any bad row stores nothing: the page comes
back with every error by row and column.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from shuzhuan.accounts.access import Perm, access_has, access_require, access_scope_region, access_view
from shuzhuan.cockpit.figures import indicator_label
from shuzhuan.cockpit.models import PeerFigure
from shuzhuan.cockpit.peers import (
    PeerRank,
    peer_figures,
    peer_import,
    peer_ranks,
    peer_template_xlsx,
    peer_years,
)
from shuzhuan.core.errors import ApplicationError
from shuzhuan.enterprises.models import Region
from shuzhuan.web.downloads import XLSX, download_response

_COUNTY_OR_ABOVE = {Region.Level.PROVINCE, Region.Level.CITY, Region.Level.COUNTY}


class PeerUploadForm(forms.Form):
    file = forms.FileField(
        label="同级比较数据（.xlsx）", error_messages={"required": "请选择要上传的 .xlsx 文件。"}
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError("只支持 Excel 工作簿（.xlsx）：请用 Excel 另存为 .xlsx 后上传。")
        if upload.size > settings.SHUZHUAN_IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                f"文件超过 {settings.SHUZHUAN_IMPORT_MAX_BYTES // (1024 * 1024)} MB 上限。"
            )
        return upload


def _county_scope(user: Any) -> Region:
    """The viewer's region, when it is the county or above; a 403 otherwise (see the module)."""
    region = access_scope_region(user)
    if region is None or region.level not in _COUNTY_OR_ABOVE:
        raise PermissionDenied("同级比较按县（市、区）排名，仅供县级及以上的用户查看。")
    return region


def _number(value: Decimal | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}"


@dataclass
class _Block:
    indicator: str
    label: str
    group: str
    rank: PeerRank | None
    rows: list[tuple[str, str, str, bool]]  # (rank, name, value, is_us)
    imported_own: str
    mismatch: bool
    source: str


def _blocks(year: int, region: Region) -> list[_Block]:
    ranks = {(r.indicator, r.group): r for r in peer_ranks(year, region)}
    grouped: dict[tuple[str, str], list[PeerFigure]] = {}
    for figure in peer_figures(year=year):
        grouped.setdefault((figure.indicator, figure.group), []).append(figure)
    blocks: list[_Block] = []
    for (indicator, group), rows in grouped.items():
        rank = ranks.get((indicator, group))
        if rank is not None:
            table = [(str(p), name, _number(v), us) for p, name, v, us in rank.standings]
            imported_own = _number(rank.imported_own) if rank.imported_own is not None else ""
            mismatch = rank.imported_own_matches is False
        else:
            ordered = sorted(rows, key=lambda f: (-f.value, f.region_name))
            table = [("", f.region_name, _number(f.value), False) for f in ordered]
            imported_own, mismatch = "", False
        blocks.append(
            _Block(
                indicator=indicator,
                label=(rank.label if rank else indicator_label(indicator)) or indicator,
                group=group,
                rank=rank,
                rows=table,
                imported_own=imported_own,
                mismatch=mismatch,
                source="、".join(sorted({f.source for f in rows})),
            )
        )
    order = {(r.indicator, r.group): i for i, r in enumerate(ranks.values())}
    blocks.sort(key=lambda b: (order.get((b.indicator, b.group), len(order)), b.indicator, b.group))
    return blocks


def _year(request: HttpRequest, years: list[int]) -> int | None:
    raw = request.GET.get("year", "")
    if raw.isdigit() and int(raw) in years:
        return int(raw)
    return years[0] if years else None


@require_http_methods(["GET", "POST"])
@access_view(Perm.COCKPIT_VIEW)
def cockpit_peers(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        access_require(request.user, Perm.PEER_IMPORT)
    region = _county_scope(request.user)
    form = PeerUploadForm()
    errors: list[str] = []
    if request.method == "POST":
        form = PeerUploadForm(request.POST, request.FILES)
        if form.is_valid():
            errors = _upload(request, form.cleaned_data["file"])
            if not errors:
                return redirect("web:cockpit_peers")
    years = peer_years()
    year = _year(request, years)
    context = {
        "active_nav": "cockpit",
        "form": form,
        "errors": errors,
        "years": years,
        "year": year,
        "blocks": _blocks(year, region) if year is not None else [],
        "can_import": access_has(request.user, Perm.PEER_IMPORT),
    }
    return render(request, "web/cockpit_peers.html", context, status=200)


def _upload(request: HttpRequest, upload: Any) -> list[str]:
    """Store the upload in a temporary file, import it; the errors to show (none: stored)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "peers.xlsx"
        with path.open("wb") as fh:
            for chunk in upload.chunks():
                fh.write(chunk)
        try:
            report = peer_import(acting_user=request.user, path=path, filename=upload.name)
        except ApplicationError as exc:
            return [f"{upload.name}：{exc.message}（未写入任何数据）"]
    if not report.ok:
        return [report.summary(), *report.error_lines()]
    messages.success(request, f"{upload.name}：{report.summary()}")
    return []


@require_GET
@access_view(Perm.PEER_IMPORT)
def cockpit_peers_template(request: HttpRequest) -> HttpResponse:
    return download_response(
        peer_template_xlsx(),
        filename="同级比较导入模板.xlsx",
        fallback="peer-figures-template.xlsx",
        content_type=XLSX,
    )
