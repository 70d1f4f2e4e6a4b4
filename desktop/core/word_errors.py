"""Word error rate: how far a transcript is from what was said.

`hearth bench` reports it for push-to-talk, against a given reference text or against
whole-clip transcription, so a faster path cannot quietly become a less accurate one.
Case and punctuation are ignored ("Morning," is "morning"): they do not change what
was heard.
"""

from __future__ import annotations

import re

__all__ = ["word_error_rate", "words"]


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def word_error_rate(reference: str, hypothesis: str) -> float:
    """(substitutions + deletions + insertions) / reference words; 0.0 is a perfect match."""
    ref, hyp = words(reference), words(hypothesis)
    previous = list(range(len(hyp) + 1))
    for i, said in enumerate(ref, start=1):
        current = [i]
        for j, heard in enumerate(hyp, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (said != heard)))
        previous = current
    return previous[-1] / max(len(ref), 1)
