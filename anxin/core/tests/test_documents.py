"""Official documents (公文): the GB/T 9704-2012 layout, read back from the rendered .docx."""

from __future__ import annotations

import datetime
import io
import math
import time
import zipfile

import docx
import pytest
from docx.oxml.ns import qn

from anxin.core import documents
from anxin.core.documents import (
    Heading,
    KeyValue,
    OfficialDocument,
    Paragraph,
    Table,
    date_cn,
    heading_number,
    paragraphs_from_text,
    render,
)

pytestmark = pytest.mark.smoke

DATE = datetime.date(2026, 11, 27)
HOSTILE = "<w:p>{{ }}=cmd|' /C calc'!A0\x00 尾"
HOSTILE_SHOWN = "<w:p>{{ }}=cmd|' /C calc'!A0 尾"


def sample(**overrides: object) -> OfficialDocument:
    fields: dict[str, object] = {
        "issuer": "示范市信访局",
        "doc_number": "示信转〔2026〕12号",
        "title": "关于转送信访事项的告知书",
        "recipient": "张三",
        "body": [
            Paragraph("你于2026年11月20日提出的信访事项，本机关已依法受理。"),
            Heading(1, "总体要求"),
            Heading(2, "加强领导。", run_in="各单位要高度重视。"),
            Heading(3, "明确责任"),
            Heading(4, "落实到人"),
            KeyValue("信访人", "张三"),
            Table(rows=[["序号", "事项"], ["1", "受理告知"]], header=True),
        ],
        "attachments_note": ["信访事项登记表"],
        "signature": "示范市信访局",
        "date": DATE,
        "copy_to": "示范市人民政府办公室",
        "printed_by": "示范市信访局办公室",
    }
    fields.update(overrides)
    return OfficialDocument(**fields)  # type: ignore[arg-type]


def open_docx(data: bytes):  # -> docx.document.Document
    return docx.Document(io.BytesIO(data))


def part_xml(data: bytes, name: str) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return zf.read(name).decode("utf-8")


def east_asia(run) -> str:
    return run._r.rPr.rFonts.get(qn("w:eastAsia"))


def find_paragraph(document, text: str):
    return next(p for p in document.paragraphs if p.text == text)


def ppr_attr(paragraph, path: str, attr: str) -> str:
    """An attribute of the paragraph's properties ("" when absent)."""
    found = paragraph._p.xpath(f"./w:pPr/{path}")
    return found[0].get(qn(attr), "") if found else ""


@pytest.fixture(scope="module")
def rendered() -> bytes:
    return render(sample())


@pytest.fixture(scope="module")
def document(rendered: bytes):
    return open_docx(rendered)


def test_page_is_a4_with_the_standard_margins(document) -> None:
    section = document.sections[0]
    assert section.page_width.mm == pytest.approx(210, abs=0.5)
    assert section.page_height.mm == pytest.approx(297, abs=0.5)
    assert section.top_margin.mm == pytest.approx(37, abs=0.5)
    assert section.left_margin.mm == pytest.approx(28, abs=0.5)
    assert section.right_margin.mm == pytest.approx(26, abs=0.5)
    assert section.bottom_margin.mm == pytest.approx(35, abs=0.5)
    type_width = section.page_width.mm - section.left_margin.mm - section.right_margin.mm
    type_height = section.page_height.mm - section.top_margin.mm - section.bottom_margin.mm
    assert type_width == pytest.approx(156, abs=0.5)
    assert type_height == pytest.approx(225, abs=0.5)


def test_document_grid_gives_22_lines_of_28_characters(rendered: bytes, document) -> None:
    section = document.sections[0]
    grid = section._sectPr.xpath("./w:docGrid")[0]
    assert grid.get(qn("w:type")) == "linesAndChars"
    line_pitch = int(grid.get(qn("w:linePitch")))
    char_space = int(grid.get(qn("w:charSpace")))
    assert (line_pitch, char_space) == (579, -842)

    type_width = section.page_width.twips - section.left_margin.twips - section.right_margin.twips
    type_height = section.page_height.twips - section.top_margin.twips
    type_height -= section.bottom_margin.twips
    assert type_height // line_pitch == 22  # 22 × 579 = 12738 ≤ 12756 < 23 × 579

    # The grid's character pitch: the default font size (docDefaults and Normal) + charSpace.
    styles = part_xml(rendered, "word/styles.xml")
    assert styles.count('<w:sz w:val="32"/>') == 2
    grid_pitch = (16 + char_space / 4096) * 20  # twips
    assert math.floor(type_width / grid_pitch) == 28

    # And the runs themselves, condensed so that 28 fit without relying on the grid.
    body = find_paragraph(document, "你于2026年11月20日提出的信访事项，本机关已依法受理。")
    rpr = body.runs[0]._r.rPr
    advance = int(rpr.sz.get(qn("w:val"))) * 10 + int(rpr.xpath("./w:spacing")[0].get(qn("w:val")))
    assert advance * 28 <= type_width < advance * 29
    assert rpr.xpath("./w:snapToGrid")[0].get(qn("w:val")) == "0"
    # every line exactly one grid pitch high
    assert ppr_attr(body, "w:spacing", "w:line") == "579"
    assert ppr_attr(body, "w:spacing", "w:lineRule") == "exact"


def test_fonts_and_sizes(document) -> None:
    title = find_paragraph(document, "关于转送信访事项的告知书")
    assert east_asia(title.runs[0]) == "方正小标宋简体"
    assert title.runs[0].font.size.pt == 22
    assert title.alignment == 1  # centred

    body = find_paragraph(document, "你于2026年11月20日提出的信访事项，本机关已依法受理。")
    run = body.runs[0]
    assert east_asia(run) == "仿宋_GB2312"
    assert run.font.size.pt == 16
    assert run._r.rPr.rFonts.get(qn("w:ascii")) == "Times New Roman"
    assert ppr_attr(body, "w:ind", "w:firstLineChars") == "200"  # 左空二字

    expected = {
        "一、总体要求": "黑体",
        "（一）加强领导。": "楷体_GB2312",
        "1.明确责任": "仿宋_GB2312",
        "（1）落实到人": "仿宋_GB2312",
    }
    for label, font in expected.items():
        paragraph = next(p for p in document.paragraphs if p.text.startswith(label))
        assert east_asia(paragraph.runs[0]) == font, label
        assert paragraph.runs[0].font.size.pt == 16
    run_in = next(p for p in document.paragraphs if p.text.startswith("（一）"))
    assert run_in.text == "（一）加强领导。各单位要高度重视。"
    assert east_asia(run_in.runs[1]) == "仿宋_GB2312"


def test_font_table_names_fallbacks(rendered: bytes) -> None:
    fonts = part_xml(rendered, "word/fontTable.xml")
    assert '<w:font w:name="仿宋_GB2312"><w:altName w:val="仿宋,FangSong"/>' in fonts
    assert '<w:font w:name="楷体_GB2312"><w:altName w:val="楷体,KaiTi"/>' in fonts
    assert 'w:name="方正小标宋简体"' in fonts


def test_red_issuer_mark_and_separator(document, rendered: bytes) -> None:
    mark = find_paragraph(document, "示范市信访局")  # the first one is the mark
    run = mark.runs[0]
    assert str(run.font.color.rgb) == "FF0000"
    assert east_asia(run) == "方正小标宋简体"
    assert mark.alignment == 1
    assert 22 <= run.font.size.pt <= 36
    # 35 mm from the top of the type area to the mark
    assert int(ppr_attr(mark, "w:spacing", "w:before")) == pytest.approx(35 * 1440 / 25.4, abs=2)

    number = find_paragraph(document, "示信转〔2026〕12号")
    assert number.alignment == 1
    assert ppr_attr(number, "w:pBdr/w:bottom", "w:color") == "FF0000"
    assert ppr_attr(number, "w:pBdr/w:bottom", "w:space") == "11"  # 4 mm below

    # Black text everywhere else: the only non-black colour is the mark (and its rule).
    body = document.element.body
    coloured = [c for c in body.iter(qn("w:color")) if c.get(qn("w:val")) != "000000"]
    assert coloured and all(mark._p in c.iterancestors() for c in coloured)
    xml = part_xml(rendered, "word/document.xml")
    assert xml.count('w:color="FF0000"') == 1  # the separator border


def test_footer_page_numbers_odd_right_even_left(document, rendered: bytes) -> None:
    assert document.settings.odd_and_even_pages_header_footer is True
    section = document.sections[0]
    odd = section.footer.paragraphs[0]
    even = section.even_page_footer.paragraphs[0]
    for paragraph in (odd, even):
        assert paragraph.text == "— 1 —"  # cached PAGE result between em dashes
        instr = paragraph._p.xpath(".//w:instrText")
        assert [i.text.strip() for i in instr] == ["PAGE"]
        assert [r.font.size.pt for r in paragraph.runs] == [14] * len(paragraph.runs)
        assert east_asia(paragraph.runs[0]) == "宋体"
    assert odd.alignment == 2  # right
    assert ppr_attr(odd, "w:ind", "w:right") == "280"  # one 4号 character in
    assert even.alignment == 0  # left
    assert ppr_attr(even, "w:ind", "w:left") == "280"
    # 7 mm below the type area: footer distance + one 16 pt footer line = 35 mm − 7 mm
    footer_top = section.footer_distance.mm + 16 * 25.4 / 72
    assert footer_top == pytest.approx(35 - 7, abs=0.5)
    assert "PAGE" not in part_xml(rendered, "word/document.xml")


def test_date_signature_and_sealed_layout(document) -> None:
    paragraphs = document.paragraphs
    date = find_paragraph(document, "2026年11月27日")
    index = next(i for i, p in enumerate(paragraphs) if p._p is date._p)
    signature = paragraphs[index - 1]
    assert signature.text == "示范市信访局"
    assert date.alignment == 2 and signature.alignment == 2
    assert ppr_attr(date, "w:ind", "w:rightChars") == "400"  # 右空四字
    assert int(ppr_attr(date, "w:ind", "w:right")) == pytest.approx(4 * 314, abs=5)
    # sealed: signature centred over the date (7 characters wide, 6 for the name)
    assert ppr_attr(signature, "w:ind", "w:rightChars") == "450"
    assert paragraphs[index - 2].text == paragraphs[index - 3].text == ""


def test_unsealed_layout() -> None:
    document = open_docx(render(sample(sealed=False, signature="示范市应急管理局")))
    date = find_paragraph(document, "2026年11月27日")
    signature = find_paragraph(document, "示范市应急管理局")
    assert ppr_attr(signature, "w:ind", "w:rightChars") == "200"  # 署名右空二字
    assert ppr_attr(date, "w:ind", "w:rightChars") == "100"  # 首字右移二字: 8 − 7 = 1


def test_date_cn() -> None:
    assert date_cn(DATE) == "2026年11月27日"
    assert date_cn(datetime.date(2027, 1, 5)) == "2027年1月5日"


def test_heading_numbers() -> None:
    assert [heading_number(1, n) for n in (1, 10, 11, 20, 23)] == [
        "一、",
        "十、",
        "十一、",
        "二十、",
        "二十三、",
    ]
    assert heading_number(2, 3) == "（三）"
    assert heading_number(3, 12) == "12."
    assert heading_number(4, 2) == "（2）"
    body = [
        Heading(1, "甲"),
        Heading(2, "乙"),
        Heading(2, "丙"),
        Heading(1, "丁"),
        Heading(2, "戊"),
        Heading(3, "己", number=""),
        Heading(3, "庚", number="（五）"),
    ]
    texts = [p.text for p in open_docx(render(sample(body=body))).paragraphs]
    for expected in ["一、甲", "（一）乙", "（二）丙", "二、丁", "（一）戊", "己", "（五）庚"]:
        assert expected in texts
    with pytest.raises(ValueError):
        Heading(5, "no such level")


def test_recipient_and_attachments(document) -> None:
    recipient = find_paragraph(document, "张三：")
    assert recipient.alignment == 0
    attachment = find_paragraph(document, "附件：信访事项登记表")
    assert ppr_attr(attachment, "w:ind", "w:leftChars") == "500"
    assert ppr_attr(attachment, "w:ind", "w:hangingChars") == "300"
    several = open_docx(render(sample(attachments_note=["甲表。", "乙表"])))
    texts = [p.text for p in several.paragraphs]
    assert "附件：1.甲表" in texts and "2.乙表" in texts


def test_colophon_floats_at_the_foot_of_the_last_page(document) -> None:
    colophon = document.tables[-1]
    cells = [row.cells[0].text for row in colophon.rows]
    assert cells == ["抄送：示范市人民政府办公室。", "示范市信访局办公室\t2026年11月27日印发"]
    position = colophon._tbl.xpath("./w:tblPr/w:tblpPr")[0]
    assert position.get(qn("w:tblpYSpec")) == "bottom"
    assert position.get(qn("w:vertAnchor")) == "margin"
    borders = colophon._tbl.xpath("./w:tblPr/w:tblBorders")[0]
    sizes = {b.tag.split("}")[1]: b.get(qn("w:sz")) for b in borders}
    assert sizes["top"] == sizes["bottom"] == "8"  # 首条/末条 thick
    assert sizes["insideH"] == "6"  # thin between
    run = colophon.rows[0].cells[0].paragraphs[0].runs[0]
    assert run.font.size.pt == 14 and east_asia(run) == "仿宋_GB2312"


def test_body_table_and_key_value(document) -> None:
    table = document.tables[0]
    assert [[c.text for c in row.cells] for row in table.rows] == [
        ["序号", "事项"],
        ["1", "受理告知"],
    ]
    assert table._tbl.xpath("./w:tr[1]/w:trPr/w:tblHeader")
    assert east_asia(table.rows[0].cells[0].paragraphs[0].runs[0]) == "黑体"
    key_value = find_paragraph(document, "信访人：张三")
    assert ppr_attr(key_value, "w:ind", "w:hangingChars") == "400"


def test_hostile_text_is_literal(tmp_path) -> None:
    doc = sample(
        title=HOSTILE,
        recipient=HOSTILE,
        doc_number=HOSTILE,
        body=[
            Paragraph(HOSTILE),
            Heading(1, HOSTILE),
            KeyValue(HOSTILE, HOSTILE),
            Table(rows=[[HOSTILE]]),
            Paragraph("bell\x07 vt\x0b lone\ud800 ok\ufffe"),
        ],
        copy_to=HOSTILE,
        printed_by=HOSTILE,
    )
    data = render(doc)
    document = open_docx(data)
    texts = [p.text for p in document.paragraphs]
    assert HOSTILE_SHOWN in texts  # body paragraph, title, number
    assert HOSTILE_SHOWN + "：" in texts  # recipient
    assert "一、" + HOSTILE_SHOWN in texts
    assert "bell vt lone ok" in texts
    assert document.tables[0].rows[0].cells[0].text == HOSTILE_SHOWN
    xml = part_xml(data, "word/document.xml")
    assert "&lt;w:p&gt;{{ }}=cmd|' /C calc'!A0 尾" in xml
    assert "\x00" not in xml
    for field in ("instrText", "fldChar", "fldSimple", "w:dde"):
        assert field not in xml
    assert document.core_properties.title == HOSTILE_SHOWN


def test_long_body_flows_and_render_is_deterministic(capsys) -> None:
    body = [
        Paragraph(f"第{i}段：这是用于检验分页的正文段落，内容较长以便折行。" * 3)
        for i in range(200)
    ]
    doc = sample(body=body)
    started = time.perf_counter()
    data = render(doc)
    elapsed = time.perf_counter() - started
    with capsys.disabled():
        print(f"\nrender(200 paragraphs): {elapsed * 1000:.1f} ms, {len(data)} bytes")
    assert data == render(doc)
    texts = [p.text for p in open_docx(data).paragraphs]
    assert texts.count(body[0].text) == 1 and body[-1].text in texts


def test_no_issuer_no_red(rendered: bytes) -> None:
    data = render(sample(issuer="", copy_to="", printed_by=""))
    document = open_docx(data)
    xml = part_xml(data, "word/document.xml")
    assert "FF0000" not in xml
    assert "tblpPr" not in xml
    texts = [p.text for p in document.paragraphs]
    assert texts.index("示信转〔2026〕12号") == texts.index("关于转送信访事项的告知书") + 1


def test_paragraphs_from_text() -> None:
    text = "　　第一段。\r\n\r\n  第二段。\n\x00第三段。"
    assert paragraphs_from_text(text) == [
        Paragraph("第一段。"),
        Paragraph("第二段。"),
        Paragraph("第三段。"),
    ]


def test_layout_constants_agree() -> None:
    assert documents.TEXT_WIDTH == 8845 and documents.TEXT_HEIGHT == 12756
    assert documents.LINE_PITCH * 22 <= documents.TEXT_HEIGHT < documents.LINE_PITCH * 23
    assert documents.CHAR_SPACE == -842
