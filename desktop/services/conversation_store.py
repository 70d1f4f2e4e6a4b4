"""Conversations on disk: SQLite in WAL mode with an FTS5 index over every message.

Each message is committed as soon as it exists, so a crash or kill loses at most the
answer being generated. Images are stored with their message (PNG bytes), so history
still shows them. Deleting a conversation only marks it; `restore()` undoes that until
`purge_deleted()` runs. One store object belongs to one thread (sqlite3's rule).
"""

from __future__ import annotations

import base64
import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desktop.core.conversation import Attachment, Message
from desktop.core.errors import HearthError

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


class StoreError(HearthError):
    """The history database cannot be opened or written (read-only, corrupt, disk full)."""


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
    stats: dict[str, Any] | None
    created_at: float


@dataclass(frozen=True)
class SearchHit:
    conversation_id: int
    conversation_title: str
    message_id: int
    position: int
    snippet: str  # with the matches between [ and ]


class ConversationStore:
    """The history database. `close()` when done."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, isolation_level=None)
            self._db.execute("PRAGMA foreign_keys = ON")
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = NORMAL")
            self._db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as error:
            raise StoreError(f"The history database {path} cannot be opened: {error}.") from error

    def close(self) -> None:
        self._db.close()

    # -- conversations ---------------------------------------------------------------

    def create(self, title: str = "New conversation") -> int:
        now = time.time()
        cursor = self._write(
            "INSERT INTO conversations (title, created_at, updated_at) VALUES (?, ?, ?)", (title, now, now)
        )
        return int(cursor.lastrowid or 0)

    def conversations(self) -> list[ConversationSummary]:
        rows = self._db.execute(
            "SELECT c.id, c.title, c.created_at, c.updated_at, COUNT(m.id) FROM conversations c "
            "LEFT JOIN messages m ON m.conversation_id = c.id WHERE c.deleted_at IS NULL "
            "GROUP BY c.id ORDER BY c.updated_at DESC, c.id DESC"
        ).fetchall()
        return [ConversationSummary(*row) for row in rows]

    def exists(self, conversation_id: int) -> bool:
        """Whether the conversation is there and not deleted."""
        row = self._db.execute(
            "SELECT 1 FROM conversations WHERE id = ? AND deleted_at IS NULL", (conversation_id,)
        ).fetchone()
        return row is not None

    def rename(self, conversation_id: int, title: str) -> None:
        self._write("UPDATE conversations SET title = ? WHERE id = ?", (title.strip() or "Untitled", conversation_id))

    def delete(self, conversation_id: int) -> None:
        """Hide the conversation; `restore()` brings it back until `purge_deleted()`."""
        self._write("UPDATE conversations SET deleted_at = ? WHERE id = ?", (time.time(), conversation_id))

    def restore(self, conversation_id: int) -> None:
        self._write("UPDATE conversations SET deleted_at = NULL WHERE id = ?", (conversation_id,))

    def purge_deleted(self) -> int:
        return self._write("DELETE FROM conversations WHERE deleted_at IS NOT NULL", ()).rowcount

    # -- messages --------------------------------------------------------------------

    def append(self, conversation_id: int, message: Message, *, stats: dict[str, Any] | None = None) -> int:
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
                     json.dumps(stats) if stats is not None else None),
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
        rows = self._db.execute(
            "SELECT id, position, role, text, stats, created_at FROM messages "
            "WHERE conversation_id = ? ORDER BY position", (conversation_id,),
        ).fetchall()
        images: dict[int, list[Attachment]] = {}
        for message_id, name, width, height, png in self._db.execute(
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
                stats=json.loads(row[4]) if row[4] else None, created_at=row[5],
            )
            for row in rows
        ]

    def truncate(self, conversation_id: int, *, from_position: int) -> None:
        """Remove the messages from `from_position` on (edit-and-resend, regenerate)."""
        self._write(
            "DELETE FROM messages WHERE conversation_id = ? AND position >= ?", (conversation_id, from_position)
        )

    # -- search and export ---------------------------------------------------------------

    def search(self, query: str, *, limit: int = 50) -> list[SearchHit]:
        """Full-text search over every message of the visible conversations."""
        terms = [t for t in query.replace('"', " ").split() if t]
        if not terms:
            return []
        match = " ".join(f'"{t}"*' for t in terms)  # every word, as a prefix; no FTS syntax leaks
        rows = self._db.execute(
            "SELECT c.id, c.title, m.id, m.position, snippet(messages_fts, 0, '[', ']', '…', 12) "
            "FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid "
            "JOIN conversations c ON c.id = m.conversation_id "
            "WHERE messages_fts MATCH ? AND c.deleted_at IS NULL ORDER BY rank LIMIT ?",
            (match, limit),
        ).fetchall()
        return [SearchHit(*row) for row in rows]

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
                "stats": s.stats,
                "created_at": s.created_at,
            }
            for s in self.messages(conversation_id)
        ]
        return json.dumps({"title": self._title(conversation_id), "messages": messages}, indent=2)

    def integrity_ok(self) -> bool:
        return self._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    # -- helpers ---------------------------------------------------------------------

    def _title(self, conversation_id: int) -> str:
        row = self._db.execute("SELECT title FROM conversations WHERE id = ?", (conversation_id,)).fetchone()
        if row is None:
            raise StoreError(f"There is no conversation {conversation_id}.")
        return str(row[0])

    def _write(self, sql: str, args: tuple[Any, ...]) -> sqlite3.Cursor:
        try:
            with self._db:
                return self._db.execute(sql, args)
        except sqlite3.DatabaseError as error:
            raise StoreError(f"The history database {self.path} could not be written: {error}.") from error


def _png_bytes(image: Attachment) -> bytes:
    if not image.data_uri.startswith(_PNG_PREFIX):
        raise StoreError(f"{image.source_name or 'An image'} is not a normalised PNG data URI.")
    return base64.b64decode(image.data_uri[len(_PNG_PREFIX):])
