"""Chinese full-text search (anxin.core.search) on SQLite FTS5 and PostgreSQL tsvector.

The objects indexed are ``Unit`` rows (and ``User`` rows for scoping); the search table is
created inside each test's transaction, with the statements ``SearchIndexOperation`` runs.
"""

from __future__ import annotations

import os

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anxin.core import search
from anxin.core.choices import UnitKind
from anxin.core.models import Unit, User
from anxin.core.pagination import keyset_page
from anxin.core.search import (
    SearchIndexOperation,
    parse_query,
    search_delete,
    search_filter,
    search_put,
    search_put_many,
    search_rebuild,
    search_table_sql,
    tokenize,
)

pytestmark = [pytest.mark.django_db, pytest.mark.dbdep]

TABLE = "test_search_fts"

#: words jieba keeps whole, none sharing a query token with another (checked below)
VOCABULARY = (
    "拆迁 工资 漏水 物业 电梯 油烟 押金 低保 燃气 消防 停车 排污 路灯 井盖 学区 "
    "宅基地 补偿款 农民工 养老金 违章建筑 医疗纠纷"
).split()
SEPARATORS = ["，", "。", "、", "；", "！", " ", "\n"]


def _create_table() -> None:
    create, _drop = search_table_sql(connection, TABLE)
    with connection.cursor() as cursor:
        for sql in create:
            cursor.execute(sql)


@pytest.fixture
def table() -> str:
    """The search table, created in the test's transaction (rolled back with it)."""
    _create_table()
    return TABLE


_codes = iter(range(10**9))


def make_units(*names: str) -> list[Unit]:
    units = []
    for name in names:
        code = f"S{next(_codes)}"
        units.append(Unit(code=code, name=name, kind=UnitKind.DEPARTMENT, path=f"/{code}/"))
    return Unit.objects.bulk_create(units)


def index_units(*names: str) -> list[Unit]:
    units = make_units(*names)
    search_put_many(TABLE, [(u.pk, u.name) for u in units])
    return units


def found(q: str) -> set[str]:
    return set(search_filter(Unit.objects.all(), TABLE, q).values_list("name", flat=True))


PETITIONS = [
    "拆迁补偿款迟迟未到位",
    "征地拆迁补偿标准过低",
    "农民工工资被拖欠半年",
    "拆除违章建筑物",
    "小区内违章建筑影响采光",
    "楼下KTV噪音扰民严重",
    "A栋302室楼上漏水",
    "B栋302室电梯故障",
    "A栋501室物业乱收费",
    "加工资金周转困难",
]


# --- Tokenizer ---------------------------------------------------------------------------------


def test_tokenize_cuts_for_search_lowercases_and_drops_punctuation():
    assert tokenize("拆除违章建筑物，A栋302室！") == "拆除 违章 建筑 建筑物 a 栋 302 室"
    assert tokenize("拖欠工资") == "拖欠 工资 拖欠工资"


def test_tokenize_folds_full_width_forms_and_handles_empty_text():
    assert tokenize("Ａ栋３０２") == "a 栋 302"
    assert tokenize("") == ""
    assert tokenize(" ，。！？“”‘’%*-") == ""


def test_parse_query_dedupes_and_covers_long_words_with_their_sub_words():
    assert parse_query("违章建筑") == ["违章", "建筑"]
    assert parse_query("噪音扰民 噪音") == ["噪音", "扰民"]
    assert parse_query("拆迁") == ["拆迁"]
    assert parse_query("A栋 302") == ["a", "栋", "302"]
    assert parse_query("小区的噪音") == ["小区", "噪音"]


def test_parse_query_is_empty_for_blank_punctuation_and_function_words():
    for q in ["", "   ", "\n", '"', "'", "%", "*", "-", "，。", "的"]:
        assert parse_query(q) == [], q


def test_parse_query_keeps_at_most_16_tokens():
    q = " ".join(f"w{i}" for i in range(40))
    assert parse_query(q) == [f"w{i}" for i in range(16)]


def test_jieba_initialises_quietly_with_a_read_only_var_dir(monkeypatch, capfd, tmp_path):
    read_only = tmp_path / "var"
    read_only.mkdir()
    read_only.chmod(0o555)  # as root this is not enough, hence os.access below
    monkeypatch.setenv("JIEBA_CACHE", str(read_only / "jieba.cache"))
    real_access = os.access
    monkeypatch.setattr(
        os,
        "access",
        lambda p, mode: False if str(p).startswith(str(tmp_path)) else real_access(p, mode),
    )
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(search, "_jieba", None)

    assert tokenize("违章建筑") == "违章 建筑 违章建筑"

    assert search._jieba is not None
    assert search._jieba.cache_file == str(
        tmp_path / "tmp" / f"anxin-jieba-{os.getuid()}" / "jieba.cache"
    )
    assert not (read_only / "jieba.cache").exists()
    assert capfd.readouterr().err == ""


# --- The database keeps jieba's tokens ---------------------------------------------------------


def test_sqlite_has_fts5_compiled_in():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    with connection.cursor() as cursor:
        options = {row[0] for row in cursor.execute("PRAGMA compile_options").fetchall()}
    assert "ENABLE_FTS5" in options


def test_the_database_keeps_space_separated_chinese_tokens_whole(table):
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"INSERT INTO {TABLE} (rowid, tokens) VALUES (1, '违章建筑 拆迁')")
            hits = {}
            for phrase in ["违章建筑", "拆迁", "违章", "建筑", "违章建"]:
                cursor.execute(f"SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH %s", [f'"{phrase}"'])
                hits[phrase] = cursor.fetchall() == [(1,)]
        else:
            cursor.execute("SELECT to_tsvector('simple', '违章建筑 拆迁')::text")
            assert cursor.fetchone()[0] == "'拆迁':2 '违章建筑':1"
            hits = {}
            for phrase in ["违章建筑", "拆迁", "违章", "建筑", "违章建"]:
                cursor.execute(
                    "SELECT to_tsvector('simple', '违章建筑 拆迁') @@ plainto_tsquery('simple', %s)",
                    [phrase],
                )
                hits[phrase] = cursor.fetchone()[0]
    assert hits == {"违章建筑": True, "拆迁": True, "违章": False, "建筑": False, "违章建": False}


# --- Searching ---------------------------------------------------------------------------------


def test_two_character_words(table):
    index_units(*PETITIONS)
    assert found("拆迁") == {"拆迁补偿款迟迟未到位", "征地拆迁补偿标准过低"}
    # 加工资金 is 加工/资金: a word search, not a substring search
    assert found("工资") == {"农民工工资被拖欠半年"}


def test_four_character_words(table):
    index_units(*PETITIONS)
    # jieba cuts 拆除违章建筑物 as 拆除/违章/建筑物: found through 违章 + 建筑
    assert found("违章建筑") == {"拆除违章建筑物", "小区内违章建筑影响采光"}
    assert found("噪音扰民") == {"楼下KTV噪音扰民严重"}


def test_a_query_that_matches_nothing(table):
    index_units(*PETITIONS)
    assert found("危险化学品") == set()
    assert found("xyz") == set()


def test_latin_letters_and_digits(table):
    index_units(*PETITIONS)
    assert found("A栋 302") == {"A栋302室楼上漏水"}
    assert found("ａ栋３０２") == {"A栋302室楼上漏水"}
    assert found("302") == {"A栋302室楼上漏水", "B栋302室电梯故障"}
    assert found("ktv") == {"楼下KTV噪音扰民严重"}


def test_all_words_must_match(table):
    index_units(*PETITIONS)
    assert found("拆迁 补偿") == {"拆迁补偿款迟迟未到位", "征地拆迁补偿标准过低"}
    assert found("拆迁 标准") == {"征地拆迁补偿标准过低"}
    assert found("拆迁 工资") == set()


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ('拆迁"', {"拆迁补偿款迟迟未到位", "征地拆迁补偿标准过低"}),
        ("拆迁'", {"拆迁补偿款迟迟未到位", "征地拆迁补偿标准过低"}),
        ("拆迁%", {"拆迁补偿款迟迟未到位", "征地拆迁补偿标准过低"}),
        ("拆迁*", {"拆迁补偿款迟迟未到位", "征地拆迁补偿标准过低"}),
        ("-拆迁", {"拆迁补偿款迟迟未到位", "征地拆迁补偿标准过低"}),
        ("^拆迁", {"拆迁补偿款迟迟未到位", "征地拆迁补偿标准过低"}),
        ("tokens:征地", set()),  # "tokens" is a word here, not a column filter
        ("拆迁 OR 工资", set()),
        ("拆迁 NOT 标准", set()),
        ("拆迁 AND 工资", set()),
        ("NEAR(拆迁 补偿)", set()),
        ('"拆迁" OR "工资"', set()),
        ("OR", set()),
        ("NEAR", set()),
        ("' OR 1=1 --", set()),
        ("'; DROP TABLE core_unit; --", set()),
        ("拆迁\\", {"拆迁补偿款迟迟未到位", "征地拆迁补偿标准过低"}),
        ("拆迁 & 工资 | 漏水 !", set()),
        ("拆迁:*", {"拆迁补偿款迟迟未到位", "征地拆迁补偿标准过低"}),
    ],
)
def test_query_syntax_is_plain_text(table, q, expected):
    index_units(*PETITIONS)
    assert found(q) == expected
    assert Unit.objects.count() == len(PETITIONS)


@pytest.mark.parametrize("q", ['"', "'", "%", "*", "-", "", "  "])
def test_a_query_without_tokens_leaves_the_queryset_unchanged(table, q):
    index_units(*PETITIONS)
    qs = Unit.objects.filter(name__startswith="A栋")
    assert search_filter(qs, TABLE, q) is qs


def test_updating_the_text_changes_the_results(table):
    unit, other = index_units("拆迁补偿款迟迟未到位", "物业乱收费")
    search_put(TABLE, unit.pk, "农民工工资被拖欠")
    assert found("拆迁") == set()
    assert found("工资") == {unit.name}
    search_put_many(TABLE, [(other.pk, "电梯故障"), (other.pk, "燃气泄漏")])  # the last wins
    assert found("燃气") == {other.name}
    assert found("电梯") == set()
    assert found("物业") == set()


def test_deleting_removes_the_object_from_the_index(table):
    first, second, third = index_units("拆迁补偿", "征地拆迁", "拆迁安置")
    search_delete(TABLE, [first.pk, third.pk, 10**12])
    assert found("拆迁") == {"征地拆迁"}
    search_delete(TABLE, [])
    assert found("拆迁") == {"征地拆迁"}


def test_many_rows_in_several_batches(table, monkeypatch):
    monkeypatch.setattr(search, "WRITE_BATCH", 7)
    units = make_units(*[f"第{i}号拆迁安置" if i % 3 else f"第{i}号物业" for i in range(50)])
    assert search_put_many(TABLE, ((u.pk, u.name) for u in units)) == 50
    assert len(found("拆迁")) == len([i for i in range(50) if i % 3])
    search_delete(TABLE, (u.pk for u in units[:20]))
    assert len(found("拆迁")) == len([i for i in range(20, 50) if i % 3])


def test_search_composes_with_filters_and_ordering(table):
    index_units(*PETITIONS)
    qs = Unit.objects.filter(name__contains="未到位").order_by("-id")
    assert list(search_filter(qs, TABLE, "拆迁").values_list("name", flat=True)) == [
        "拆迁补偿款迟迟未到位"
    ]
    both = search_filter(search_filter(Unit.objects.all(), TABLE, "302"), TABLE, "电梯")
    assert set(both.values_list("name", flat=True)) == {"B栋302室电梯故障"}
    assert search_filter(Unit.objects.exclude(name__startswith="A"), TABLE, "302").count() == 1


def test_search_composes_with_the_users_scope(table, personas):
    # Index people: everyone in the test city handles 拆迁 except the enterprise contact.
    people = User.objects.all()
    search_put_many(
        TABLE, [(p.pk, "企业联络" if p.username == "enterprise" else "负责拆迁") for p in people]
    )
    visible = search_filter(User.objects.restrict(personas.same, "view"), TABLE, "拆迁")
    assert set(visible.values_list("username", flat=True)) == {"same", "member"}
    outsider = search_filter(User.objects.restrict(personas.outsider, "view"), TABLE, "拆迁")
    assert set(outsider.values_list("username", flat=True)) == {"outsider"}


def test_keyset_pages_of_a_search_are_one_query_plus_the_count(table, django_assert_num_queries):
    matching = index_units(*[f"拆迁安置{i}号" for i in range(5)])
    index_units("物业乱收费", "电梯故障")
    qs = search_filter(Unit.objects.all(), TABLE, "拆迁 安置")
    with django_assert_num_queries(2):
        first = keyset_page(qs, ("-id",), limit=2)
    assert first.count == 5
    assert [u.pk for u in first.items] == [u.pk for u in reversed(matching)][:2]
    with django_assert_num_queries(2):
        second = keyset_page(qs, ("-id",), cursor=first.next_cursor, limit=2)
    assert [u.pk for u in second.items] == [u.pk for u in reversed(matching)][2:4]
    with django_assert_num_queries(1):
        keyset_page(qs, ("-id",), cursor=second.next_cursor, limit=2, with_count=False)


def test_a_common_word_filters_by_a_subquery_not_a_list_of_ids(table, monkeypatch):
    from anxin.core import search

    index_units(*PETITIONS)
    monkeypatch.setattr(search, "RARE_MATCHES", 1)
    sql = str(search_filter(Unit.objects.all(), TABLE, "拆迁").query)
    assert f"IN (SELECT {'rowid' if connection.vendor == 'sqlite' else 'object_id'} FROM" in sql


def test_a_rare_word_filters_by_its_ids_read_in_one_query(table, django_assert_num_queries):
    """At most RARE_MATCHES matches: the ids, read first, so the planner knows how few."""
    units = index_units("拆迁补偿", "征地拆迁", "物业乱收费")
    with django_assert_num_queries(1):
        qs = search_filter(Unit.objects.all(), TABLE, "拆迁")
    sql = str(qs.query)
    assert "SELECT rowid" not in sql and "SELECT object_id" not in sql
    assert set(qs.values_list("pk", flat=True)) == {units[0].pk, units[1].pk}


def test_a_word_in_no_text_lists_nothing_without_a_second_query(table, django_assert_num_queries):
    index_units("拆迁补偿")
    qs = search_filter(Unit.objects.all(), TABLE, "违建")
    with django_assert_num_queries(0):
        assert list(qs) == []


# --- Rebuilding --------------------------------------------------------------------------------


def test_rebuild_indexes_the_queryset_and_drops_everything_else(table):
    units = make_units("拆迁补偿", "征地拆迁", "物业乱收费", "拆迁安置")
    search_put(TABLE, units[2].pk, "拆迁")  # stale text
    search_put(TABLE, 10**12, "拆迁")  # an object that no longer exists
    search_put(TABLE, units[3].pk, "拆迁安置")  # outside the rebuilt queryset

    qs = Unit.objects.filter(pk__in=[u.pk for u in units[:3]])
    assert search_rebuild(TABLE, qs, lambda u: u.name, batch=2) == 3

    assert found("拆迁") == {"拆迁补偿", "征地拆迁"}
    assert found("物业") == {"物业乱收费"}
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {TABLE}")
        assert cursor.fetchone()[0] == 3


def test_rebuild_of_an_empty_queryset_empties_the_index(table):
    index_units("拆迁补偿")
    assert search_rebuild(TABLE, Unit.objects.none(), lambda u: u.name) == 0
    assert found("拆迁") == set()


# --- The migration operation -------------------------------------------------------------------


def test_the_operation_deconstructs_and_describes_itself():
    op = SearchIndexOperation("petitions_petition_fts")
    assert op.deconstruct() == (
        "SearchIndexOperation",
        [],
        {"table_name": "petitions_petition_fts"},
    )
    assert op.describe() == "Create full-text search table petitions_petition_fts"
    assert op.migration_name_fragment == "search_petitions_petition_fts"
    assert op.reversible


@pytest.mark.parametrize("name", ["", "Bad", "x; DROP TABLE core_unit", "a-b", "t" * 64, '"x"'])
def test_table_names_are_checked(name):
    with pytest.raises(ValueError, match="invalid search table name"):
        SearchIndexOperation(name)
    with pytest.raises(ValueError, match="invalid search table name"):
        search_put(name, 1, "拆迁")


@pytest.mark.django_db(transaction=True)
def test_the_operation_creates_and_drops_the_table():
    from django.db.migrations.state import ProjectState

    op = SearchIndexOperation(TABLE)
    state = ProjectState()
    with connection.schema_editor(collect_sql=True) as editor:  # sqlmigrate
        op.database_forwards("core", editor, state, state)
    assert editor.collected_sql == [f"{sql};" for sql in search_table_sql(connection, TABLE)[0]]
    assert TABLE not in connection.introspection.table_names()

    with connection.schema_editor() as editor:
        op.database_forwards("core", editor, state, state)
    try:
        assert TABLE in connection.introspection.table_names()
        index_units("违章建筑")  # the units go with the test's flush
        assert found("违章建筑") == {"违章建筑"}
    finally:
        with connection.schema_editor() as editor:
            op.database_backwards("core", editor, state, state)
    assert TABLE not in connection.introspection.table_names()


# --- Property: a word search finds exactly the texts holding the word -------------------------


def test_the_vocabulary_is_kept_whole_and_independent():
    for word in VOCABULARY:
        assert word in tokenize(word).split(), word
        assert set(parse_query(word)) <= set(tokenize(word).split()), word
        for other in VOCABULARY:
            if other != word:
                assert not set(parse_query(word)) & set(tokenize(other).split()), (word, other)


texts = st.lists(
    st.lists(st.sampled_from(VOCABULARY), min_size=1, max_size=5).flatmap(
        lambda words: st.lists(
            st.sampled_from(SEPARATORS), min_size=len(words), max_size=len(words)
        ).map(lambda seps: "".join(w + s for w, s in zip(words, seps, strict=True)))
    ),
    min_size=1,
    max_size=12,
)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(docs=texts, word=st.sampled_from(VOCABULARY))
def test_a_word_finds_exactly_the_texts_that_contain_it(table, docs, word):
    with transaction.atomic():
        units = make_units(*docs)
        search_put_many(TABLE, [(u.pk, u.name) for u in units])
        hits = set(search_filter(Unit.objects.all(), TABLE, word).values_list("pk", flat=True))
        assert hits == {u.pk for u in units if word in u.name}
        transaction.set_rollback(True)
