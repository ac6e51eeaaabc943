"""The enforcement documents opened with python-docx: title, site and credit code, legal
bases with their texts, demands, deadline, officers and the rights to 行政复议/行政诉讼."""

from __future__ import annotations

import io

import docx
import pytest

from anxin.core.documents import date_cn
from anxin.safety.documents_enforcement import enforcement_document
from anxin.safety.enforcement_rules import ORDER_TITLES

pytestmark = pytest.mark.django_db
pytest_plugins = ["anxin.safety.tests.enforcement_fixtures"]


def text_of(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    return "\n".join(p.text for p in document.paragraphs)


@pytest.mark.parametrize("kind", ["rectify", "suspend", "seal", "closure", "power_cut"])
def test_each_kind_as_a_docx(issue, site, kind):
    order = issue(kind=kind, basis_codes=["wsl102", "wsl70", "wsl113"])
    filename, data = enforcement_document(order)
    assert filename == f"{order.number}-{ORDER_TITLES[kind]}.docx"
    text = text_of(data)
    assert ORDER_TITLES[kind] in text
    assert site.name in text and site.credit_code in text
    assert "《中华人民共和国安全生产法》第一百零二条" in text
    assert "处五万元以下的罚款" in text  # the article's text, summarised
    assert "第一百一十三条" in text and "第七十条" in text
    assert "更换破损电缆" in text and "配电箱加锁" in text
    assert date_cn(order.deadline) in text
    assert "60日内依法申请行政复议" in text and "6个月内依法向人民法院提起行政诉讼" in text
    assert "insp、insp2" in text
    assert (site.regulating_unit or site.unit).name in text


def test_power_cut_cites_the_24_hours(issue):
    text = text_of(enforcement_document(issue(kind="power_cut", basis_codes=["wsl70"]))[1])
    assert "满24小时后执行" in text and "二十四小时" in text


def test_a_fine_is_printed(issue):
    text = text_of(enforcement_document(issue(fine_yuan=20000))[1])
    assert "并处罚款人民币20000" in text


def test_user_text_is_only_text(issue):
    order = issue(facts="<w:p>{ PAGE } =cmd|' /C calc'!A0 \x00")
    text = text_of(enforcement_document(order)[1])
    assert "<w:p>{ PAGE } =cmd|' /C calc'!A0" in text
