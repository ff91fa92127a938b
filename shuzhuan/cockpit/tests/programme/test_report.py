"""统计报告: the seed letters' sentences come out of the records, every figure names its query,
the workbook holds the exact yuan, a town's report is the town's; the task, the pages and the CLI."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db.models import Sum
from django.test import Client
from docx import Document
from openpyxl import load_workbook
from pypdf import PdfReader

from shuzhuan.accounts.models import Role
from shuzhuan.accounts.tests.factories import make_user
from shuzhuan.cli import main
from shuzhuan.cockpit.figures import Period, Scope, figure_value, wan
from shuzhuan.cockpit.report import Report, report_build, report_docx, report_pdf, report_xlsx
from shuzhuan.cockpit.report.workbook import SUMMARY
from shuzhuan.cockpit.tasks import REPORT_TASK, report_dir
from shuzhuan.core.models import BackgroundTask
from shuzhuan.enterprises.models import Region
from shuzhuan.funds.models import LedgerEntry

pytestmark = pytest.mark.django_db

ALL = Scope(None)
PERIOD = Period(2024, 2025)


@pytest.fixture(autouse=True)
def _report_dir(settings: Any, tmp_path: Path) -> None:
    settings.SHUZHUAN_REPORT_DIR = str(tmp_path / "reports")


def _docx_paragraphs(data: bytes) -> list[str]:
    """Each paragraph's text as a reader sees it, without the superscript footnote markers."""
    return [
        "".join(run.text for run in p.runs if not run.font.superscript)
        for p in Document(io.BytesIO(data)).paragraphs
    ]


def _paragraph(paragraphs: list[str], *parts: str) -> str:
    found = [p for p in paragraphs if all(part in p for part in parts)]
    assert len(found) == 1, (parts, paragraphs)
    return found[0]


def _note(report: Report, key: str, period: Period) -> Any:
    (note,) = [n for n in report.footnotes if n.figure.key == key and n.figure.period == period]
    return note


@pytest.mark.usefixtures("programme")
def test_the_report_states_the_seed_letters_figures_each_with_its_query() -> None:
    report = report_build(ALL, PERIOD)
    assert report.title == "慈溪市中小企业数字化转型工作情况统计（2024—2025年）"
    paragraphs = _docx_paragraphs(report_docx(report))
    assert paragraphs[0] == report.title

    new_it = _paragraph(paragraphs, "2024年新一代信息技术项目")
    assert "共对38家企业兑现补助资金526.61万元" in new_it
    pilot = _paragraph(paragraphs, "2025年数字化改造试点项目")
    assert "已验收通过29家企业" in pilot
    assert "核定三级补助资金共871.58万元（中央" in pilot
    assert "中央、宁波、慈溪分别下达资金1423万元、684.81万元、600万元" in pilot

    # One footnote per figure (key, period, filters), numbered in reading order, each naming its
    # key and its query and standing in the notes at the end.
    idents = [(n.figure.key, n.figure.period, n.figure.filters) for n in report.footnotes]
    assert len(idents) == len(set(idents))
    assert [n.number for n in report.footnotes] == list(range(1, len(report.footnotes) + 1))
    notes = paragraphs[paragraphs.index("注释（数据来源）") + 2 :]
    assert len(notes) == len(report.footnotes)
    for note, line in zip(report.footnotes, notes, strict=True):
        assert line.startswith(f"[{note.number}] ")
        assert note.figure.key in line and note.figure.query in line and note.figure.url in line
    paid = _note(report, "paid.amount.new-it", Period.year(2024))
    assert "5,266,100.00元" in paid.text
    # The marker follows its figure in the text.
    doc = Document(io.BytesIO(report_docx(report)))
    runs = [r for p in doc.paragraphs if "2024年新一代信息技术项目" in p.text for r in p.runs]
    at = [i for i, r in enumerate(runs) if r.text == "526.61万元"][-1]
    assert runs[at + 1].font.superscript and runs[at + 1].text == f"[{paid.number}]"

    # The workbook: the exact values in 汇总, and each figure's records summing to its value.
    wb = load_workbook(io.BytesIO(report_xlsx(report)))
    summary = wb[SUMMARY]
    header = [c.value for c in summary[3]]
    rows = {
        (r[header.index("口径代码")], r[header.index("统计期间")]): r
        for r in summary.iter_rows(min_row=4, values_only=True)
    }
    value = header.index("数值")
    assert Decimal(str(rows[("paid.amount.new-it", "2024年")][value])) == Decimal("5266100.00")
    assert rows[("paid.enterprises.new-it", "2024年")][value] == 38
    assert Decimal(str(rows[("alloc.amount.pilot.central", "2025年")][value])) == Decimal("14230000.00")
    assert Decimal(str(rows[("alloc.amount.pilot.city", "2025年")][value])) == Decimal("6848100.00")
    assert Decimal(str(rows[("approved.amount.pilot", "2025年")][value])) == Decimal("8715800.00")
    assert len(wb.sheetnames) == 1 + len(report.footnotes)
    assert all(len(name) <= 31 for name in wb.sheetnames)
    sheet = wb[str(rows[("paid.amount.new-it", "2024年")][header.index("明细表")])]
    columns = [c.value for c in sheet[3]]
    amounts = [r[columns.index("兑现金额（元）")] for r in sheet.iter_rows(min_row=4, values_only=True)]
    assert len(amounts) == 38
    assert sum(Decimal(str(a)) for a in amounts) == Decimal("5266100.00")
    assert sheet.cell(row=4, column=columns.index("兑现金额（元）") + 1).number_format == "#,##0.00"

    # The PDF: a real PDF whose text (the CID font maps back to Unicode) holds the figure.
    reader = PdfReader(io.BytesIO(report_pdf(report)))
    assert len(reader.pages) >= 1
    text = "".join(page.extract_text() for page in reader.pages).replace("\n", "")
    assert "526.61万元" in text and "871.58万元" in text


@pytest.mark.usefixtures("programme")
def test_a_town_report_has_the_towns_own_figures_and_no_allocations() -> None:
    town = Region.objects.get(code="cixi-guanhaiwei")
    report = report_build(Scope(town), PERIOD)
    assert report.title.startswith("观海卫镇")
    assert not [n for n in report.footnotes if n.figure.key.startswith("alloc.")]
    assert all("下达" not in p.text for s in report.sections for p in s.paragraphs)
    assert all("同级比较" not in s.title for s in report.sections)
    paid = _note(report, "paid.amount.new-it", Period.year(2024)).figure
    own = LedgerEntry.objects.filter(
        kind=LedgerEntry.Kind.PAYMENT,
        reversed_by__isnull=True,
        share__award__year=2024,
        share__award__programme="new-it",
        share__award__application__enterprise__town=town,
    ).aggregate(s=Sum("amount"))["s"]
    assert paid.value == own and 0 < own < Decimal("5266100.00")
    county = figure_value("paid.amount.new-it", scope=ALL, period=Period.year(2024))
    assert paid.value < county.value


@pytest.mark.usefixtures("programme")
def test_the_task_writes_three_files_and_only_its_starter_may_download(
    django_capture_on_commit_callbacks: Any,
) -> None:
    bureau = make_user(Role.BUREAU_OFFICER, username="report_bureau")
    client = Client()
    client.force_login(bureau)
    page = client.get("/cockpit/reports/", {"from": "2024", "to": "2025"})
    assert page.status_code == 200 and 'value="2024"' in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/cockpit/reports/", {"from": "2024", "to": "2025"})
    assert response.status_code == 302
    job = BackgroundTask.objects.get(kind=REPORT_TASK, owner_id=bureau.pk)
    assert response["Location"] == f"/cockpit/reports/{job.pk}/"
    assert job.status == BackgroundTask.Status.SUCCEEDED, job.error
    assert job.params == {"from": 2024, "to": 2025, "region": "cixi"}
    assert (job.done, job.total) == (200, 200)
    assert job.result is not None and job.result["figures"] > 20
    files = job.result["files"]
    assert sorted(files) == ["docx", "pdf", "xlsx"]
    assert all((report_dir(job.pk) / name).is_file() for name in files.values())

    html = client.get(f"/cockpit/reports/{job.pk}/").content.decode()
    assert f"/cockpit/reports/{job.pk}/docx" in html and "hx-get" not in html
    assert str(job.pk) in client.get("/cockpit/reports/").content.decode()  # among my recent reports
    download = client.get(f"/cockpit/reports/{job.pk}/docx")
    assert download.status_code == 200
    assert "filename*=UTF-8''%E6%85%88%E6%BA%AA" in download["Content-Disposition"]  # 慈溪…
    text = "\n".join(_docx_paragraphs(download.content))
    assert "共对38家企业兑现补助资金526.61万元" in text
    assert client.get(f"/cockpit/reports/{job.pk}/doc").status_code == 404

    other = Client()
    other.force_login(make_user(Role.BUREAU_OFFICER, username="report_bureau2"))
    assert other.get(f"/cockpit/reports/{job.pk}/").status_code == 404
    assert other.get(f"/cockpit/reports/{job.pk}/docx").status_code == 404
    assert str(job.pk) not in other.get("/cockpit/reports/").content.decode()


@pytest.mark.usefixtures("programme")
def test_a_town_officers_report_is_their_towns(django_capture_on_commit_callbacks: Any) -> None:
    officer = make_user(Role.TOWN_OFFICER, username="report_town", region="cixi-guanhaiwei")
    client = Client()
    client.force_login(officer)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/cockpit/reports/", {"from": "2024", "to": "2025"})
    job = BackgroundTask.objects.get(kind=REPORT_TASK, owner_id=officer.pk)
    assert job.params["region"] == "cixi-guanhaiwei" and job.status == BackgroundTask.Status.SUCCEEDED
    assert job.result is not None and job.result["title"].startswith("观海卫镇")
    text = "\n".join(_docx_paragraphs(client.get(f"/cockpit/reports/{job.pk}/docx").content))
    assert "下达" not in text and "共对38家企业" not in text


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"from": "2025", "to": "2024"}, "起始年度不能晚于截止年度"),
        ({"from": "1999", "to": "2024"}, "不能早于2000年"),
        ({"from": "2010", "to": "2024"}, "最长10年"),
        ({"from": "二〇二四", "to": "2024"}, "四位数"),
    ],
)
def test_the_form_refuses_bad_periods(data: dict[str, str], error: str) -> None:
    client = Client()
    client.force_login(make_user(Role.AUDITOR, username="report_auditor"))
    response = client.post("/cockpit/reports/", data)
    assert response.status_code == 200 and error in response.content.decode()
    assert not BackgroundTask.objects.filter(kind=REPORT_TASK).exists()


@pytest.mark.usefixtures("programme")
def test_cli_writes_the_files_and_refuses_bad_input(tmp_path: Path, capsys: Any) -> None:
    out = tmp_path / "out"
    assert main(["report", "build", "--from", "2024", "--to", "2025", "--out", str(out)]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert sorted(Path(line.strip()).suffix for line in printed[1:]) == [".docx", ".pdf", ".xlsx"]
    assert all(Path(line.strip()).is_file() for line in printed[1:])
    for argv, words in (
        (["--from", "1999", "--to", "2025"], "--from"),
        (["--from", "2025", "--to", "2024"], "--to"),
        (["--from", "2024", "--region", "nowhere"], "--region"),
    ):
        assert main(["report", "build", *argv, "--out", str(out)]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("错误 error: ") and words in err[0], err


@pytest.mark.usefixtures("programme")
def test_peer_ranks_are_stated_county_wide_only(tmp_path: Path) -> None:
    from shuzhuan.cockpit.peers import peer_import, peer_xlsx

    path = tmp_path / "peers.xlsx"
    path.write_bytes(peer_xlsx([("accepted.enterprises", 2025, "宁波", "余姚市", 3)]))
    assert peer_import(acting_user=None, path=path, filename=path.name).ok
    report = report_build(ALL, PERIOD)
    accepted = figure_value("accepted.enterprises", scope=ALL, period=Period.year(2025))
    (section,) = [s for s in report.sections if s.title.endswith("同级比较")]
    # No activities in this fixture: the sections that are there are numbered without a gap.
    assert [s.title for s in report.sections] == [
        "一、企业梯队培育",
        "二、项目申报与资金兑现",
        "三、同级比较",
    ]
    (paragraph,) = section.paragraphs
    assert paragraph.text == f"2025年慈溪市{accepted.label}为{accepted.display}，居宁波第一。"
    assert _note(report, "accepted.enterprises", Period.year(2025)).figure == accepted

    town = report_build(Scope(Region.objects.get(code="cixi-guanhaiwei")), PERIOD)
    assert all("同级比较" not in s.title for s in town.sections)


@pytest.mark.usefixtures("programme")
def test_activities_training_and_the_employment_rate_footnoted_with_both_figures() -> None:
    from shuzhuan.demo_activities import demo_activities_load

    demo_activities_load(seed=11)
    report = report_build(ALL, PERIOD)
    (section,) = [s for s in report.sections if s.title.endswith("活动与人才")]
    assert section.title == "三、活动与人才"
    segments = [seg for p in section.paragraphs for seg in p.segments]
    employed = figure_value("training.employed", scope=ALL, period=PERIOD)
    completed = figure_value("training.completed", scope=ALL, period=PERIOD)
    assert completed.value > 0
    # the period's rate first; the running total since the first class follows it
    rate = next(seg for seg in segments if seg.text.endswith("%"))
    rate_value = (employed.value * 100 / completed.value).quantize(Decimal("0.1"))
    assert rate.text == f"{rate_value}%" and rate.figure is None
    numbers = {n.figure.key: n.number for n in report.footnotes if n.figure.period == PERIOD}
    assert rate.notes == (numbers["training.employed"], numbers["training.completed"])
    text = "".join(p.text for p in section.paragraphs)
    for key in ("events.count.onsite", "training.classes", "training.trainees", "certs.count"):
        fig = figure_value(key, scope=ALL, period=PERIOD)
        assert fig.value > 0 and fig.display in text and key in numbers, key

    # "3 classes, 100+ trained, 100% employed": the period's classes, then the running total since
    # the first class (the demo's three 数字化专员 classes, 2023–2025)
    classes = figure_value("training.classes", scope=ALL, period=Period(2023, 2025))
    trainees = figure_value("training.trainees", scope=ALL, period=Period(2023, 2025))
    employed = figure_value("training.employed", scope=ALL, period=Period(2023, 2025))
    assert (classes.value, trainees.value >= 100, employed.value) == (3, True, trainees.value)
    text = _paragraph(
        _docx_paragraphs(report_docx(report_build(ALL, Period.year(2025)))), "开办数字化人才培训班"
    )
    assert text.startswith("开办数字化人才培训班1期")
    assert f"；自2023年以来累计开办数字化人才培训班3期，培训学员{int(trainees.value)}人" in text
    assert text.endswith("就业率100.0%。")


@pytest.mark.usefixtures("programme")
def test_accepted_projects_still_to_be_approved_are_stated_as_expected_money() -> None:
    """The seed letter's wording for the first pilot batch: 29 enterprises accepted, money across
    three levels *expected*. Here the batch is put back to the moment before the amounts were
    approved (status 验收通过, no standing award; in this test's savepoint only): the report states
    the ceilings set at acceptance, split by the batch's funding split."""
    from shuzhuan.applications.models import Application, Status

    pilot = Application.objects.filter(batch__code="2025-pilot")
    assert pilot.update(status=Status.ACCEPTED) == 29
    paragraphs = _docx_paragraphs(report_docx(report_build(ALL, PERIOD)))
    text = _paragraph(paragraphs, "2025年数字化改造试点项目")
    assert (
        "已验收通过29家企业，预计补助三级资金共871.58万元（中央435.79万元、宁波217.9万元、慈溪217.9万元）"
        in text
    )
    assert "补助金额尚待核定" in text
    # half of them approved: the expected total stays, with what is already approved beside it
    approved = list(pilot.order_by("number")[:15])
    Application.objects.filter(pk__in=[a.pk for a in approved]).update(status=Status.APPROVED)
    part = sum((a.approved_amount for a in approved if a.approved_amount), Decimal("0.00"))
    text = _paragraph(_docx_paragraphs(report_docx(report_build(ALL, PERIOD))), "2025年数字化改造试点项目")
    assert "预计补助三级资金共871.58万元" in text
    assert f"其中已核定{wan(part)}万元" in text
