"""Chinese full-text search: jieba tokens in the database's own full-text index.

Text is segmented with jieba in Python and the space-separated tokens are stored in a per-model
search table: an FTS5 virtual table on SQLite, a ``tsvector`` column with a GIN index on
PostgreSQL (``simple`` configuration: no stemming, no stop words). The database only ever splits
on spaces, so both sides see exactly the tokens jieba produced. See docs/search.md.

- schema: :class:`SearchIndexOperation` in the model's migration creates the table;
- writes: the domain services call :func:`search_put` / :func:`search_delete` inside their
  transactions; :func:`search_rebuild` re-indexes a whole queryset (management command);
- reads: the selectors call :func:`search_filter`, which adds ``pk IN (subquery)`` to the
  queryset (``pk IN (ids)`` for a rare word, read first with one capped query), so it composes
  with ``restrict()``, other filters, ordering and keyset pagination.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
import threading
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, NotSupportedError, connections, router, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.operations.base import Operation
from django.db.models import Model, QuerySet
from django.db.models.expressions import RawSQL

if TYPE_CHECKING:
    import jieba
    from django.db.backends.base.schema import BaseDatabaseSchemaEditor
    from django.db.migrations.state import ProjectState

__all__ = [
    "SearchIndexOperation",
    "parse_query",
    "search_delete",
    "search_filter",
    "search_put",
    "search_put_many",
    "search_rebuild",
    "tokenize",
]

M = TypeVar("M", bound=Model)
QS = TypeVar("QS", bound=QuerySet[Any])

#: rows per INSERT/DELETE statement
WRITE_BATCH = 1000
#: a document's token longer than this is dropped (long latin runs: hashes, base64, URLs)
MAX_TOKEN_CHARS = 64
#: a query is cut at this many characters, and at this many tokens
MAX_QUERY_CHARS = 200
MAX_QUERY_TOKENS = 16

_TABLE_NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")
#: a token must hold at least one letter or digit (any script); whitespace/punctuation-only go
_WORDY = re.compile(r"[^\W_]")
#: function words a query does not require (小区的噪音 finds 小区噪音); indexed text keeps them
QUERY_STOP_WORDS = frozenset(
    "的 地 得 了 着 过 是 在 和 与 及 或 被 把 将 也 都 就 而 之 其 于 吗 呢 吧 啊".split()
)
#: the characters jieba's dictionary covers (jieba.re_han_default without latin and digits)
_HAN = re.compile("[\u4e00-\u9fd5]+")

# --- Tokenizer ---------------------------------------------------------------------------------

_lock = threading.Lock()
_jieba: jieba.Tokenizer | None = None


def _cache_file() -> str:
    """Where jieba keeps its prefix-dictionary cache (a marshal dump, about 0.7 s to load).

    ``$JIEBA_CACHE`` (the settings default it to ``VAR_DIR/jieba.cache``) when it can be read or
    written there; otherwise a private directory under the system temp dir, so a read-only
    ``var/`` still works.
    """
    from django.conf import settings

    wanted = Path(os.environ.get("JIEBA_CACHE") or Path(settings.VAR_DIR) / "jieba.cache")
    if wanted.is_file() and os.access(wanted, os.R_OK):
        return str(wanted)
    if wanted.parent.is_dir() and os.access(wanted.parent, os.W_OK | os.X_OK):
        return str(wanted)
    # /tmp is shared: use a directory only we can write, so nobody can plant a cache for us.
    private = Path(tempfile.gettempdir()) / f"anxin-jieba-{os.getuid()}"
    try:
        private.mkdir(mode=0o700, exist_ok=True)
        st = private.stat()
        if st.st_uid == os.getuid() and not st.st_mode & 0o022:
            return str(private / "jieba.cache")
    except OSError:
        pass
    return str(Path(tempfile.mkdtemp(prefix="anxin-jieba-")) / "jieba.cache")


def _tokenizer() -> jieba.Tokenizer:
    """Anxin's own jieba tokenizer, loaded once per process on first use.

    A private instance rather than ``jieba.dt``: if other code adds words to the global
    dictionary, the segmentation of queries must not drift away from that of indexed text.
    """
    global _jieba
    if _jieba is not None:
        return _jieba
    with _lock:
        if _jieba is None:
            import jieba

            tokenizer = jieba.Tokenizer()
            tokenizer.cache_file = _cache_file()
            # jieba logs its progress at DEBUG to its own stderr handler; keep warnings only.
            jieba_log = logging.getLogger("jieba")
            level = jieba_log.level
            jieba_log.setLevel(logging.WARNING)
            try:
                tokenizer.initialize()
            finally:
                jieba_log.setLevel(level)
            _jieba = tokenizer
    return _jieba


def _normalise(text: str) -> str:
    # NFKC folds full-width latin and digits (Ａ栋３０２ → A栋302) and compatibility forms.
    return unicodedata.normalize("NFKC", text).lower()


def _tokens(text: str) -> Iterator[str]:
    if not text:
        return
    for token in _tokenizer().cut_for_search(_normalise(text)):
        if len(token) <= MAX_TOKEN_CHARS and _WORDY.search(token):
            yield token


def tokenize(text: str) -> str:
    """The search tokens of ``text``, space-separated: jieba ``cut_for_search``, lowercased.

    >>> tokenize("拆除违章建筑物，A栋302室")
    '拆除 违章 建筑 建筑物 a 栋 302 室'
    """
    return " ".join(_tokens(text))


def _index_text(text: str) -> str:
    """What is stored for a document: its distinct tokens, in order of first appearance."""
    return " ".join(dict.fromkeys(_tokens(text)))


def _query_parts(word: str) -> list[str]:
    """The tokens a document must hold to contain the query word ``word``.

    A Chinese word of four or more characters is replaced by a cover of its dictionary
    sub-words of two and three characters (违章建筑 → 违章 建筑), the same sub-words that
    ``cut_for_search`` adds for it. Indexed text is segmented in context, and there a long word
    is often cut differently (拆除违章建筑物 → 拆除/违章/建筑物, whose tokens hold 违章 and 建筑 but
    not 违章建筑). Words of two or three characters are kept whole: inside a longer document
    word, ``cut_for_search`` emits them as its sub-words.
    """
    n = len(word)
    if n < 4 or not _HAN.fullmatch(word):
        return [word]
    freq = _tokenizer().FREQ
    spans = [(i, i + k) for k in (2, 3) for i in range(n - k + 1) if freq.get(word[i : i + k])]
    parts: list[str] = []
    covered = 0
    while covered < n:
        reaching = [s for s in spans if s[0] <= covered < s[1]]
        if not reaching:
            return [word]
        start, end = max(reaching, key=lambda s: (s[1], -s[0]))
        parts.append(word[start:end])
        covered = end
    return parts


def parse_query(q: str) -> list[str]:
    """The tokens of a search box's text; a document matches when it holds all of them.

    Deduplicated, at most ``MAX_QUERY_TOKENS``; ``[]`` for a blank query or one made only of
    punctuation and function words (``QUERY_STOP_WORDS``). Each token is one that
    ``cut_for_search`` yields for ``q``.

    >>> parse_query("违章建筑 噪音扰民")
    ['违章', '建筑', '噪音', '扰民']
    """
    q = (q or "").strip()[:MAX_QUERY_CHARS]
    if not q:
        return []
    tokens: dict[str, None] = {}
    for word in _tokenizer().cut(_normalise(q)):
        if len(word) <= MAX_TOKEN_CHARS and _WORDY.search(word) and word not in QUERY_STOP_WORDS:
            for part in _query_parts(word):
                tokens[part] = None
    return list(tokens)[:MAX_QUERY_TOKENS]


# --- The search table --------------------------------------------------------------------------


def _check_table(table: str) -> str:
    if not _TABLE_NAME.fullmatch(table):
        raise ValueError(f"invalid search table name {table!r}: use [a-z][a-z0-9_]*, ≤ 63 chars")
    return table


def _vendor(connection: BaseDatabaseWrapper) -> str:
    if connection.vendor not in {"sqlite", "postgresql"}:
        raise NotSupportedError(f"full-text search is not implemented for {connection.vendor}")
    return connection.vendor


def search_table_sql(connection: BaseDatabaseWrapper, table: str) -> tuple[list[str], list[str]]:
    """The statements that create and drop the search table ``table`` on ``connection``."""
    name = connection.ops.quote_name(_check_table(table))
    if _vendor(connection) == "sqlite":
        # rowid is the object's primary key. unicode61 splits on spaces and punctuation only, so
        # a CJK token like 违章建筑 stays one token.
        create = [
            f"CREATE VIRTUAL TABLE {name} USING fts5("
            f"tokens, tokenize='unicode61 remove_diacritics 0')"
        ]
    else:
        index = connection.ops.quote_name(f"{table[:56]}_gin")
        create = [
            f"CREATE TABLE {name} (object_id bigint PRIMARY KEY, vector tsvector NOT NULL)",
            f"CREATE INDEX {index} ON {name} USING GIN (vector)",
        ]
    return create, [f"DROP TABLE {name}"]


class SearchIndexOperation(Operation):
    """Migration operation: create (reverse: drop) the search table of a model.

    ``operations = [..., SearchIndexOperation("petitions_petition_fts")]``
    """

    reversible = True
    reduces_to_sql = True

    def __init__(self, table_name: str) -> None:
        self.table_name = _check_table(table_name)

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return (self.__class__.__qualname__, [], {"table_name": self.table_name})

    def state_forwards(self, app_label: str, state: ProjectState) -> None:
        pass  # not a model: nothing in the project state

    def _run(self, app_label: str, schema_editor: BaseDatabaseSchemaEditor, create: bool) -> None:
        if not router.allow_migrate(schema_editor.connection.alias, app_label):
            return
        up, down = search_table_sql(schema_editor.connection, self.table_name)
        for sql in up if create else down:
            schema_editor.execute(sql)

    def database_forwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        self._run(app_label, schema_editor, create=True)

    def database_backwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        self._run(app_label, schema_editor, create=False)

    def describe(self) -> str:
        return f"Create full-text search table {self.table_name}"

    @property
    def migration_name_fragment(self) -> str:
        return f"search_{self.table_name}"


# --- Writes ------------------------------------------------------------------------------------


def _batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def search_put(table: str, object_id: int, text: str, *, using: str = DEFAULT_DB_ALIAS) -> None:
    """Index (or re-index) one object: its search text replaces whatever was stored."""
    search_put_many(table, [(object_id, text)], using=using)


def search_put_many(
    table: str, rows: Iterable[tuple[int, str]], *, using: str = DEFAULT_DB_ALIAS
) -> int:
    """Index many ``(object_id, text)`` pairs (the last wins for a repeated id); returns rows."""
    connection = connections[using]
    vendor = _vendor(connection)
    name = connection.ops.quote_name(_check_table(table))
    written = 0
    for batch in _batches(rows, WRITE_BATCH):
        docs = {int(pk): _index_text(text) for pk, text in batch}
        with connection.cursor() as cursor:
            if vendor == "sqlite":
                ids = [(pk,) for pk in docs]
                cursor.executemany(f"DELETE FROM {name} WHERE rowid = %s", ids)
                cursor.executemany(
                    f"INSERT INTO {name} (rowid, tokens) VALUES (%s, %s)", list(docs.items())
                )
            else:
                values = ", ".join(["(%s, strip(to_tsvector('simple', %s)))"] * len(docs))
                cursor.execute(
                    f"INSERT INTO {name} (object_id, vector) VALUES {values} "
                    f"ON CONFLICT (object_id) DO UPDATE SET vector = EXCLUDED.vector",
                    [value for item in docs.items() for value in item],
                )
        written += len(docs)
    return written


def search_delete(table: str, object_ids: Iterable[int], *, using: str = DEFAULT_DB_ALIAS) -> None:
    """Remove objects from the index (ids that are not there are ignored)."""
    connection = connections[using]
    vendor = _vendor(connection)
    name = connection.ops.quote_name(_check_table(table))
    for batch in _batches(object_ids, WRITE_BATCH):
        with connection.cursor() as cursor:
            if vendor == "sqlite":
                cursor.executemany(
                    f"DELETE FROM {name} WHERE rowid = %s", [(int(pk),) for pk in batch]
                )
            else:
                cursor.execute(
                    f"DELETE FROM {name} WHERE object_id = ANY(%s)", [[int(pk) for pk in batch]]
                )


def search_rebuild(
    table: str,
    queryset: QuerySet[M],
    text_of: Callable[[M], str],
    batch: int = 2000,
) -> int:
    """Re-index every object of ``queryset`` and drop the index rows of all other objects.

    Upserts in primary-key order, one transaction per batch, then prunes: searches keep working
    during a rebuild (no empty index). Returns the number of objects indexed. Select the
    related rows ``text_of`` reads (``select_related("category")``) to avoid N+1 queries.
    """
    using = queryset.db
    ordered = queryset.order_by("pk")
    total = 0
    last: Any = None
    while True:
        objects = list((ordered if last is None else ordered.filter(pk__gt=last))[:batch])
        if not objects:
            break
        with transaction.atomic(using=using):
            search_put_many(table, ((obj.pk, text_of(obj)) for obj in objects), using=using)
        total += len(objects)
        last = objects[-1].pk
    _prune(table, queryset, using)
    return total


def _prune(table: str, queryset: QuerySet[Any], using: str) -> None:
    """Delete the index rows whose object is not in ``queryset``."""
    from django.core.exceptions import EmptyResultSet

    connection = connections[using]
    vendor = _vendor(connection)
    name = connection.ops.quote_name(_check_table(table))
    try:
        sub, params = queryset.order_by().values("pk").query.sql_with_params()
    except EmptyResultSet:
        sql, params = f"DELETE FROM {name}", ()
    else:
        if vendor == "sqlite":
            sql = f"DELETE FROM {name} WHERE rowid NOT IN ({sub})"
        else:  # NOT EXISTS plans as an anti-join; NOT IN over millions of ids would not
            sql = (
                f"DELETE FROM {name} WHERE NOT EXISTS "
                f"(SELECT 1 FROM ({sub}) AS live (id) WHERE live.id = {name}.object_id)"
            )
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute(sql, params)


# --- Reads -------------------------------------------------------------------------------------


def _match_sql(connection: BaseDatabaseWrapper, table: str, tokens: Sequence[str]) -> RawSQL:
    """A subquery of the ids of the objects whose index holds every token (bound parameters)."""
    name = connection.ops.quote_name(_check_table(table))
    if _vendor(connection) == "sqlite":
        # Each token is an FTS5 string (a phrase): operators, column filters and prefix stars
        # inside it are plain text; a `"` is doubled. Phrases side by side are ANDed.
        match = " ".join('"{}"'.format(token.replace('"', '""')) for token in tokens)
        return RawSQL(f"SELECT rowid FROM {name} WHERE {name} MATCH %s", [match])
    # plainto_tsquery ANDs the lexemes and reads no operators; `simple` keeps tokens as they are.
    return RawSQL(
        f"SELECT object_id FROM {name} WHERE vector @@ plainto_tsquery('simple', %s)",
        [" ".join(tokens)],
    )


def search_filter(queryset: QS, table: str, q: str) -> QS:
    """``queryset`` narrowed to the objects whose search text holds every token of ``q``.

    A query without tokens (blank, only punctuation) returns ``queryset`` unchanged. The
    condition is ``pk IN (subquery)`` evaluated by the database, so it composes with any other
    filter, ``restrict()``, ordering, ``count()`` and :func:`~anxin.core.pagination.keyset_page`.
    """
    tokens = parse_query(q)
    if not tokens:
        return queryset
    connection = connections[queryset.db]
    match = _match_sql(connection, table, tokens)
    # A rare word (or one in no text) first: its few ids are read from the full-text index
    # (one query, capped) and given to the list as values. With the subquery, the planner
    # cannot know the word is rare and walks the whole ledger in date order looking for the
    # page's 50 matches (24 s at 1M cases for a word in no case; docs/performance.md).
    with connection.cursor() as cursor:
        cursor.execute(f"{match.sql} LIMIT {RARE_MATCHES + 1}", match.params)
        ids = [row[0] for row in cursor.fetchall()]
    if len(ids) <= RARE_MATCHES:
        return queryset.filter(pk__in=ids)
    return queryset.filter(pk__in=match)


#: a search whose matches are at most this many filters the list by their ids (see above)
RARE_MATCHES = 5_000
