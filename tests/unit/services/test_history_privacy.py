"""The history file keeps what is the person's: owner-only, damaged files kept aside,
and deleted conversations gone from the bytes on disk (issue 14)."""

from __future__ import annotations

import io
import os
import sqlite3
import stat
import subprocess
import sys
from base64 import b64decode

import numpy as np
import pytest
from PIL import Image

from desktop.core.conversation import Message
from desktop.core.images import normalise_image
from desktop.services.history.conversation_store import MAX_SEARCH_TERMS, ConversationStore, StoreError, search_terms

SECRET = "zanzibarquux"


@pytest.fixture
def store(tmp_path):
    db = ConversationStore(tmp_path / "history.sqlite3")
    yield db
    db.close()


@pytest.fixture
def wide_umask():
    old = os.umask(0o022)  # the usual desktop umask: files 0644, folders 0755
    yield
    os.umask(old)


def raw_bytes(path) -> bytes:
    """Every byte SQLite keeps for this database: the file, its log and shared memory."""
    return b"".join(p.read_bytes() for p in (path, path.with_name(path.name + "-wal"),
                                             path.with_name(path.name + "-shm")) if p.exists())


def noisy_png(seed: int) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 255, (64, 64, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def test_database_and_its_log_are_owner_only_whatever_the_umask(tmp_path, wide_umask):
    folder = tmp_path / "data"
    store = ConversationStore(folder / "history.sqlite3")
    store.append(store.create(), Message.user("private words"))
    files = [p for p in folder.iterdir() if p.name.startswith("history.sqlite3")]
    assert {p.name for p in files} >= {"history.sqlite3", "history.sqlite3-wal", "history.sqlite3-shm"}
    for file in files:
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, file.name
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    store.close()


def test_an_older_world_readable_database_is_made_owner_only(tmp_path, wide_umask):
    path = tmp_path / "history.sqlite3"
    ConversationStore(path).close()
    path.chmod(0o644)
    ConversationStore(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_another_process_reading_the_history_never_takes_the_log_from_under_it(tmp_path, wide_umask):
    """`hearth history` (or any reader) may open the file while the window writes to it.
    If opening the store had dropped SQLite's locks (by closing a descriptor of the file),
    that reader's close would delete the -wal the window still writes to: later messages
    would reach no other process, and be gone at the next start."""
    path = tmp_path / "history.sqlite3"
    (tmp_path / "history.sqlite3-shm").touch(mode=0o644)  # left world-readable by an older version
    store = ConversationStore(path)
    conversation = store.create()
    store.append(conversation, Message.user("first words"))

    def count_in_another_process() -> int:
        script = ("import sqlite3, sys; db = sqlite3.connect(sys.argv[1]);"
                  "print(db.execute('SELECT COUNT(*) FROM messages').fetchone()[0]); db.close()")
        return int(subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True,
                                  check=True).stdout)

    assert count_in_another_process() == 1
    store.append(conversation, Message.assistant("second words"))
    assert count_in_another_process() == 2
    assert (tmp_path / "history.sqlite3-wal").exists()
    assert stat.S_IMODE((tmp_path / "history.sqlite3-shm").stat().st_mode) == 0o600
    store.close()
    reopened = ConversationStore(path)
    assert [m.message.text for m in reopened.messages(conversation)] == ["first words", "second words"]
    reopened.close()


def test_a_deleted_conversation_is_gone_from_the_files_once_purged(tmp_path):
    path = tmp_path / "history.sqlite3"
    store = ConversationStore(path)
    kept = store.create("Kept")
    store.append(kept, Message.user("the weather is nice"))
    gone = store.create("Secret plans")
    picture = normalise_image(noisy_png(1), name="secret.png")
    store.append(gone, Message.user(f"my {SECRET} diary", (picture,)))
    store.append(gone, Message.assistant(f"noted: {SECRET}"))
    stored_png = b64decode(picture.data_uri.split(",", 1)[1])  # stored as PNG bytes
    store.delete(gone)
    assert SECRET.encode() in raw_bytes(path)  # only flagged: undo can still bring it back
    assert stored_png[100:164] in raw_bytes(path)
    assert store.purge(gone)
    data = raw_bytes(path)
    assert SECRET.encode() not in data
    assert stored_png[100:164] not in data
    assert store.search(SECRET) == [] and not store.exists(gone)
    assert [m.message.text for m in store.messages(kept)] == ["the weather is nice"]
    store.close()
    assert SECRET.encode() not in raw_bytes(path)


def test_purge_keeps_a_restored_conversation(store):
    cid = store.create()
    store.append(cid, Message.user("hello"))
    store.delete(cid)
    store.restore(cid)
    assert not store.purge(cid)
    assert store.exists(cid)


def test_edited_away_words_leave_the_search_index_by_close(tmp_path):
    path = tmp_path / "history.sqlite3"
    store = ConversationStore(path)
    cid = store.create()
    store.append(cid, Message.user(f"first draft with {SECRET}"))
    store.truncate(cid, from_position=0)  # edit-and-resend replaced it
    store.append(cid, Message.user("second draft"))
    store.close()
    assert SECRET.encode() not in raw_bytes(path)


def test_purge_deleted_removes_every_flagged_conversation(store):
    ids = [store.create(f"c{i}") for i in range(3)]
    for cid in ids:
        store.append(cid, Message.user(f"{SECRET} {cid}"))
    store.delete(ids[0])
    store.delete(ids[2])
    assert store.purge_deleted() == 2
    assert [c.id for c in store.conversations()] == [ids[1]]


@pytest.mark.parametrize("damage", ["not sqlite", "empty", "garbage in the middle"])
def test_a_damaged_database_is_kept_aside_and_a_fresh_one_started(tmp_path, damage):
    path = tmp_path / "history.sqlite3"
    if damage == "not sqlite":
        path.write_bytes(b"this is not a database" * 100)
    elif damage == "empty":
        path.write_bytes(b"")
    else:
        store = ConversationStore(path)
        for n in range(40):
            cid = store.create(f"chat {n}")
            for m in range(20):
                store.append(cid, Message.user(f"question {n}.{m} " + "words " * 40))
        store.close()
        data = bytearray(path.read_bytes())
        page = 4096
        middle = (len(data) // page) // 2
        data[middle * page:(middle + 4) * page] = np.random.default_rng(7).bytes(4 * page)
        path.write_bytes(bytes(data))
    before = path.read_bytes()
    store = ConversationStore(path)
    assert store.set_aside is not None and store.set_aside.name.startswith("history.sqlite3.damaged-")
    assert store.set_aside.read_bytes() == before  # kept exactly as it was, never overwritten
    assert store.conversations() == []
    store.append(store.create("New"), Message.user("still works"))
    store.close()
    again = ConversationStore(path)  # the fresh one is sound: nothing more is moved aside
    assert again.set_aside is None and len(again.conversations()) == 1
    again.close()
    assert len(list(tmp_path.glob("history.sqlite3.damaged-*"))) == 1


def test_a_second_damaged_file_never_overwrites_the_first_one_kept(tmp_path):
    path = tmp_path / "history.sqlite3"
    kept = []
    for round_ in range(2):
        path.write_bytes(f"garbage {round_}".encode() * 300)
        store = ConversationStore(path)
        kept.append(store.set_aside)
        store.close()
        path.unlink()
    assert kept[0] != kept[1]
    assert [k.read_bytes()[:9] for k in kept] == [b"garbage 0", b"garbage 1"]


def test_search_terms_are_bounded_and_safe_for_sqlite():
    assert len(search_terms("word " * 10_000)) == MAX_SEARCH_TERMS
    assert all(len(t) <= 64 for t in search_terms("x" * 100_000))
    assert search_terms("a\x00b \ud800c") == ["a", "b", "?c"]


def test_a_huge_or_odd_query_searches_without_raising(store):
    cid = store.create()
    store.append(cid, Message.user("hello world"))
    assert store.search("hello " + "zz " * 12_000) == []  # only the first terms count: no match
    assert store.search("hel\x00lo") == []
    assert [h.conversation_id for h in store.search("\ud800hello")] == [cid]  # the stray half is dropped
    assert [h.conversation_id for h in store.search("hello   wor")] == [cid]


def test_a_stale_search_is_cancelled_while_it_runs(store):
    for n in range(30):
        cid = store.create()
        for m in range(30):
            store.append(cid, Message.user(f"apple banana cherry {n} {m} " * 20))
    asked = []

    def cancelled() -> bool:
        asked.append(True)
        return True

    assert store.search("apple banana", cancelled=cancelled) == []
    assert asked  # SQLite asked while the query ran, and stopped
    assert len(store.search("apple banana")) == 50  # not cancelled: answers as before


def test_the_store_never_lets_a_raw_sqlite_error_out_of_a_read(tmp_path):
    path = tmp_path / "history.sqlite3"
    store = ConversationStore(path)
    store._db.close()
    for read in (store.conversations, lambda: store.exists(1), lambda: store.messages(1)):
        with pytest.raises(StoreError):
            read()
    assert not isinstance(StoreError("x"), sqlite3.Error)


def test_a_hostile_message_gives_a_short_snippet_around_its_match(store):
    cid = store.create()
    store.append(cid, Message.assistant("[" * 200_000 + " needle " + "]" * 200_000))
    (hit,) = store.search("needle")
    assert len(hit.snippet) <= 602 and "[needle]" in hit.snippet
