"""Reading files into passages (no database)."""

from __future__ import annotations

import pytest

from shuzhuan.core.errors import ApplicationError
from shuzhuan.qa.ingest import PASSAGE_LIMIT, document_read, number_find
from shuzhuan.qa.tests.documents import NOTICE_LINES, docx_bytes, pdf_bytes, seed_files


def test_number_found_and_normalised() -> None:
    assert number_find("慈溪市经济和信息化局文件\n慈经信建〔2025〕15号") == "慈经信建〔2025〕15号"
    assert number_find("甬经信〔2024〕 7 号") == "甬经信〔2024〕7号"
    assert number_find("慈经信建[2023]2号") == "慈经信建〔2023〕2号"
    assert number_find("没有文号") == ""


@pytest.mark.parametrize("encoding", ["utf-8", "gbk", "utf-8-sig"])
def test_txt_in_either_encoding(encoding: str) -> None:
    doc = document_read("\n".join(NOTICE_LINES).encode(encoding), file_name="notice.txt")
    assert doc.title == "关于人工智能大模型应用项目补助的问答"
    assert doc.number == "慈经信建〔2026〕3号"
    assert [p.section for p in doc.passages] == ["一、补助标准", "二、申报时间"]
    assert "核定投入额的50%" in doc.passages[0].text


def test_docx_with_heading_styles() -> None:
    lines = [
        "数字化改造政策问答",
        "总则",
        "问：汽配企业能申报吗？答：可以。",
        "附则",
        "本问答自发布之日起施行。",
    ]
    doc = document_read(docx_bytes(lines, headings=("总则", "附则")), file_name="faq.docx")
    assert doc.number == ""
    assert [(p.section, p.text) for p in doc.passages] == [
        ("总则", "问：汽配企业能申报吗？答：可以。"),
        ("附则", "本问答自发布之日起施行。"),
    ]


def test_pdf() -> None:
    doc = document_read(pdf_bytes(), file_name="notice.pdf")
    assert doc.number == "慈经信建〔2026〕3号"
    assert doc.passages[0].section == "一、补助标准"
    assert "单个项目最高30万元" in doc.passages[0].text


def test_sections_nest_and_passages_stay_short() -> None:
    long = "对列入改造试点的项目给予补助，" * 40 + "以上。"
    lines = ["一、总体要求", "（一）适用范围", long, "1.汽配行业", "内容甲。", "二、附则", "内容乙。"]
    doc = document_read("\n".join(lines).encode(), file_name="x.txt", title="自定标题")
    assert doc.title == "自定标题"
    assert all(len(p.text) <= PASSAGE_LIMIT for p in doc.passages)
    sections = [p.section for p in doc.passages]
    assert sections[0] == "一、总体要求 / （一）适用范围"
    assert "一、总体要求 / （一）适用范围 / 1.汽配行业" in sections
    assert sections[-1] == "二、附则"


def test_seed_replies_keep_title_number_and_sections() -> None:
    for path in seed_files():
        doc = document_read(path.read_bytes(), file_name=path.name)
        assert doc.number.startswith("慈经信建〔")
        assert doc.title.endswith("答复")
        assert all(len(p.text) <= PASSAGE_LIMIT for p in doc.passages)
        assert any(p.section.startswith("一、") for p in doc.passages)


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"x", "table.xlsx", "不支持的文件类型"),
        (b"x", "README", "不支持的文件类型"),
        (b"", "empty.txt", "文件为空"),
        (b"  \n\n \t\n", "blank.txt", "没有可读取的文字"),
        (b"\xff\xfe\x00\x01binary", "bin.txt", "不是文本文件"),
        (b"\x81\x30\xfe\xff\xff\xfe", "bad.txt", "无法识别文件编码"),
        (b"not a zip", "broken.docx", "无法读取 Word 文件"),
        (b"%PDF-1.4 garbage", "broken.pdf", "无法读取 PDF 文件"),
    ],
)
def test_bad_files_refused_in_chinese(data: bytes, name: str, message: str) -> None:
    with pytest.raises(ApplicationError) as caught:
        document_read(data, file_name=name)
    assert message in caught.value.message
