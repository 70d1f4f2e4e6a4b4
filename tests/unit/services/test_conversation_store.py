from __future__ import annotations

import json

import pytest
from PIL import Image

from desktop.core.conversation import Message
from desktop.core.engine_types import AnswerDetails, AnswerStats
from desktop.core.images import load_image
from desktop.services.history.conversation_store import ConversationStore, StoreError


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
    details = AnswerDetails(AnswerStats(ttft_s=0.5, prompt_tokens=30, prefill_tokens=30, prefill_s=0.2,
                                        completion_tokens=11, decode_s=0.5, image_count=1, image_tokens=9,
                                        image_encode_s=0.1, total_s=1.0, finish_reason="length"),
                            reasoning="It has sand.", thinking_s=0.25)
    store.append(cid, Message.assistant("A beach."), details=details)
    store.close()

    reopened = ConversationStore(path)
    stored = reopened.messages(cid)
    assert [s.message.text for s in stored] == ["Where is this?", "A beach."]
    assert stored[0].message.images[0].data_uri == image.data_uri
    assert stored[1].details == details and stored[0].details is None
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


def test_answer_details_from_an_older_or_damaged_history(tmp_path):
    """A history row holds JSON Hearth wrote, maybe by an older version or damaged: it
    reads as typed details with zeros for what is missing or wrong, never as an error."""
    path = tmp_path / "h.sqlite3"
    store = ConversationStore(path)
    cid = store.create("Old")
    for text in ("older", "damaged", "hostile", "not json"):
        store.append(cid, Message.assistant(text))
    rows = (json.dumps({"ttft_s": 0.5, "completion_tokens": 11, "decode_s": 0.5}),
            json.dumps({"ttft_s": "soon", "decode_s": float("nan"), "finish_reason": "exploded", "reasoning": 7}),
            json.dumps([1, 2]), "{not json")
    with store._db:
        for position, row in enumerate(rows):
            store._db.execute("UPDATE messages SET stats = ? WHERE position = ?", (row, position))
    older, damaged, hostile, broken = (m.details for m in store.messages(cid))
    assert (older.stats.ttft_s, older.stats.decode_tps, older.stats.image_count) == (0.5, 20.0, 0)
    assert (damaged.stats.ttft_s, damaged.stats.decode_s, damaged.stats.finish_reason) == (0.0, 0.0, "stop")
    assert damaged.reasoning == ""
    assert hostile == AnswerDetails() and broken == AnswerDetails()
    store.close()
