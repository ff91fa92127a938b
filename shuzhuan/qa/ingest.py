"""Reading an officer's file (.txt, .docx, .pdf) into titled, numbered, sectioned passages.

Pure functions, no database: ``document_read`` turns bytes into a ``ParsedDocument`` or raises
``ApplicationError`` with a Chinese message (unsupported type, unreadable, empty). Passages are
split at headings (第一章、一、（一）、1. …) and paragraphs, and packed to at most
``PASSAGE_LIMIT`` characters on sentence boundaries, each keeping the section it sits in.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePath

from shuzhuan.core.errors import ApplicationError

PASSAGE_LIMIT = 300
MAX_BYTES = 20 * 1024 * 1024
SUFFIXES = (".txt", ".docx", ".pdf")

_CN_NUM = "一二三四五六七八九十百零〇"
# (level, pattern): a heading starts the line; its text runs to the first full stop.
_HEADINGS: list[tuple[int, re.Pattern[str]]] = [
    (0, re.compile(rf"^第[{_CN_NUM}\d]+[章节部分篇]")),
    (1, re.compile(rf"^[{_CN_NUM}]+、")),
    (2, re.compile(rf"^[（(][{_CN_NUM}]+[）)]")),
    (3, re.compile(r"^\d{1,2}[.．、](?!\d)")),
    (3, re.compile(rf"^第[{_CN_NUM}\d]+条")),
    (4, re.compile(r"^[（(]\d{1,2}[）)]")),
]
_NUMBER = re.compile(r"([\u4e00-\u9fff]{2,10})\s*[〔\[【［（(]\s*(\d{4})\s*[〕\]】］）)]\s*(\d{1,4})\s*号")
_TITLE_WORDS = re.compile(r"(答复|通知|意见|办法|细则|规定|方案|公告|决定|通告|函|解读|问答|指南|说明)$")
_FRONT_MATTER = re.compile(r"^(类别标记|签发人|抄送|联系人|联系电话|公开属性|主题词|印发|密级|紧急程度)")
_SENTENCE_END = "。！？；!?;"
_BODY_LINE = 40  # a line this long is body text, not a title or letterhead line


@dataclass(frozen=True)
class ParsedPassage:
    section: str
    text: str


@dataclass
class ParsedDocument:
    title: str
    number: str
    passages: list[ParsedPassage] = field(default_factory=list)


@dataclass(frozen=True)
class _Line:
    text: str
    heading: bool = False  # a .docx paragraph styled as a heading


def number_find(text: str) -> str:
    """The first 文号 in the text (慈经信建〔2025〕15号), brackets normalised to 〔〕; "" if none."""
    match = _NUMBER.search(text)
    if not match:
        return ""
    return f"{match.group(1)}〔{match.group(2)}〕{match.group(3)}号"


def _suffix(name: str) -> str:
    return PurePath(name).suffix.lower()


def document_read(data: bytes, *, file_name: str, title: str = "") -> ParsedDocument:
    """Parse one file's bytes. ``title`` overrides the detected title."""
    suffix = _suffix(file_name)
    if suffix not in SUFFIXES:
        raise ApplicationError(
            f"不支持的文件类型：{suffix or '无扩展名'}（支持 .txt、.docx、.pdf）", field="file"
        )
    if not data:
        raise ApplicationError("文件为空", field="file")
    if len(data) > MAX_BYTES:
        raise ApplicationError(f"文件过大（超过 {MAX_BYTES // (1024 * 1024)} MB）", field="file")
    if suffix == ".txt":
        lines = _txt_lines(data)
    elif suffix == ".docx":
        lines = _docx_lines(data)
    else:
        lines = _pdf_lines(data)
    lines = [_Line(re.sub(r"\s+", " ", ln.text).strip(), ln.heading) for ln in lines]
    lines = _rejoin([ln for ln in lines if ln.text])
    if not lines:
        raise ApplicationError("文件中没有可读取的文字（扫描件请先做文字识别）", field="file")
    head = "\n".join(ln.text for ln in lines[:15])
    number = number_find(head) or number_find("\n".join(ln.text for ln in lines))
    found_title = _title_find(lines, number) or PurePath(file_name).stem
    passages = passages_split(lines, skip={found_title, number})
    if not passages:
        raise ApplicationError("文件中没有可读取的正文", field="file")
    return ParsedDocument(title=(title.strip() or found_title)[:300], number=number, passages=passages)


def _txt_lines(data: bytes) -> list[_Line]:
    if b"\x00" in data:
        raise ApplicationError("不是文本文件（含二进制内容），无法读取", field="file")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ApplicationError("无法识别文件编码（支持 UTF-8、GBK）", field="file")
    return [_Line(line) for line in text.splitlines()]


def _docx_lines(data: bytes) -> list[_Line]:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ApplicationError("无法读取 Word 文件：文件已损坏或不是 .docx 格式", field="file") from exc
    lines: list[_Line] = []
    for paragraph in document.paragraphs:
        style = (paragraph.style.name if paragraph.style is not None else "") or ""
        heading = style.lower().startswith(("heading", "title")) or style.startswith("标题")
        lines.extend(_Line(part, heading) for part in paragraph.text.splitlines())
    for table in document.tables:
        for row in table.rows:
            cells = [c.text.strip() for c in row.cells if c.text.strip()]
            if cells:
                lines.append(_Line("；".join(dict.fromkeys(cells))))
    return lines


def _pdf_lines(data: bytes) -> list[_Line]:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise ApplicationError("PDF 文件已加密，无法读取", field="file")
        pages = [page.extract_text() or "" for page in reader.pages]
    except ApplicationError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        raise ApplicationError("无法读取 PDF 文件：文件已损坏或不是 PDF 格式", field="file") from exc
    # A PDF breaks lines where the page is full; _rejoin mends the long ones.
    lines = [raw.strip() for page in pages for raw in page.splitlines()]
    return [_Line(line) for line in lines]


def _rejoin(lines: list[_Line]) -> list[_Line]:
    """Mend paragraphs a converter broke mid-sentence: a long line (body text, not a letterhead
    line) that does not end a sentence continues on the next, unless that one is a heading."""
    out: list[_Line] = []
    for line in lines:
        prev = out[-1] if out else None
        if (
            prev is not None
            and not prev.heading
            and not line.heading
            and len(prev.text) >= _BODY_LINE
            and prev.text[-1] not in _SENTENCE_END + "：:"
            and _heading_level(line.text) is None
        ):
            out[-1] = _Line(prev.text + line.text)
        else:
            out.append(line)
    return out


def _heading_level(text: str) -> int | None:
    for level, pattern in _HEADINGS:
        if pattern.match(text):
            return level
    return None


def _title_find(lines: list[_Line], number: str) -> str:
    candidates = [ln.text for ln in lines[:15] if len(ln.text) <= 80 and ln.text != number]
    for text in candidates:
        if _TITLE_WORDS.search(text.rstrip("。")) and not _FRONT_MATTER.match(text):
            return text.rstrip("。")
    for ln in lines[:5]:
        if ln.heading and len(ln.text) <= 80:
            return ln.text
    return ""


def _heading_split(text: str) -> tuple[str, str]:
    """A heading line's short heading and the body that follows it on the same line."""
    for mark in "。：:":
        pos = text.find(mark)
        if 0 < pos <= 60:
            return text[:pos], text[pos + 1 :].strip()
    if len(text) <= 60:
        return text, ""
    return text[:30], text


def passages_split(lines: list[_Line], *, skip: set[str] | None = None) -> list[ParsedPassage]:
    skip = {s for s in (skip or set()) if s}
    sections: dict[int, str] = {}
    blocks: list[tuple[str, str]] = []  # (section, paragraph)

    def current() -> str:
        return " / ".join(sections[level] for level in sorted(sections))[:300]

    for line in lines:
        text = line.text
        if text in skip or _FRONT_MATTER.match(text):
            continue
        level = _heading_level(text)
        if level is None and line.heading:
            level = 1
        if level is not None:
            heading, body = _heading_split(text)
            for deeper in [lv for lv in sections if lv >= level]:
                del sections[deeper]
            sections[level] = heading
            if body:
                blocks.append((current(), f"{heading}。{body}"))
            continue
        blocks.append((current(), text))

    passages: list[ParsedPassage] = []
    buffer, buffer_section = "", ""
    for section, paragraph in blocks:
        if buffer and (section != buffer_section or len(buffer) + len(paragraph) > PASSAGE_LIMIT):
            passages.append(ParsedPassage(buffer_section, buffer))
            buffer = ""
        buffer_section = section
        for piece in _pieces(paragraph):
            if buffer and len(buffer) + len(piece) > PASSAGE_LIMIT:
                passages.append(ParsedPassage(section, buffer))
                buffer = ""
            buffer += piece
    if buffer:
        passages.append(ParsedPassage(buffer_section, buffer))
    return passages


def _pieces(paragraph: str) -> list[str]:
    """The paragraph cut after each sentence end; a sentence longer than the limit cut at commas,
    then hard at the limit."""
    sentences = re.findall(rf"[^{_SENTENCE_END}]+[{_SENTENCE_END}]*", paragraph)
    pieces: list[str] = []
    for sentence in sentences:
        if len(sentence) <= PASSAGE_LIMIT:
            pieces.append(sentence)
            continue
        part = ""
        for clause in re.findall(r"[^，,、]+[，,、]*", sentence):
            while len(clause) > PASSAGE_LIMIT:
                if part:
                    pieces.append(part)
                    part = ""
                pieces.append(clause[:PASSAGE_LIMIT])
                clause = clause[PASSAGE_LIMIT:]
            if part and len(part) + len(clause) > PASSAGE_LIMIT:
                pieces.append(part)
                part = ""
            part += clause
        if part:
            pieces.append(part)
    return pieces
