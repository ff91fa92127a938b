from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from shuzhuan.applications.exports import public_notice_pdf, public_notice_rows, public_notice_xlsx
from shuzhuan.applications.models import Status
from shuzhuan.applications.tests.factories import advance, draft, open_batch

pytestmark = pytest.mark.django_db


@pytest.fixture
def accepted(county):
    u = county.users
    roles = county.roles()
    batch = open_batch(acting_user=u["bureau_officer"])
    app = advance(draft(batch=batch, enterprise=county.own, firm=u["enterprise"]), Status.ACCEPTED, **roles)
    return batch, app


def test_rows_and_workbook(accepted):
    batch, app = accepted
    rows = public_notice_rows(batch=batch, statuses=[Status.ACCEPTED])
    assert rows == [
        [
            "1",
            app.enterprise.name,
            app.enterprise.uscc,
            "观海卫镇",
            "智能车间改造项目",
            "新一代信息技术数字化改造项目补助",
            "700,000.00",
            "",
            "",
        ]
    ]
    wb = load_workbook(io.BytesIO(public_notice_xlsx(batch=batch, statuses=[Status.ACCEPTED])))
    ws = wb.active
    assert ws is not None
    assert ws["A2"].value == "序号" and ws["B3"].value == app.enterprise.name
    assert ws["A4"].value == "合计"
    assert public_notice_rows(batch=batch) == []  # nothing under notice yet


def test_pdf_is_a_pdf(accepted):
    batch, _ = accepted
    data = public_notice_pdf(batch=batch, statuses=[Status.ACCEPTED])
    assert data.startswith(b"%PDF") and b"STSong-Light" in data


def test_region_keeps_to_an_officers_subtree(accepted, county):
    from shuzhuan.enterprises.models import Region

    batch, _ = accepted
    statuses = [Status.ACCEPTED]
    assert (
        len(public_notice_rows(batch=batch, statuses=statuses, region=Region.objects.get(code="cixi"))) == 1
    )
    zhouxiang = Region.objects.get(code="cixi-zhouxiang")
    assert public_notice_rows(batch=batch, statuses=statuses, region=zhouxiang) == []


def test_pdf_takes_names_with_markup_characters(accepted):
    batch, app = accepted
    app.enterprise.name = "慈溪市<甲&乙>汽配有限公司"
    app.enterprise.save(update_fields=["name"])
    assert public_notice_pdf(batch=batch, statuses=[Status.ACCEPTED]).startswith(b"%PDF")
