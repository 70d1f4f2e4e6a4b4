"""Conversations on disk: SQLite in WAL mode with an FTS5 index over every message.

Each message is committed as soon as it exists, so a crash or kill loses at most the
answer being generated. Images are stored with their message (PNG bytes), so history
still shows them. Deleting a conversation only marks it; `restore()` undoes that until
`purge()` removes it for good: with SQLite's secure_delete, the search index merged and
the write-ahead log emptied, so its words and images are gone from the files. One store
object belongs to one thread (sqlite3's rule).
"""

from __future__ import annotations

import base64
import json
import re
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desktop.core.conversation import Attachment, Message
from desktop.core.engine_types import AnswerDetails
from desktop.services.history.history_file import StoreError, open_history

__all__ = ["ConversationStore", "ConversationSummary", "SearchHit", "StoreError", "StoredMessage"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    deleted_at REAL
);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
    text TEXT NOT NULL,
    created_at REAL NOT NULL,
    stats TEXT,
    UNIQUE (conversation_id, position)
);
CREATE TABLE IF NOT EXISTS images (
    id INTEGER PRIMARY KEY,
    message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    png BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS drafts (
    conversation_id INTEGER PRIMARY KEY,  -- -1: the new chat's, -2: Quick Ask's (no conversation yet)
    text TEXT NOT NULL
);
CREATE VIRTUAL TABLE IF NOT EXISTS messages_fts USING fts5(
    text, content='messages', content_rowid='id', tokenize='unicode61 remove_diacritics 2'
);
CREATE TRIGGER IF NOT EXISTS messages_ai AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts(rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER IF NOT EXISTS messages_ad AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TRIGGER IF NOT EXISTS messages_au AFTER UPDATE OF text ON messages BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
    INSERT INTO messages_fts(rowid, text) VALUES (new.id, new.text);
END;
"""
_PNG_PREFIX = "data:image/png;base64,"
MAX_DRAFTS = 1000  # one per conversation at most; bounded all the same
MAX_DRAFT_CHARS = 1_000_000
MAX_SEARCH_TERMS = 12  # each term is a prefix query; FTS5's cost grows with their product
MAX_TERM_CHARS = 64
_SNIPPET_CHARS = 600  # FTS5 keeps all text between its tokens: a run of 1M "[" is one snippet
_FIRST_MATCH = re.compile(r"\[[^\[\]]+\]")


@dataclass(frozen=True)
class ConversationSummary:
    id: int
    title: str
    created_at: float
    updated_at: float
    message_count: int


@dataclass(frozen=True)
class StoredMessage:
    id: int
    position: int
    message: Message
    details: AnswerDetails | None  # an answer's statistics and thinking; None for a question
    created_at: float


@dataclass(frozen=True)
class SearchHit:
    conversation_id: int
    conversation_title: str
    message_id: int
    position: int
    snippet: str  # with the matches between [ and ]


class ConversationStore:
    """The history database. `close()` when done.

    `set_aside` names the damaged file this store replaced when it opened, if any: the
    caller tells the person.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        opened = open_history(path, _SCHEMA)
        self._db, self.set_aside = opened.connection, opened.set_aside
        self._removed_text = False  # messages were removed since the last scrub

    def close(self) -> None:
        """Remove what was deleted (also from the index and the log), then close."""
        try:
            if self._removed_text:
                self._scrub()
        except StoreError:
            pass  # a read-only or full disk: the words stay until the next open can scrub
        finally:
            self._db.close()

    # -- conversations ---------------------------------------------------------------

    def create(self, title: str = "New conversation") -> int:
        now = time.time()
        cursor = self._write(
            "INSERT INTO conversations (title, created_at, updated_at) VALUES (?, ?, ?)", (title, now, now)
        )
        return int(cursor.lastrowid or 0)

    def conversations(self) -> list[ConversationSummary]:
        rows = self._read(
            "SELECT c.id, c.title, c.created_at, c.updated_at, COUNT(m.id) FROM conversations c "
            "LEFT JOIN messages m ON m.conversation_id = c.id WHERE c.deleted_at IS NULL "
            "GROUP BY c.id ORDER BY c.updated_at DESC, c.id DESC", ()
        )
        return [ConversationSummary(*row) for row in rows]

    def exists(self, conversation_id: int) -> bool:
        """Whether the conversation is there and not deleted."""
        return bool(self._read("SELECT 1 FROM conversations WHERE id = ? AND deleted_at IS NULL",
                               (conversation_id,)))

    def rename(self, conversation_id: int, title: str) -> None:
        self._write("UPDATE conversations SET title = ? WHERE id = ?", (title.strip() or "Untitled", conversation_id))

    def delete(self, conversation_id: int) -> None:
        """Hide the conversation; `restore()` brings it back until `purge_deleted()`."""
        self._write("UPDATE conversations SET deleted_at = ? WHERE id = ?", (time.time(), conversation_id))

    def restore(self, conversation_id: int) -> None:
        self._write("UPDATE conversations SET deleted_at = NULL WHERE id = ?", (conversation_id,))

    def purge(self, conversation_id: int) -> bool:
        """Remove a deleted conversation for good (undo is over); False if it was restored."""
        removed = self._write(
            "DELETE FROM conversations WHERE id = ? AND deleted_at IS NOT NULL", (conversation_id,)
        ).rowcount
        if removed:
            self._scrub()
        return bool(removed)

    def purge_deleted(self) -> int:
        """Remove every deleted conversation for good (on quit, and left over from a crash)."""
        removed = self._write("DELETE FROM conversations WHERE deleted_at IS NOT NULL", ()).rowcount
        if removed:
            self._scrub()
        return removed

    # -- drafts ----------------------------------------------------------------------

    def drafts(self) -> dict[int, str]:
        """What was typed and not sent, by conversation (-1: the new chat; -2: Quick Ask)."""
        return {int(c): str(t) for c, t in self._read("SELECT conversation_id, text FROM drafts", ())}

    def keep_drafts(self, drafts: dict[int, str]) -> None:
        """Replace the kept drafts; empty ones and those of removed conversations go."""
        kept = [(c, t[:MAX_DRAFT_CHARS]) for c, t in drafts.items() if t.strip()][:MAX_DRAFTS]
        try:
            with self._db:
                self._db.execute("DELETE FROM drafts")
                self._db.executemany("INSERT INTO drafts (conversation_id, text) SELECT ?, ? WHERE ? < 0 OR "
                                     "EXISTS (SELECT 1 FROM conversations WHERE id = ?)",
                                     [(c, t, c, c) for c, t in kept])
        except sqlite3.DatabaseError as error:
            raise StoreError(f"The history database {self.path} could not be written: {error}.") from error

    # -- messages --------------------------------------------------------------------

    def append(self, conversation_id: int, message: Message, *, details: AnswerDetails | None = None) -> int:
        """Store `message` (and its images) at the end of the conversation, committed."""
        now = time.time()
        try:
            with self._db:
                self._db.execute("BEGIN IMMEDIATE")
                position = self._db.execute(
                    "SELECT COALESCE(MAX(position) + 1, 0) FROM messages WHERE conversation_id = ?",
                    (conversation_id,),
                ).fetchone()[0]
                message_id = self._db.execute(
                    "INSERT INTO messages (conversation_id, position, role, text, created_at, stats) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (conversation_id, position, message.role, message.text, now,
                     json.dumps(details.to_json()) if details is not None else None),
                ).lastrowid
                for index, image in enumerate(message.images):
                    self._db.execute(
                        "INSERT INTO images (message_id, position, name, width, height, png) VALUES (?, ?, ?, ?, ?, ?)",
                        (message_id, index, image.source_name, image.width, image.height, _png_bytes(image)),
                    )
                self._db.execute("UPDATE conversations SET updated_at = ? WHERE id = ?", (now, conversation_id))
        except sqlite3.DatabaseError as error:
            raise StoreError(f"The message could not be saved to {self.path}: {error}.") from error
        return int(message_id or 0)

    def messages(self, conversation_id: int) -> list[StoredMessage]:
        rows = self._read(
            "SELECT id, position, role, text, stats, created_at FROM messages "
            "WHERE conversation_id = ? ORDER BY position", (conversation_id,),
        )
        images: dict[int, list[Attachment]] = {}
        for message_id, name, width, height, png in self._read(
            "SELECT i.message_id, i.name, i.width, i.height, i.png FROM images i "
            "JOIN messages m ON m.id = i.message_id WHERE m.conversation_id = ? ORDER BY i.message_id, i.position",
            (conversation_id,),
        ):
            uri = _PNG_PREFIX + base64.b64encode(png).decode("ascii")
            images.setdefault(message_id, []).append(Attachment(uri, width, height, name))
        return [
            StoredMessage(
                id=row[0], position=row[1],
                message=Message(role=row[2], text=row[3], images=tuple(images.get(row[0], ()))),
                details=_details(row[4]), created_at=row[5],
            )
            for row in rows
        ]

    def truncate(self, conversation_id: int, *, from_position: int) -> None:
        """Remove the messages from `from_position` on (edit-and-resend, regenerate)."""
        self._write(
            "DELETE FROM messages WHERE conversation_id = ? AND position >= ?", (conversation_id, from_position)
        )
        self._removed_text = True  # their words leave the search index on the next scrub (at the latest, close)

    # -- search and export ---------------------------------------------------------------

    def search(self, query: str, *, limit: int = 50, cancelled: Callable[[], bool] | None = None) -> list[SearchHit]:
        """Full-text search over every message of the visible conversations.

        At most MAX_SEARCH_TERMS words of MAX_TERM_CHARS count (a pasted page would make
        FTS5 work for minutes); `cancelled()` is asked as the query runs, and a True
        stops it with [] (a newer search replaced it).
        """
        terms = search_terms(query)
        if not terms:
            return []
        match = " ".join(f'"{t}"*' for t in terms)  # every word, as a prefix; no FTS syntax leaks
        if cancelled is not None:
            self._db.set_progress_handler(lambda: 1 if cancelled() else 0, 1_000)
        try:
            rows = self._db.execute(
                "SELECT c.id, c.title, m.id, m.position, snippet(messages_fts, 0, '[', ']', '…', 12) "
                "FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid "
                "JOIN conversations c ON c.id = m.conversation_id "
                "WHERE messages_fts MATCH ? AND c.deleted_at IS NULL ORDER BY rank LIMIT ?",
                (match, limit),
            ).fetchall()
        except sqlite3.OperationalError as error:
            if cancelled is not None and cancelled():
                return []
            raise StoreError(f"The history could not be searched: {error}.") from error
        finally:
            self._db.set_progress_handler(None, 0)
        return [SearchHit(*row[:4], _bounded_snippet(row[4])) for row in rows]

    def export_markdown(self, conversation_id: int) -> str:
        title = self._title(conversation_id)
        parts = [f"# {title}\n"]
        for stored in self.messages(conversation_id):
            message = stored.message
            parts.append(f"## {message.role.capitalize()}\n")
            parts.extend(f"![{image.source_name or 'image'}]({image.data_uri})\n" for image in message.images)
            parts.append(message.text.rstrip() + "\n")
        return "\n".join(parts)

    def export_json(self, conversation_id: int) -> str:
        messages = [
            {
                "role": s.message.role,
                "content": s.message.text,
                "images": [
                    {"name": i.source_name, "width": i.width, "height": i.height, "data_uri": i.data_uri}
                    for i in s.message.images
                ],
                "stats": s.details.to_json() if s.details is not None else None,
                "created_at": s.created_at,
            }
            for s in self.messages(conversation_id)
        ]
        return json.dumps({"title": self._title(conversation_id), "messages": messages}, indent=2)

    def integrity_ok(self) -> bool:
        return self._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    def _scrub(self) -> None:
        """Make removed rows unrecoverable from the files: secure_delete has zeroed their
        pages; merging the search index drops their words, and emptying the write-ahead
        log drops older copies of those pages."""
        self._write("DELETE FROM drafts WHERE conversation_id >= 0 AND conversation_id NOT IN "
                    "(SELECT id FROM conversations)", ())
        self._write("INSERT INTO messages_fts(messages_fts) VALUES ('optimize')", ())
        try:
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.DatabaseError as error:
            raise StoreError(f"The history database {self.path} could not be written: {error}.") from error
        self._removed_text = False

    # -- helpers ---------------------------------------------------------------------

    def _title(self, conversation_id: int) -> str:
        rows = self._read("SELECT title FROM conversations WHERE id = ?", (conversation_id,))
        if not rows:
            raise StoreError(f"There is no conversation {conversation_id}.")
        return str(rows[0][0])

    def _read(self, sql: str, args: tuple[Any, ...]) -> list[Any]:
        try:
            return self._db.execute(sql, args).fetchall()
        except sqlite3.DatabaseError as error:  # damage found after the open's quick check
            raise StoreError(f"The history database {self.path} could not be read: {error}.") from error

    def _write(self, sql: str, args: tuple[Any, ...]) -> sqlite3.Cursor:
        try:
            with self._db:
                return self._db.execute(sql, args)
        except sqlite3.DatabaseError as error:
            raise StoreError(f"The history database {self.path} could not be written: {error}.") from error


def _details(stored: str | None) -> AnswerDetails | None:
    if not stored:
        return None
    try:
        return AnswerDetails.from_json(json.loads(stored))
    except ValueError:  # a damaged row: the answer's text is what matters
        return AnswerDetails()


def _png_bytes(image: Attachment) -> bytes:
    if not image.data_uri.startswith(_PNG_PREFIX):
        raise StoreError(f"{image.source_name or 'An image'} is not a normalised PNG data URI.")
    return base64.b64decode(image.data_uri[len(_PNG_PREFIX):])


def search_terms(query: str) -> list[str]:
    """The words of a search box's text, bounded, as text SQLite accepts (no NULs, no lone
    surrogates, which a paste can carry)."""
    clean = query.encode("utf-8", "replace").decode("utf-8").replace("\x00", " ").replace('"', " ")
    return [term[:MAX_TERM_CHARS] for term in clean.split()][:MAX_SEARCH_TERMS]


def _bounded_snippet(snippet: str) -> str:
    """At most _SNIPPET_CHARS, around the first match, so hostile text cannot make the
    sidebar's snippet cleaning slow."""
    if len(snippet) <= _SNIPPET_CHARS:
        return snippet
    found = _FIRST_MATCH.search(snippet)
    start = max(0, (found.start() if found else 0) - _SNIPPET_CHARS // 3)
    return "…" + snippet[start:start + _SNIPPET_CHARS] + "…"
