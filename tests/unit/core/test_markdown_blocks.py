from __future__ import annotations

import random

import pytest

from desktop.core.markdown_blocks import Block, BlockStream, split_blocks

ANSWER_CODE = """# Reading a CSV

Use the `csv` module; it ships with Python.

```python
import csv

def rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))
```

| Option | Meaning |
|---|---|
| `delimiter` | the separator |
| `quotechar` | quotes fields |

1. Install:
   ```bash
   pip install pandas
   ```
2. Run it.
   - nested
   - list

Now an indented one:

    indented code
    block

> a quote
that continues lazily

---

Done.
"""

ANSWER_PROSE = """Here is a plan
for the week:

## Monday
- shop
- cook

## Tuesday

Rest. A hashtag line follows:
#hashtag
and a setext heading:

Title
---

A table right after a paragraph:
| a | b |
|---|---|
| 1 | 2 |

[ref]: https://example.org
See [the site][ref].
"""

ANSWER_FENCES = """Two fences, a tilde one and a long one:

~~~js
console.log("```not a close");
~~~

````markdown
```python
x = 1
```
````
Tail text right after.
```sh
echo unclosed at the end
"""

ANSWERS = [ANSWER_CODE, ANSWER_PROSE, ANSWER_FENCES]


def stream(text: str, cuts: list[int]) -> tuple[BlockStream, list[tuple[Block, ...]]]:
    """Feed the prefixes ending at `cuts`, then finish; the committed blocks after each feed."""
    stream = BlockStream()
    seen = []
    for cut in cuts:
        stream.feed(text[:cut])
        seen.append(stream.committed)
    stream.finish(text)
    return stream, seen


def test_split_kinds_languages_and_code():
    blocks = split_blocks(ANSWER_CODE)
    assert [b.kind for b in blocks] == ["prose"] * 2 + ["code"] + ["prose"] * 3 + ["code"] + ["prose"] * 3
    code = [b for b in blocks if b.kind == "code"]
    assert code[0].language == "python" and code[0].code.startswith("import csv\n\ndef rows(path):\n")
    assert code[0].code.endswith("return list(csv.DictReader(f))\n") and code[0].closed
    assert code[1].language == "" and code[1].code == "indented code\nblock\n"  # indented code
    assert "pip install pandas" in blocks[4].source  # a fence inside a list stays in its prose
    assert "".join(b.source for b in blocks) == ANSWER_CODE


def test_fence_language_is_the_first_word_and_tildes_and_long_fences_work():
    blocks = split_blocks(ANSWER_FENCES)
    code = [b for b in blocks if b.kind == "code"]
    assert [(b.language, b.closed) for b in code] == [("js", True), ("markdown", True), ("sh", False)]
    assert code[0].code == 'console.log("```not a close");\n'
    assert code[1].code == "```python\nx = 1\n```\n"
    assert split_blocks("```python title='x.py'\npass\n```")[0].language == "python"


@pytest.mark.parametrize("text", ANSWERS)
def test_streaming_every_split_point_equals_splitting_the_whole(text):
    whole = tuple(split_blocks(text))
    for cut in range(len(text) + 1):  # one feed of any prefix, then the rest
        assert stream(text, [cut])[0].committed == whole, cut
    final, seen = stream(text, list(range(1, len(text) + 1)))  # one character at a time
    assert final.committed == whole
    for committed in seen:  # what is committed never changes afterwards
        assert committed == whole[:len(committed)]
    assert len(seen[-1]) >= len(whole) - 2  # and most of it is committed before the end


@pytest.mark.parametrize("seed", range(20))
def test_streaming_random_pieces_equals_splitting_the_whole(seed):
    rng = random.Random(seed)
    text = "\n".join(rng.sample(ANSWERS, 3))
    cuts = sorted(rng.sample(range(1, len(text)), 60))
    assert stream(text, cuts)[0].committed == tuple(split_blocks(text))


def test_an_unclosed_fence_is_an_open_code_block_while_streaming():
    update = BlockStream().feed("Intro.\n\n```python\ndef f():\n    pas")
    assert update.tail[-1] == Block("code", "```python\ndef f():\n    pas", "def f():\n    pas", "python", False)
    partial_close = BlockStream().feed("```python\nx = 1\n``")
    assert partial_close.tail[-1].code == "x = 1\n``" and not partial_close.tail[-1].closed
    typed_close = BlockStream().feed("```python\nx = 1\n```")  # could still become ```` or ```x
    assert typed_close.tail[-1].code == "x = 1\n" and not typed_close.tail[-1].closed
    closed = BlockStream().feed("```python\nx = 1\n```\n")
    assert closed.tail[-1].closed and closed.tail[-1].code == "x = 1\n"


def test_a_block_is_committed_only_when_later_text_cannot_change_it():
    stream = BlockStream()
    assert stream.feed("para\n#").committed == ()  # "#hashtag" would continue the paragraph
    # a table row starts a block only if the next line is a delimiter row, and "|--" may become "|--x|"
    assert stream.feed("para\n| a |\n|--").committed == ()
    assert stream.feed("para\n| a |\n|--x|\n\nnext\n").committed == ()  # then it was a paragraph
    update = stream.feed("para\n| a |\n|--x|\n\nnext\n\nthird\n\n")
    assert [b.source for b in update.committed] == ["para\n| a |\n|--x|\n\n", "next\n\n"]
    assert [b.source for b in update.tail] == ["third\n\n"]


def test_the_stream_parses_only_the_open_tail():
    blocks = "".join(f"Paragraph {i} has a few words.\n\n```python\nx = {i}\n```\n\n" for i in range(150))
    stream = BlockStream()
    whole_reparse = 0
    for cut in range(0, len(blocks), len(blocks) // 200):
        committed_chars = sum(len(b.source) for b in stream.committed)
        before = stream.parsed_chars
        stream.feed(blocks[:cut])
        assert stream.parsed_chars - before == cut - committed_chars  # exactly the tail
        assert cut - committed_chars < 120  # and the tail is short
        whole_reparse += cut
    assert stream.parsed_chars < whole_reparse / 50
    assert stream.finish(blocks).tail == () and stream.committed == tuple(split_blocks(blocks))


def test_text_that_does_not_extend_the_committed_text_starts_over():
    stream = BlockStream()
    stream.feed("one\n\ntwo\n\nthree\n\nfour")
    assert stream.committed
    update = stream.feed("other\n\ntext")
    assert update.reset and [b.source for b in update.committed + update.tail] == ["other\n\n", "text"]


def test_crlf_and_empty_text():
    assert split_blocks("") == [] and split_blocks("\n\n") == []
    blocks = split_blocks("a\r\n\r\n```\r\nx\r\n```\r\n")
    assert [b.kind for b in blocks] == ["prose", "code"] and blocks[1].code == "x\n"
    stream = BlockStream()
    stream.feed("a\r\n\r\nb\r")  # a "\r" alone may be half of "\r\n"
    assert stream.finish("a\r\n\r\nb\r\n").committed == tuple(split_blocks("a\r\n\r\nb\r\n"))
