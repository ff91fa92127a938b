"""智能应答 on the pages: the 政策问答 panel (an htmx ask gets the exchange back, a plain POST the
page with it), the public policy page (no login; anonymous asks limited per session), and the
bureau's pages — ingesting files with errors that name the file, the unanswered questions and a
curated FAQ answer that resolves one and then takes precedence. (Which role gets which status on
every URL is in tests/test_authorization_matrix.py; the browser flow is tests/e2e/test_qa_flow.py.)
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from conftest import County
from shuzhuan.qa.models import FAQ, Document, UnansweredQuestion
from shuzhuan.qa.tests.documents import docx_bytes

pytestmark = pytest.mark.django_db

QUESTION = "我投了80万做AI大模型项目能补多少？"
UNKNOWN = "食堂的菜单是什么"
HTMX = {"HX-Request": "true"}


def _client(county: County, role: str) -> Client:
    client = Client()
    client.force_login(county.users[role])
    return client


def test_every_signed_in_role_finds_the_panel_in_the_nav(county: County) -> None:
    for role in county.users:
        page = _client(county, role).get("/").content.decode()
        assert 'href="/qa/"' in page and "政策问答" in page, role
    assert "问答管理" in _client(county, "bureau_officer").get("/").content.decode()
    assert "问答管理" not in _client(county, "town_officer").get("/").content.decode()
    assert 'data-testid="home-qa"' in _client(county, "enterprise").get("/").content.decode()


def test_an_htmx_ask_returns_the_exchange_with_amount_and_citation(county: County) -> None:
    response = _client(county, "enterprise").post("/qa/", {"question": QUESTION}, headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html  # the fragment only
    assert QUESTION in html
    assert "300,000.00" in html
    assert "慈经信建〔2025〕15号" in html
    assert "置信度" in html


def test_a_plain_post_returns_the_page_with_the_exchange(county: County) -> None:
    response = _client(county, "enterprise").post("/qa/", {"question": QUESTION})
    html = response.content.decode()
    assert "<html" in html and 'data-testid="qa-exchange"' in html and "300,000.00" in html


def test_a_question_without_a_basis_is_passed_to_staff(county: County) -> None:
    html = _client(county, "enterprise").post("/qa/", {"question": UNKNOWN}, headers=HTMX).content.decode()
    assert "已转交工作人员" in html
    assert UnansweredQuestion.objects.filter(question=UNKNOWN, user=county.users["enterprise"]).exists()


def test_an_empty_question_is_refused_in_chinese(county: County) -> None:
    html = _client(county, "enterprise").post("/qa/", {"question": ""}, headers=HTMX).content.decode()
    assert "请输入问题" in html


def test_the_public_page_lists_the_policies_in_force_without_login() -> None:
    html = Client().get("/policy-qa/").content.decode()
    assert "人工智能大模型应用项目补助" in html
    assert "慈经信建〔2025〕15号" in html
    assert "300,000.00" in html  # the AI project's cap
    assert 'data-testid="qa-form"' in html


def test_an_anonymous_visitor_may_ask_on_the_public_page_within_the_limit(settings: Any) -> None:
    settings.SHUZHUAN_QA_PUBLIC_ASKS_PER_MINUTE = 2
    client = Client()
    for _ in range(2):
        html = client.post("/policy-qa/", {"question": QUESTION}, headers=HTMX).content.decode()
        assert "300,000.00" in html
    html = client.post("/policy-qa/", {"question": QUESTION}, headers=HTMX).content.decode()
    assert "提问过于频繁" in html and "300,000.00" not in html
    # an anonymous question without a basis is logged without an asker
    Client().post("/policy-qa/", {"question": UNKNOWN})
    assert UnansweredQuestion.objects.get(question=UNKNOWN).user is None


def test_a_signed_in_user_is_not_limited_on_the_public_page(county: County, settings: Any) -> None:
    settings.SHUZHUAN_QA_PUBLIC_ASKS_PER_MINUTE = 1
    client = _client(county, "enterprise")
    for _ in range(3):
        assert "300,000.00" in client.post("/policy-qa/", {"question": QUESTION}).content.decode()


NOTICE = "关于申报时间的答复\n慈经信建〔2026〕9号\n一、申报时间\n每年三月至四月集中受理数字化改造项目申报。\n".encode()


def test_the_bureau_ingests_files_and_sees_them_listed(county: County) -> None:
    client = _client(county, "bureau_officer")
    files = [
        SimpleUploadedFile("答复.txt", NOTICE, content_type="text/plain"),
        SimpleUploadedFile(
            "问答.docx",
            docx_bytes(),
            content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
    ]
    response = client.post("/qa/documents/", {"files": files}, follow=True)
    html = response.content.decode()
    assert "已导入《关于申报时间的答复》" in html
    assert "慈经信建〔2026〕9号" in html
    assert Document.objects.filter(kind=Document.Kind.INGESTED).count() == 2
    again = client.post("/qa/documents/", {"files": [SimpleUploadedFile("副本.txt", NOTICE)]}, follow=True)
    assert "未重复导入" in again.content.decode()
    assert Document.objects.filter(kind=Document.Kind.INGESTED).count() == 2
    answer = client.post("/qa/", {"question": "项目申报什么时候集中受理"}, headers=HTMX).content.decode()
    assert "三月至四月" in answer


def test_a_refused_file_is_named_in_the_error_and_the_others_still_go_in(county: County) -> None:
    files = [
        SimpleUploadedFile("名单.xlsx", b"PK\x03\x04"),
        SimpleUploadedFile("空白.txt", b""),
        SimpleUploadedFile("答复.txt", NOTICE),
    ]
    response = _client(county, "bureau_officer").post("/qa/documents/", {"files": files})
    html = response.content.decode()
    assert response.status_code == 200
    assert "名单.xlsx：不支持的文件类型" in html
    assert "空白.txt：文件为空" in html
    assert Document.objects.filter(kind=Document.Kind.INGESTED, file_name="答复.txt").exists()


def test_no_file_is_refused_in_chinese(county: County) -> None:
    html = _client(county, "bureau_officer").post("/qa/documents/", {}).content.decode()
    assert "请选择要导入的文件" in html


def test_a_curated_answer_resolves_the_question_and_takes_precedence(county: County) -> None:
    _client(county, "enterprise").post("/qa/", {"question": UNKNOWN})
    logged = UnansweredQuestion.objects.get(question=UNKNOWN)
    bureau = _client(county, "bureau_officer")
    listing = bureau.get("/qa/unanswered/").content.decode()
    assert UNKNOWN in listing and f"/qa/faqs/new/?from={logged.pk}" in listing
    form = bureau.get(f"/qa/faqs/new/?from={logged.pk}").content.decode()
    assert UNKNOWN in form
    response = bureau.post(
        "/qa/faqs/new/",
        {
            "question": UNKNOWN,
            "answer": "本平台不提供食堂菜单，请咨询园区物业。",
            "citations": "慈经信建〔2026〕9号",
            "from_unanswered": str(logged.pk),
        },
    )
    assert response.status_code == 302 and response["Location"] == "/qa/unanswered/"
    logged.refresh_from_db()
    assert logged.resolved_faq == FAQ.objects.get(question=UNKNOWN)
    assert UNKNOWN not in bureau.get("/qa/unanswered/").content.decode().split('data-testid="faqs"')[0]
    answer = _client(county, "enterprise").post("/qa/", {"question": UNKNOWN}, headers=HTMX).content.decode()
    assert "请咨询园区物业" in answer


def test_a_curated_answer_needs_question_and_answer(county: County) -> None:
    html = _client(county, "bureau_officer").post("/qa/faqs/new/", {"question": ""}).content.decode()
    assert "请填写问题" in html and "请填写答复" in html
    assert not FAQ.objects.exists()
