from __future__ import annotations

import json

import pytest
from PIL import Image

from desktop.core.conversation import Message
from desktop.core.images import load_image
from desktop.services.conversation_store import ConversationStore, StoreError


@pytest.fixture
def store(tmp_path):
    db = ConversationStore(tmp_path / "history.sqlite3")
    yield db
    db.close()


@pytest.fixture
def image(tmp_path):
    path = tmp_path / "dot.png"
    Image.new("RGB", (12, 8), (1, 2, 3)).save(path)
    return load_image(path)


def test_messages_and_images_survive_reopening(tmp_path, image):
    path = tmp_path / "h.sqlite3"
    store = ConversationStore(path)
    cid = store.create("Trip")
    store.append(cid, Message.user("Where is this?", (image,)))
    store.append(cid, Message.assistant("A beach."), stats={"ttft_s": 0.5})
    store.close()

    reopened = ConversationStore(path)
    stored = reopened.messages(cid)
    assert [s.message.text for s in stored] == ["Where is this?", "A beach."]
    assert stored[0].message.images[0].data_uri == image.data_uri
    assert stored[1].stats == {"ttft_s": 0.5}
    assert reopened.conversations()[0].message_count == 2
    assert reopened.integrity_ok()
    reopened.close()


def test_wal_mode(store):
    assert store._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_rename_delete_restore_purge(store):
    a, b = store.create("A"), store.create("B")
    store.rename(a, "  Renamed ")
    assert {c.title for c in store.conversations()} == {"Renamed", "B"}
    store.delete(b)
    assert [c.id for c in store.conversations()] == [a]
    store.restore(b)
    assert {c.id for c in store.conversations()} == {a, b}
    store.delete(b)
    assert store.purge_deleted() == 1
    store.restore(b)
    assert [c.id for c in store.conversations()] == [a]


def test_full_text_search_finds_words_across_conversations(store):
    one, two = store.create("Cooking"), store.create("Travel")
    store.append(one, Message.user("How long do I boil an egg?"))
    store.append(two, Message.user("Best time to visit Lisbon?"))
    store.append(two, Message.assistant("Spring is lovely in Lisbon."))
    hits = store.search("lisbon")
    assert {h.conversation_id for h in hits} == {two} and len(hits) == 2
    assert "[Lisbon]" in hits[0].snippet
    assert store.search("boil")[0].conversation_title == "Cooking"
    assert store.search('eg"g OR') == []  # quotes and operators are words, never FTS syntax
    store.delete(two)
    assert store.search("lisbon") == []


def test_truncate_for_edit_and_resend(store):
    cid = store.create()
    for text in ("q1", "a1", "q2", "a2"):
        store.append(cid, Message(role="user" if text[0] == "q" else "assistant", text=text))
    store.truncate(cid, from_position=2)
    assert [s.message.text for s in store.messages(cid)] == ["q1", "a1"]
    assert store.search("q2") == []
    store.append(cid, Message.user("q2 edited"))
    assert store.messages(cid)[-1].position == 2


def test_export_markdown_and_json(store, image):
    cid = store.create("Export me")
    store.append(cid, Message.user("Look", (image,)))
    store.append(cid, Message.assistant("**Nice**"))
    markdown = store.export_markdown(cid)
    assert markdown.startswith("# Export me")
    assert "## User" in markdown and "**Nice**" in markdown and "data:image/png;base64," in markdown
    data = json.loads(store.export_json(cid))
    assert data["messages"][0]["images"][0]["width"] == 12
    assert data["messages"][1]["content"] == "**Nice**"


def test_a_folder_in_the_way_is_a_clear_error_and_nothing_is_moved(tmp_path):
    path = tmp_path / "h.sqlite3"
    path.mkdir()
    with pytest.raises(StoreError, match="cannot be opened"):
        ConversationStore(path)
    assert path.is_dir() and not list(tmp_path.glob("*.damaged-*"))
