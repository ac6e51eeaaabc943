"""Official documents (公文) as .docx, laid out after GB/T 9704-2012 《党政机关公文格式》.

This is the one generator every app uses (告知书, 意见书, 执法文书, 督办函, 通报 …). A caller
describes *what* the document says with the dataclasses below and calls :func:`render`; the
layout (page, margins, 22 lines × 28 characters, fonts, red mark, page numbers, 版记) is
decided here. See ``docs/documents.md`` for the layout facts and the arithmetic behind them.

User-supplied text only ever becomes the text of ``w:t`` runs: no field codes, no markup; the
characters XML 1.0 forbids (NUL and other control characters, lone surrogates) are dropped.

Example::

    from anxin.core.documents import Heading, OfficialDocument, Paragraph, render

    doc = OfficialDocument(
        issuer="示范市信访局",
        doc_number="示信转〔2026〕12号",
        title="受理告知书",
        recipient="张三",
        body=[Paragraph("你于2026年11月20日提出的信访事项，本机关已依法受理。")],
        signature="示范市信访局",
        date=datetime.date(2026, 11, 27),
    )
    data: bytes = render(doc)
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from typing import Any, Literal

from lxml import etree

__all__ = [
    "Block",
    "Heading",
    "Image",
    "KeyValue",
    "OfficialDocument",
    "Paragraph",
    "Table",
    "clean_text",
    "date_cn",
    "heading_number",
    "paragraphs_from_text",
    "render",
]

# --------------------------------------------------------------------------------------------
# Layout (all lengths in twips: 1 twip = 1/20 pt = 1/1440 inch; 1 mm = 56.69 twips)
# --------------------------------------------------------------------------------------------

TWIPS_PER_MM = 1440 / 25.4


def _mm(value: float) -> int:
    return round(value * TWIPS_PER_MM)


PAGE_WIDTH = _mm(210)  # 11906 — A4
PAGE_HEIGHT = _mm(297)  # 16838
MARGIN_TOP = _mm(37)  # 2098 — 天头 37 mm
MARGIN_LEFT = _mm(28)  # 1587 — 订口 28 mm
MARGIN_RIGHT = _mm(26)  # 1474
MARGIN_BOTTOM = _mm(35)  # 1984
TEXT_WIDTH = PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT  # 8845 twips = 156.0 mm (版心宽)
TEXT_HEIGHT = PAGE_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM  # 12756 twips = 225.0 mm (版心高)

LINES_PER_PAGE = 22
CHARS_PER_LINE = 28

#: Line pitch: 12756 / 22 = 579.8, rounded *down* so 22 lines fit (22 × 579 = 12738 ≤ 12756)
#: and a 23rd does not (23 × 579 = 13317). Every body paragraph uses this as its exact line
#: spacing (28.95 pt), so 22 lines fill the 225 mm type area in Word, WPS and LibreOffice.
LINE_PITCH = TEXT_HEIGHT // LINES_PER_PAGE  # 579

BODY_SIZE = 16.0  # 3号
TITLE_SIZE = 22.0  # 2号
SMALL_SIZE = 14.0  # 4号: page numbers, 抄送/印发, table cells
MARK_MAX_SIZE = 36.0  # 小初: the red issuer mark, shrunk so its longest line fits the width

#: Character pitch of the grid: 8845 / 28 = 315.89 twips = 15.795 pt. ``w:charSpace`` is the
#: difference from the default font size (16 pt) in 1/4096 pt, rounded down so that 28
#: characters fit: (15.7946 − 16) × 4096 = −841.4 → −842 (28 × 315.89 = 8844.9 ≤ 8845).
CHAR_SPACE = math.floor((TEXT_WIDTH / CHARS_PER_LINE / 20 - BODY_SIZE) * 4096)  # -842
CHAR_PITCH = (BODY_SIZE + CHAR_SPACE / 4096) * 20  # 315.89 twips

#: Body runs are condensed by 6 twips (0.3 pt): 16 pt − 0.3 pt = 314 twips a character, and
#: 28 × 314 = 8792 ≤ 8845 < 29 × 314 = 9106, so exactly 28 characters fit a line whether or not
#: a renderer implements the character grid; every paragraph and run opts out of snapping to it
#: (``w:snapToGrid w:val="0"``). Why: LibreOffice lays a 16 pt character on a 15.8 pt grid
#: cell over *two* cells (14 characters a line); with −5 twips it still fits only 27.
BODY_CONDENSE = -6
CHAR_ADVANCE = BODY_SIZE * 20 + BODY_CONDENSE  # 314 twips: "一字" for indents in body text

#: Page numbers: 4号 numerals on a 16 pt exact line whose top edge is 7 mm below the type area.
#: ``w:footer`` is the distance from the page's bottom edge to the bottom of the footer, so
#: 35 mm − 7 mm − 16 pt = 1984 − 397 − 320 = 1267 twips (22.35 mm).
FOOTER_LINE = 320
FOOTER_DISTANCE = MARGIN_BOTTOM - _mm(7) - FOOTER_LINE  # 1267
HEADER_DISTANCE = _mm(15)

#: 发文机关标志: its top edge 35 mm below the top of the type area (GB/T 9704 7.2.4).
MARK_TOP = _mm(35)
#: The red separator sits 4 mm below 发文字号; a border's ``w:space`` is in points.
RED_LINE_GAP_PT = round(4 / 25.4 * 72)  # 11
RED_LINE_WIDTH = 12  # eighths of a point: 1.5 pt
#: 版记 lines: first and last 0.35 mm (≈1 pt), the ones between 0.25 mm (≈0.75 pt).
THICK_RULE = 8
THIN_RULE = 6

RED = "FF0000"

# Fonts. ``w:eastAsia`` names the Chinese face; Latin letters and digits use Times New Roman
# (page numbers use 宋体 throughout, as the standard asks). The font table gives each
# GB2312-era name an ``altName`` so Word/WPS can find the modern equivalent when it is missing.
FANGSONG = "仿宋_GB2312"
XIAOBIAOSONG = "方正小标宋简体"
HEITI = "黑体"
KAITI = "楷体_GB2312"
SONGTI = "宋体"
LATIN = "Times New Roman"

#: name -> (alternative names, PANOSE, pitch); all are GB2312 (charset 0x86) fonts except Latin.
FONT_TABLE: dict[str, tuple[str, str, str]] = {
    FANGSONG: ("仿宋,FangSong", "02010609030101010101", "fixed"),
    "仿宋": ("FangSong", "02010609060101010101", "fixed"),
    XIAOBIAOSONG: ("宋体,SimSun", "02000000000000000000", "variable"),
    HEITI: ("SimHei", "02010609060101010101", "fixed"),
    KAITI: ("楷体,KaiTi", "02010609030101010101", "fixed"),
    "楷体": ("KaiTi", "02010609060101010101", "fixed"),
    SONGTI: ("SimSun", "02010600030101010101", "variable"),
}

#: Heading level -> East Asian font: 一、黑体 / （一）楷体 / 1. 仿宋 / （1）仿宋.
HEADING_FONTS = {1: HEITI, 2: KAITI, 3: FANGSONG, 4: FANGSONG}

# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Heading:
    """A structural heading 一、 / （一） / 1. / （1） (levels 1–4).

    ``number=None`` (the default) numbers it automatically: each level counts up through the
    document and restarts after a heading of a higher level. Pass ``number="三、"`` to force a
    label, or ``number=""`` when ``text`` already carries its own. ``run_in`` continues the same
    paragraph in the body font (``（一）加强领导。`` + ``run_in="各单位要……"``).
    """

    level: int
    text: str
    number: str | None = None
    run_in: str = ""

    def __post_init__(self) -> None:
        if self.level not in (1, 2, 3, 4):
            raise ValueError(f"heading level must be 1–4, not {self.level!r}")


@dataclass(frozen=True)
class Paragraph:
    """A body paragraph: 3号 仿宋, first line indented two characters, justified."""

    text: str
    indent: bool = True
    align: Literal["justify", "left", "center", "right"] = "justify"


@dataclass(frozen=True)
class Table:
    """A ruled table the width of the type area; cells in 4号 仿宋, header row in 黑体.

    ``widths`` are relative column widths (any positive numbers); equal columns by default.
    """

    rows: list[list[str]]
    header: bool = True
    widths: list[float] | None = None


@dataclass(frozen=True)
class KeyValue:
    """A form line ``label：value`` (被检查单位：……); wrapped lines align with the value.

    An empty value prints an underlined blank to be filled in by hand.
    """

    label: str
    value: str


@dataclass(frozen=True)
class Image:
    """A PNG picture (a chart drawn server-side), centred, ``width_mm`` wide at most the type
    area (156 mm), its height from the picture's proportions; ``alt`` is its description for
    screen readers."""

    png: bytes
    width_mm: float = 150
    alt: str = ""

    def __post_init__(self) -> None:
        if not self.png.startswith(b"\x89PNG\r\n\x1a\n"):
            raise ValueError("an Image block takes PNG bytes")

    @property
    def pixels(self) -> tuple[int, int]:
        return int.from_bytes(self.png[16:20], "big"), int.from_bytes(self.png[20:24], "big")


Block = Heading | Paragraph | Table | KeyValue | Image


@dataclass(kw_only=True)
class OfficialDocument:
    """What an official document says; :func:`render` lays it out.

    ``issuer`` is the red 发文机关标志 (leave empty for 告知书/执法文书 that carry no red
    header; ``\\n`` stacks joint issuers). ``recipient`` is 主送机关 or the petitioner
    (``"张三"`` → ``张三：``). ``signature`` and ``date`` are 发文机关署名 and 成文日期;
    ``sealed`` chooses the layout for a document that will be stamped (signature centred over
    the date, date four characters in) or not (signature two characters in). ``copy_to`` and
    ``printed_by`` (+ ``printed_date``, default ``date``) make the 版记 at the foot of the last
    page.
    """

    title: str
    signature: str
    date: dt.date
    issuer: str = ""
    doc_number: str = ""
    recipient: str = ""
    body: list[Block] = field(default_factory=list)
    attachments_note: list[str] = field(default_factory=list)
    copy_to: str = ""
    printed_by: str = ""
    printed_date: dt.date | None = None
    secret_level: str = ""
    urgency: str = ""
    sealed: bool = True


def date_cn(d: dt.date) -> str:
    """成文日期 in Arabic numerals without padding: ``2026年11月27日``."""
    return f"{d.year}年{d.month}月{d.day}日"


_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def clean_text(text: str) -> str:
    """Drop what XML 1.0 cannot hold (and C1 controls); normalise line breaks to ``\\n``."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _INVALID_XML.sub("", text)


def paragraphs_from_text(text: str) -> list[Paragraph]:
    """Split free text typed by a user (one paragraph per line) into :class:`Paragraph` blocks.

    Blank lines are dropped, and so are leading spaces typed to indent (the layout indents).
    """
    lines = (line.strip(" \u3000\t") for line in clean_text(text).split("\n"))
    return [Paragraph(line) for line in lines if line]


_CN_DIGITS = "零一二三四五六七八九"


def _cn_numeral(n: int) -> str:
    if not 0 < n < 100:
        return str(n)
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _CN_DIGITS[tens] + "十")
    return head + (_CN_DIGITS[ones] if ones else "")


def heading_number(level: int, n: int) -> str:
    """The label of the ``n``-th heading of a level: 一、 / （一） / 1. / （1）."""
    if level == 1:
        return f"{_cn_numeral(n)}、"
    if level == 2:
        return f"（{_cn_numeral(n)}）"
    if level == 3:
        return f"{n}."
    return f"（{n}）"


def render(doc: OfficialDocument) -> bytes:
    """The document as .docx bytes (deterministic: the same input gives the same bytes)."""
    builder = _Builder(doc)
    body = builder.build()
    content_types, document_rels = _CONTENT_TYPES, _DOCUMENT_RELS
    if builder.images:
        content_types = content_types.replace(
            '<Default Extension="xml"',
            '<Default Extension="png" ContentType="image/png"/><Default Extension="xml"',
        )
        document_rels = document_rels.replace(
            "</Relationships>",
            "".join(
                f'<Relationship Id="rIdImage{n}" Type="{_REL}/image" Target="media/image{n}.png"/>'
                for n in range(1, len(builder.images) + 1)
            )
            + "</Relationships>",
        )
    parts: dict[str, str | bytes] = {
        "[Content_Types].xml": content_types,
        "_rels/.rels": _ROOT_RELS,
        "docProps/core.xml": _core_xml(doc),
        "docProps/app.xml": _APP_XML,
        "word/_rels/document.xml.rels": document_rels,
        "word/document.xml": _xml(body),
        "word/styles.xml": _STYLES,
        "word/settings.xml": _SETTINGS,
        "word/fontTable.xml": _font_table(),
        "word/footer1.xml": _xml(_footer(odd=True)),
        "word/footer2.xml": _xml(_footer(odd=False)),
        **{f"word/media/image{n}.png": png for n, png in enumerate(builder.images, start=1)},
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data if isinstance(data, bytes) else data.encode("utf-8"))
    return out.getvalue()


# --------------------------------------------------------------------------------------------
# XML helpers
# --------------------------------------------------------------------------------------------

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
XML_NS = "http://www.w3.org/XML/1998/namespace"
WP_NS = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
A_NS = "http://schemas.openxmlformats.org/drawingml/2006/main"
PIC_NS = "http://schemas.openxmlformats.org/drawingml/2006/picture"
EMU_PER_MM = 36000
_NSMAP = {"w": W_NS, "r": R_NS}

Element = Any  # lxml.etree._Element (lxml ships no stubs here)


def _w(tag: str) -> str:
    return f"{{{W_NS}}}{tag}"


def _el(tag: str, parent: Element | None = None, /, **attrs: object) -> Element:
    """``w:tag`` with ``w:`` attributes (``r_id`` → ``r:id``), appended to ``parent``."""
    el = (
        etree.Element(_w(tag), nsmap=_NSMAP)
        if parent is None
        else etree.SubElement(parent, _w(tag))
    )
    for key, value in attrs.items():
        name = f"{{{R_NS}}}id" if key == "r_id" else _w(key)
        el.set(name, str(value))
    return el


def _xml(root: Element) -> bytes:
    etree.cleanup_namespaces(root)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _width(text: str) -> float:
    """Width in body characters: CJK and full-width forms 1, everything else ½."""
    return sum(1.0 if unicodedata.east_asian_width(c) in "WFA" else 0.5 for c in text)


@dataclass(frozen=True)
class _Font:
    east_asia: str
    size: float
    latin: str = LATIN
    color: str | None = None
    underline: bool = False


BODY = _Font(FANGSONG, BODY_SIZE)
SMALL = _Font(FANGSONG, SMALL_SIZE)


def _rpr(font: _Font, parent: Element | None = None) -> Element:
    rpr = _el("rPr", parent)
    _el(
        "rFonts",
        rpr,
        ascii=font.latin,
        hAnsi=font.latin,
        eastAsia=font.east_asia,
        cs=font.latin,
        hint="eastAsia",
    )
    _el("snapToGrid", rpr, val=0)
    _el("color", rpr, val=font.color or "000000")
    if font.size == BODY_SIZE:
        _el("spacing", rpr, val=BODY_CONDENSE)
    half_points = round(font.size * 2)
    _el("sz", rpr, val=half_points)
    _el("szCs", rpr, val=half_points)
    if font.underline:
        _el("u", rpr, val="single")
    return rpr


def _run(parent: Element, text: str, font: _Font) -> None:
    """Append one run holding ``text`` as literal text (``\\n`` → line break, tab → tab)."""
    text = clean_text(text)
    if not text:
        return
    run = _el("r", parent)
    _rpr(font, run)
    for piece in re.split(r"(\n|\t)", text):
        if piece == "\n":
            _el("br", run)
        elif piece == "\t":
            _el("tab", run)
        elif piece:
            t = _el("t", run)
            t.set(f"{{{XML_NS}}}space", "preserve")
            t.text = piece


def _paragraph(
    parent: Element,
    *,
    font: _Font = BODY,
    jc: str = "both",
    first_line: float = 0,
    left: float = 0,
    right: float = 0,
    hanging: float = 0,
    chars: bool = True,
    line: int = LINE_PITCH,
    before: int = 0,
    keep_next: bool = False,
    border_bottom: dict[str, object] | None = None,
    tabs: list[tuple[str, int]] | None = None,
) -> Element:
    """A ``w:p`` with its properties in schema order. Indents are in characters of body text
    when ``chars`` (written both as ``*Chars`` and as twips for readers that ignore those),
    else in twips."""
    p = _el("p", parent)
    ppr = _el("pPr", p)
    if keep_next:
        _el("keepNext", ppr)
    if border_bottom:
        _el("bottom", _el("pBdr", ppr), **border_bottom)
    if tabs:
        tabs_el = _el("tabs", ppr)
        for val, pos in tabs:
            _el("tab", tabs_el, val=val, pos=pos)
    _el("snapToGrid", ppr, val=0)  # see BODY_CONDENSE: the layout never depends on the grid
    _el("spacing", ppr, before=before, after=0, line=line, lineRule="exact")
    ind: dict[str, object] = {}
    for name, amount in (("left", left), ("right", right), ("firstLine", first_line)):
        if amount:
            if chars:
                ind[name] = round(amount * CHAR_ADVANCE)
                ind[f"{name}Chars"] = round(amount * 100)
            else:
                ind[name] = round(amount)
    if hanging:
        ind["hanging"] = round(hanging * CHAR_ADVANCE) if chars else round(hanging)
        if chars:
            ind["hangingChars"] = round(hanging * 100)
    if ind:
        _el("ind", ppr, **ind)
    _el("jc", ppr, val=jc)
    _rpr(font, ppr)  # the paragraph mark, so empty lines keep the body size
    return p


def _blank(parent: Element, count: int = 1, *, keep_next: bool = False) -> None:
    for _ in range(count):
        _paragraph(parent, keep_next=keep_next)


_JC = {"justify": "both", "left": "left", "center": "center", "right": "right"}

# --------------------------------------------------------------------------------------------
# The document body
# --------------------------------------------------------------------------------------------


class _Builder:
    def __init__(self, doc: OfficialDocument) -> None:
        self.doc = doc
        self.root = _el("document")
        self.body = _el("body", self.root)
        self.counters = [0, 0, 0, 0]
        self.images: list[bytes] = []

    def build(self) -> Element:
        doc = self.doc
        top_lines = [t for t in (clean_text(doc.secret_level), clean_text(doc.urgency)) if t]
        for text in top_lines:  # 密级/紧急程度: 3号黑体, 版心左上角 (GB/T 9704 7.2.2–7.2.3)
            font = _Font(HEITI, BODY_SIZE)
            _run(_paragraph(self.body, font=font, jc="left"), text, font)
        issuer = clean_text(doc.issuer).strip()
        number = clean_text(doc.doc_number).strip()
        if issuer:
            self._mark(issuer, number, before=max(0, MARK_TOP - LINE_PITCH * len(top_lines)))
            _blank(self.body, 2)  # 红色分隔线下空二行 (7.3.1)
        self._title()
        if number and not issuer:  # 告知书/执法文书: the number under the title
            _run(_paragraph(self.body, jc="center"), number, BODY)
        recipient = clean_text(doc.recipient).strip()
        _blank(self.body)  # 标题下空一行 (7.3.2)
        if recipient:
            if recipient.endswith(":"):
                recipient = recipient[:-1]
            if not recipient.endswith("："):
                recipient += "："
            _run(_paragraph(self.body, jc="left"), recipient, BODY)
        for index, block in enumerate(doc.body):
            self._block(block, last=index == len(doc.body) - 1 and not doc.attachments_note)
        self._attachments()
        self._signature()
        self._colophon()
        self._section()
        return self.root

    # 版头 -----------------------------------------------------------------------------------

    def _mark(self, issuer: str, number: str, *, before: int) -> None:
        lines = issuer.split("\n")
        widest = max(_width(line) for line in lines) or 1
        size = max(TITLE_SIZE, min(MARK_MAX_SIZE, math.floor(TEXT_WIDTH / 20 / widest)))
        font = _Font(XIAOBIAOSONG, size, latin=XIAOBIAOSONG, color=RED)
        red_line = {"val": "single", "sz": RED_LINE_WIDTH, "space": RED_LINE_GAP_PT, "color": RED}
        p = _paragraph(
            self.body,
            font=font,
            jc="center",
            line=round(size * 20 * 1.25),
            before=before,
            border_bottom=None if number else red_line,
        )
        _run(p, issuer, font)
        if number:  # 发文字号: 标志下空二行, 居中; 红色分隔线在其下 4 mm (7.2.5, 7.2.7)
            _blank(self.body, 2)
            _run(_paragraph(self.body, jc="center", border_bottom=red_line), number, BODY)

    def _title(self) -> None:
        title = clean_text(self.doc.title).strip()
        if not title:
            return
        font = _Font(XIAOBIAOSONG, TITLE_SIZE, latin=XIAOBIAOSONG)
        _run(_paragraph(self.body, font=font, jc="center"), title, font)

    # 主体 -----------------------------------------------------------------------------------

    def _block(self, block: Block, *, last: bool) -> None:
        if isinstance(block, Paragraph):
            p = _paragraph(
                self.body,
                jc=_JC[block.align],
                first_line=2 if block.indent else 0,
                keep_next=last,
            )
            _run(p, block.text, BODY)
        elif isinstance(block, Heading):
            self._heading(block, last=last)
        elif isinstance(block, KeyValue):
            self._key_value(block, last=last)
        elif isinstance(block, Table):
            self._table(block)
        elif isinstance(block, Image):
            self._image(block)
        else:
            raise TypeError(f"not a document block: {block!r}")

    def _image(self, block: Image) -> None:
        """An inline picture in a paragraph of its own (line spacing "auto", so that the exact
        body pitch does not clip it)."""
        self.images.append(block.png)
        n = len(self.images)
        px_w, px_h = block.pixels
        width_mm = min(block.width_mm, TEXT_WIDTH / TWIPS_PER_MM)
        cx = round(width_mm * EMU_PER_MM)
        cy = round(cx * px_h / max(px_w, 1))
        p = _paragraph(self.body, jc="center", keep_next=False)
        spacing = p.find(_w("pPr")).find(_w("spacing"))
        spacing.set(_w("line"), "240")
        spacing.set(_w("lineRule"), "auto")
        drawing = _el("drawing", _el("r", p))
        inline = etree.SubElement(drawing, f"{{{WP_NS}}}inline", nsmap={"wp": WP_NS})
        for side in ("distT", "distB", "distL", "distR"):
            inline.set(side, "0")
        etree.SubElement(inline, f"{{{WP_NS}}}extent", cx=str(cx), cy=str(cy))
        etree.SubElement(
            inline,
            f"{{{WP_NS}}}docPr",
            id=str(n),
            name=f"Picture {n}",
            descr=clean_text(block.alt),
        )
        graphic = etree.SubElement(inline, f"{{{A_NS}}}graphic", nsmap={"a": A_NS})
        data = etree.SubElement(graphic, f"{{{A_NS}}}graphicData", uri=PIC_NS)
        pic = etree.SubElement(data, f"{{{PIC_NS}}}pic", nsmap={"pic": PIC_NS})
        nv = etree.SubElement(pic, f"{{{PIC_NS}}}nvPicPr")
        etree.SubElement(nv, f"{{{PIC_NS}}}cNvPr", id=str(n), name=f"image{n}.png")
        etree.SubElement(nv, f"{{{PIC_NS}}}cNvPicPr")
        fill = etree.SubElement(pic, f"{{{PIC_NS}}}blipFill")
        blip = etree.SubElement(fill, f"{{{A_NS}}}blip")
        blip.set(f"{{{R_NS}}}embed", f"rIdImage{n}")
        etree.SubElement(etree.SubElement(fill, f"{{{A_NS}}}stretch"), f"{{{A_NS}}}fillRect")
        sp = etree.SubElement(pic, f"{{{PIC_NS}}}spPr")
        xfrm = etree.SubElement(sp, f"{{{A_NS}}}xfrm")
        etree.SubElement(xfrm, f"{{{A_NS}}}off", x="0", y="0")
        etree.SubElement(xfrm, f"{{{A_NS}}}ext", cx=str(cx), cy=str(cy))
        geom = etree.SubElement(sp, f"{{{A_NS}}}prstGeom", prst="rect")
        etree.SubElement(geom, f"{{{A_NS}}}avLst")

    def _heading(self, block: Heading, *, last: bool) -> None:
        level = block.level
        self.counters[level - 1] += 1
        for deeper in range(level, 4):
            self.counters[deeper] = 0
        number = (
            heading_number(level, self.counters[level - 1])
            if block.number is None
            else clean_text(block.number)
        )
        p = _paragraph(self.body, first_line=2, keep_next=not block.run_in or last)
        _run(p, number + block.text, _Font(HEADING_FONTS[level], BODY_SIZE))
        _run(p, block.run_in, BODY)

    def _key_value(self, block: KeyValue, *, last: bool) -> None:
        label = clean_text(block.label).strip().rstrip(":：") + "："
        indent = _width(label)
        p = _paragraph(self.body, left=indent, hanging=indent, keep_next=last)
        _run(p, label, BODY)
        value = clean_text(block.value)
        if value.strip():
            _run(p, value, BODY)
        else:
            blank = "\u3000" * max(4, math.floor(CHARS_PER_LINE - indent - 1))
            _run(p, blank, _Font(FANGSONG, BODY_SIZE, underline=True))

    def _table(self, block: Table) -> None:
        rows = [[clean_text(cell) for cell in row] for row in block.rows]
        columns = max((len(row) for row in rows), default=0)
        if not columns:
            return
        weights = list(block.widths or [])[:columns]
        weights += [1.0] * (columns - len(weights))
        if any(w <= 0 for w in weights):
            raise ValueError("table column widths must be positive")
        widths = [math.floor(TEXT_WIDTH * w / sum(weights)) for w in weights]
        widths[-1] += TEXT_WIDTH - sum(widths)

        tbl = _el("tbl", self.body)
        tbl_pr = _el("tblPr", tbl)
        _el("tblW", tbl_pr, w=TEXT_WIDTH, type="dxa")
        _el("jc", tbl_pr, val="center")
        borders = _el("tblBorders", tbl_pr)
        for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
            _el(side, borders, val="single", sz=4, space=0, color="000000")
        _el("tblLayout", tbl_pr, type="fixed")
        margins = _el("tblCellMar", tbl_pr)
        _el("left", margins, w=57, type="dxa")
        _el("right", margins, w=57, type="dxa")
        _el("tblLook", tbl_pr, val="04A0", firstRow=1, lastRow=0, firstColumn=0, lastColumn=0)
        grid = _el("tblGrid", tbl)
        for width in widths:
            _el("gridCol", grid, w=width)
        for index, row in enumerate(rows):
            is_header = block.header and index == 0
            tr = _el("tr", tbl)
            tr_pr = _el("trPr", tr)
            _el("cantSplit", tr_pr)
            if is_header:
                _el("tblHeader", tr_pr)
            font = _Font(HEITI if is_header else FANGSONG, SMALL_SIZE)
            for col, width in enumerate(widths):
                tc = _el("tc", tr)
                tc_pr = _el("tcPr", tc)
                _el("tcW", tc_pr, w=width, type="dxa")
                _el("vAlign", tc_pr, val="center")
                p = _paragraph(tc, font=font, jc="center" if is_header else "left", line=400)
                _run(p, row[col] if col < len(row) else "", font)
        _paragraph(self.body, line=20, font=_Font(FANGSONG, 1))  # a table must not end a cell

    def _attachments(self) -> None:
        names = [clean_text(n).strip().rstrip("。．.，,；;：:") for n in self.doc.attachments_note]
        names = [n for n in names if n]
        if not names:
            return
        _blank(self.body)  # 正文下空一行左空二字编排"附件" (7.3.4)
        for index, name in enumerate(names, start=1):
            label = f"{index}." if len(names) > 1 else ""
            hang = _width(label)
            p = _paragraph(
                self.body,
                left=5 + hang,
                hanging=3 + hang if index == 1 else hang,
                keep_next=index == len(names),
            )
            _run(p, ("附件：" if index == 1 else "") + label + name, BODY)

    def _signature(self) -> None:
        doc = self.doc
        signature = clean_text(doc.signature).strip()
        date_text = date_cn(doc.date)
        date_width, sig_width = _width(date_text), _width(signature)
        if doc.sealed:
            # 7.3.5.1: 成文日期右空四字; 署名以成文日期为准居中; 印章上距正文一行之内.
            date_right = 4.0
            sig_right = max(0.0, date_right + (date_width - sig_width) / 2)
            _blank(self.body, 2, keep_next=True)
        else:
            # 7.3.5.2: 署名右空二字, 日期首字比署名首字右移二字; 如成文日期长于发文机关署名,
            # 成文日期右空二字, 相应增加署名右空字数.
            sig_right = 2.0
            date_right = sig_width - date_width
            if date_width > sig_width:
                date_right = 2.0
                sig_right = date_width - sig_width + 4
            _blank(self.body, 1, keep_next=True)
        if signature:
            p = _paragraph(self.body, jc="right", right=sig_right, keep_next=True)
            _run(p, signature, BODY)
        _run(_paragraph(self.body, jc="right", right=date_right), date_text, BODY)

    # 版记 -----------------------------------------------------------------------------------

    def _colophon(self) -> None:
        """抄送 and 印发 between rules, anchored to the foot of the last page's type area
        (末条分隔线与版心下边缘重合, 7.4.1) as a table floating at the bottom margin."""
        doc = self.doc
        copy_to = clean_text(doc.copy_to).strip().rstrip("。．.，,；;")
        printed_by = clean_text(doc.printed_by).strip()
        if not copy_to and not printed_by:
            return
        one = round(SMALL_SIZE * 20)  # "一字" in 4号: 280 twips
        tbl = _el("tbl", self.body)
        tbl_pr = _el("tblPr", tbl)
        _el(
            "tblpPr",
            tbl_pr,
            leftFromText=0,
            rightFromText=0,
            topFromText=0,
            bottomFromText=0,
            vertAnchor="margin",
            tblpYSpec="bottom",
            # anchored to the page, not the margin: LibreOffice keeps a full-width table that is
            # anchored to the margin inline instead of floating it to the foot of the page
            horzAnchor="page",
            tblpX=MARGIN_LEFT,
        )
        _el("tblOverlap", tbl_pr, val="never")
        _el("tblW", tbl_pr, w=TEXT_WIDTH, type="dxa")
        borders = _el("tblBorders", tbl_pr)
        for side, size in (
            ("top", THICK_RULE),
            ("left", 0),
            ("bottom", THICK_RULE),
            ("right", 0),
            ("insideH", THIN_RULE),
            ("insideV", 0),
        ):  # in schema order
            if size:
                _el(side, borders, val="single", sz=size, space=0, color="000000")
            else:
                _el(side, borders, val="nil")
        _el("tblLayout", tbl_pr, type="fixed")
        margins = _el("tblCellMar", tbl_pr)
        _el("left", margins, w=0, type="dxa")
        _el("right", margins, w=0, type="dxa")
        _el("gridCol", _el("tblGrid", tbl), w=TEXT_WIDTH)
        font = _Font(FANGSONG, SMALL_SIZE)

        def row() -> Element:
            tr = _el("tr", tbl)
            _el("cantSplit", _el("trPr", tr))
            tc = _el("tc", tr)
            _el("tcW", _el("tcPr", tc), w=TEXT_WIDTH, type="dxa")
            return tc

        if copy_to:  # 抄送: 左右各空一字, 回行与冒号后首字对齐, 末尾句号 (7.4.2)
            p = _paragraph(
                row(), font=font, jc="left", left=one * 4, right=one, hanging=one * 3, chars=False
            )
            _run(p, f"抄送：{copy_to}。", font)
        if printed_by:  # 印发机关左空一字, 印发日期右空一字 (7.4.3)
            printed = date_cn(doc.printed_date or doc.date) + "印发"
            p = _paragraph(
                row(),
                font=font,
                jc="left",
                left=one,
                right=one,
                chars=False,
                tabs=[("right", TEXT_WIDTH - one)],
            )
            _run(p, f"{printed_by}\t{printed}", font)
        _paragraph(self.body, line=20, font=_Font(FANGSONG, 1))  # anchor, one twip tall

    def _section(self) -> None:
        sect = _el("sectPr", self.body)
        _el("footerReference", sect, type="default", r_id="rIdFooterOdd")
        _el("footerReference", sect, type="even", r_id="rIdFooterEven")
        _el("pgSz", sect, w=PAGE_WIDTH, h=PAGE_HEIGHT)
        _el(
            "pgMar",
            sect,
            top=MARGIN_TOP,
            right=MARGIN_RIGHT,
            bottom=MARGIN_BOTTOM,
            left=MARGIN_LEFT,
            header=HEADER_DISTANCE,
            footer=FOOTER_DISTANCE,
            gutter=0,
        )
        _el("cols", sect, space=425)
        _el("docGrid", sect, type="linesAndChars", linePitch=LINE_PITCH, charSpace=CHAR_SPACE)


def _footer(*, odd: bool) -> Element:
    """``— N —`` in 4号 宋体: odd pages right, even pages left, one character from the edge."""
    ftr = _el("ftr")
    font = _Font(SONGTI, SMALL_SIZE, latin=SONGTI)
    one = round(SMALL_SIZE * 20)
    p = _paragraph(
        ftr,
        font=font,
        jc="right" if odd else "left",
        right=one if odd else 0,
        left=0 if odd else one,
        chars=False,
        line=FOOTER_LINE,
    )
    _run(p, "— ", font)

    def field_run() -> Element:
        run = _el("r", p)
        _rpr(font, run)
        return run

    _el("fldChar", field_run(), fldCharType="begin")
    instr = _el("instrText", field_run())
    instr.set(f"{{{XML_NS}}}space", "preserve")
    instr.text = " PAGE "
    _el("fldChar", field_run(), fldCharType="separate")
    _el("t", field_run()).text = "1"
    _el("fldChar", field_run(), fldCharType="end")
    _run(p, " —", font)
    return ftr


# --------------------------------------------------------------------------------------------
# Package parts
# --------------------------------------------------------------------------------------------


def _core_xml(doc: OfficialDocument) -> bytes:
    cp = "http://schemas.openxmlformats.org/package/2006/metadata/core-properties"
    dc = "http://purl.org/dc/elements/1.1/"
    dcterms = "http://purl.org/dc/terms/"
    xsi = "http://www.w3.org/2001/XMLSchema-instance"
    root = etree.Element(
        f"{{{cp}}}coreProperties", nsmap={"cp": cp, "dc": dc, "dcterms": dcterms, "xsi": xsi}
    )
    etree.SubElement(root, f"{{{dc}}}title").text = clean_text(doc.title).replace("\n", " ")
    creator = clean_text(doc.signature or doc.issuer).replace("\n", " ") or "Anxin"
    etree.SubElement(root, f"{{{dc}}}creator").text = creator
    created = etree.SubElement(root, f"{{{dcterms}}}created")
    created.set(f"{{{xsi}}}type", "dcterms:W3CDTF")
    created.text = f"{doc.date.isoformat()}T00:00:00Z"
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _font_table() -> bytes:
    fonts = _el("fonts")
    for name, (alt, panose, pitch) in FONT_TABLE.items():
        font = _el("font", fonts, name=name)
        _el("altName", font, val=alt)
        _el("panose1", font, val=panose)
        _el("charset", font, val="86")
        _el("family", font, val="modern" if pitch == "fixed" else "roman")
        _el("pitch", font, val=pitch)
    font = _el("font", fonts, name=LATIN)
    _el("panose1", font, val="02020603050405020304")
    _el("charset", font, val="00")
    _el("family", font, val="roman")
    _el("pitch", font, val="variable")
    return _xml(fonts)


_HEAD = "<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"

_CONTENT_TYPES = (
    _HEAD + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    '<Override PartName="/word/styles.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/>'
    '<Override PartName="/word/settings.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.wordprocessingml.settings+xml"/>'
    '<Override PartName="/word/fontTable.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.wordprocessingml.fontTable+xml"/>'
    '<Override PartName="/word/footer1.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.wordprocessingml.footer+xml"/>'
    '<Override PartName="/word/footer2.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.wordprocessingml.footer+xml"/>'
    '<Override PartName="/docProps/core.xml" '
    'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
    '<Override PartName="/docProps/app.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.extended-properties+xml"/>'
    "</Types>"
)

_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

_ROOT_RELS = (
    _HEAD + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="word/document.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/'
    'relationships/metadata/core-properties" Target="docProps/core.xml"/>'
    f'<Relationship Id="rId3" Type="{_REL}/extended-properties" Target="docProps/app.xml"/>'
    "</Relationships>"
)

_DOCUMENT_RELS = (
    _HEAD + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rIdStyles" Type="{_REL}/styles" Target="styles.xml"/>'
    f'<Relationship Id="rIdSettings" Type="{_REL}/settings" Target="settings.xml"/>'
    f'<Relationship Id="rIdFonts" Type="{_REL}/fontTable" Target="fontTable.xml"/>'
    f'<Relationship Id="rIdFooterOdd" Type="{_REL}/footer" Target="footer1.xml"/>'
    f'<Relationship Id="rIdFooterEven" Type="{_REL}/footer" Target="footer2.xml"/>'
    "</Relationships>"
)

_APP_XML = (
    _HEAD + '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
    'extended-properties"><Application>Anxin</Application></Properties>'
)

_STYLES = (
    _HEAD + f'<w:styles xmlns:w="{W_NS}">'
    "<w:docDefaults><w:rPrDefault><w:rPr>"
    f'<w:rFonts w:ascii="{LATIN}" w:hAnsi="{LATIN}" w:eastAsia="{FANGSONG}" w:cs="{LATIN}" '
    'w:hint="eastAsia"/>'
    f'<w:kern w:val="2"/><w:sz w:val="{round(BODY_SIZE * 2)}"/>'
    f'<w:szCs w:val="{round(BODY_SIZE * 2)}"/>'
    '<w:lang w:val="en-US" w:eastAsia="zh-CN" w:bidi="ar-SA"/>'
    "</w:rPr></w:rPrDefault>"
    '<w:pPrDefault><w:pPr><w:widowControl w:val="0"/>'
    '<w:autoSpaceDE w:val="0"/><w:autoSpaceDN w:val="0"/>'
    f'<w:spacing w:before="0" w:after="0" w:line="{LINE_PITCH}" w:lineRule="exact"/>'
    '<w:jc w:val="both"/></w:pPr></w:pPrDefault></w:docDefaults>'
    # Normal repeats the defaults: LibreOffice takes the grid's base character size from it.
    '<w:style w:type="paragraph" w:default="1" w:styleId="Normal">'
    '<w:name w:val="Normal"/><w:qFormat/><w:rPr>'
    f'<w:rFonts w:ascii="{LATIN}" w:hAnsi="{LATIN}" w:eastAsia="{FANGSONG}" w:cs="{LATIN}" '
    'w:hint="eastAsia"/>'
    f'<w:sz w:val="{round(BODY_SIZE * 2)}"/><w:szCs w:val="{round(BODY_SIZE * 2)}"/>'
    "</w:rPr></w:style>"
    '<w:style w:type="character" w:default="1" w:styleId="DefaultParagraphFont">'
    '<w:name w:val="Default Paragraph Font"/><w:uiPriority w:val="1"/>'
    "<w:semiHidden/><w:unhideWhenUsed/></w:style>"
    '<w:style w:type="table" w:default="1" w:styleId="TableNormal">'
    '<w:name w:val="Normal Table"/><w:uiPriority w:val="99"/><w:semiHidden/>'
    '<w:unhideWhenUsed/><w:tblPr><w:tblInd w:w="0" w:type="dxa"/><w:tblCellMar>'
    '<w:top w:w="0" w:type="dxa"/><w:left w:w="108" w:type="dxa"/>'
    '<w:bottom w:w="0" w:type="dxa"/><w:right w:w="108" w:type="dxa"/>'
    "</w:tblCellMar></w:tblPr></w:style>"
    '<w:style w:type="numbering" w:default="1" w:styleId="NoList">'
    '<w:name w:val="No List"/><w:uiPriority w:val="99"/><w:semiHidden/>'
    "<w:unhideWhenUsed/></w:style>"
    "</w:styles>"
)

_SETTINGS = (
    _HEAD + f'<w:settings xmlns:w="{W_NS}">'
    '<w:zoom w:percent="100"/>'
    '<w:defaultTabStop w:val="420"/>'
    "<w:evenAndOddHeaders/>"
    '<w:characterSpacingControl w:val="doNotCompress"/>'
    '<w:compat><w:ulTrailSpace/><w:compatSetting w:name="compatibilityMode" '
    'w:uri="http://schemas.microsoft.com/office/word" w:val="15"/></w:compat>'
    '<w:themeFontLang w:val="en-US" w:eastAsia="zh-CN"/>'
    '<w:decimalSymbol w:val="."/><w:listSeparator w:val=","/>'
    "</w:settings>"
)
