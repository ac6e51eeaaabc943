"""The Simplified Chinese catalogue (anxin/locale/zh_Hans) is complete, compiled and in use.

A new or changed gettext string fails here until it is translated: run `make messages`,
fill in the new msgstr entries in anxin/locale/zh_Hans/LC_MESSAGES/django.po (and remove
their `#, fuzzy` flags), then compile again so the .mo matches the .po.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import polib
import pytest
from django.conf import settings as django_settings
from django.core.management import call_command

pytestmark = pytest.mark.smoke

REPO_ROOT = Path(django_settings.BASE_DIR)
LOCALE_DIR = REPO_ROOT / "anxin" / "locale"
PO_PATH = LOCALE_DIR / "zh_Hans" / "LC_MESSAGES" / "django.po"
MO_PATH = PO_PATH.with_suffix(".mo")
PLURAL_FORMS = "nplurals=1; plural=0;"

# Same exclusions as the documented makemessages command. "locale" is essential: makemessages
# adopts every `locale` directory it walks past (anxin/locale) as the target for the sources
# beside it, which would merge into the real catalogue instead of the copy in tmp_path.
IGNORE = [".venv", "var", "e2e", "scripts", "node_modules", "locale"]


def _key(entry: polib.POEntry | polib.MOEntry) -> tuple[str | None, str]:
    return (entry.msgctxt, entry.msgid)


def test_every_source_string_is_translated(tmp_path, settings, monkeypatch):
    assert PO_PATH.exists(), f"{PO_PATH} is missing — run `make messages` and translate it"
    real_po_before = PO_PATH.read_bytes()

    shutil.copytree(LOCALE_DIR, tmp_path / "locale")
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    monkeypatch.chdir(REPO_ROOT)
    call_command(
        "makemessages",
        locale=["zh_Hans"],
        no_location=True,
        no_obsolete=True,
        ignore_patterns=list(IGNORE),
        verbosity=0,
    )
    assert PO_PATH.read_bytes() == real_po_before, "makemessages touched the real catalogue"

    po = polib.pofile(str(tmp_path / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    untranslated = [e.msgid for e in po.untranslated_entries()]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    hint = "run `make messages` and translate them in " + str(PO_PATH.relative_to(REPO_ROOT))
    problems = []
    if untranslated:
        problems.append(f"untranslated: {untranslated}")
    if fuzzy:
        problems.append(f"fuzzy (check the msgstr, then remove the flag): {fuzzy}")
    assert not problems, " — ".join(problems) + f" — {hint}"

    assert po.metadata.get("Plural-Forms") == PLURAL_FORMS, po.metadata.get("Plural-Forms")
    assert po.metadata.get("Language") == "zh_Hans", po.metadata.get("Language")
    assert not po.metadata_is_fuzzy, "the catalogue header is still marked fuzzy"
    extra_forms = [e.msgid for e in po if e.msgid_plural and set(e.msgstr_plural) != {0}]
    assert not extra_forms, f"Chinese has one plural form, only msgstr[0]: {extra_forms}"


def test_compiled_catalogue_matches_the_po():
    assert MO_PATH.exists(), f"{MO_PATH} is missing — run `make messages`"
    po = polib.pofile(str(PO_PATH))
    compiled = {_key(e): e for e in polib.mofile(str(MO_PATH))}
    stale = []
    for entry in po.translated_entries():
        mo_entry = compiled.get(_key(entry))
        if entry.msgid_plural:
            want = {int(k): v for k, v in entry.msgstr_plural.items()}
            got = mo_entry and {int(k): v for k, v in mo_entry.msgstr_plural.items()}
        else:
            want, got = entry.msgstr, mo_entry and mo_entry.msgstr
        if got != want:
            stale.append(entry.msgid)
    assert not stale, (
        f"the .mo is older than the .po for: {stale} — run "
        "`python manage.py compilemessages -l zh_Hans -i .venv -i var` (or `make messages`)"
    )


@pytest.mark.parametrize("accept_language", [None, "zh-CN,zh;q=0.9"])
def test_login_page_is_in_chinese(client, db, settings, accept_language):
    settings.LANGUAGE_CODE = "zh-hans"
    headers = {"HTTP_ACCEPT_LANGUAGE": accept_language} if accept_language else {}
    html = client.get("/accounts/login/", **headers).content.decode()
    assert 'lang="zh-hans"' in html
    assert "登录" in html
    assert "Sign in" not in html


def test_login_page_in_english_on_request(client, db):
    html = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'lang="en"' in html
    assert "Sign in" in html
