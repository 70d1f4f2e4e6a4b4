"""LocalAgreement-2 on recorded hypothesis sequences (word lists with times, no audio).

The sequences are what Whisper tiny.en gave for espeak-ng's "Please remind me to water
the tomatoes tomorrow morning, ..." read 1.0, 1.5, 2.0 and 2.5 s into the recording:
the last word or two of each pass are guesses that the next pass corrects.
"""

from __future__ import annotations

from desktop.core.local_agreement import LocalAgreement, TimedWord, join_words, same_word


def hypothesis(*words: tuple[float, float, str]) -> list[TimedWord]:
    return [TimedWord(start, end, text) for start, end, text in words]


PASS_1_0 = hypothesis((0.0, 0.42, "Please"), (0.42, 0.9, "rip."))
PASS_1_5 = hypothesis((0.0, 0.42, "Please"), (0.42, 0.74, "remind"), (0.74, 0.9, "me"), (0.9, 1.3, "to."))
PASS_2_0 = hypothesis((0.0, 0.42, "Please"), (0.42, 0.74, "remind"), (0.74, 0.9, "me"), (0.9, 1.02, "to"),
                      (1.02, 1.4, "water"), (1.4, 1.9, "me."))
PASS_2_5 = hypothesis((0.0, 0.42, "Please"), (0.42, 0.74, "remind"), (0.74, 0.9, "me"), (0.9, 1.02, "to"),
                      (1.02, 1.4, "water"), (1.4, 1.52, "the"), (1.52, 2.3, "tomatoes,"))


def texts(words) -> list[str]:
    return [w.text for w in words]


def test_one_pass_commits_nothing():
    agreement = LocalAgreement()
    assert agreement.insert(PASS_1_0) == ()
    assert agreement.committed == ()
    assert agreement.text() == "Please rip."  # shown as a preview, not committed


def test_two_passes_commit_the_prefix_they_agree_on():
    agreement = LocalAgreement()
    agreement.insert(PASS_1_0)
    assert texts(agreement.insert(PASS_1_5)) == ["Please"]  # "rip." became "remind me to."
    assert texts(agreement.insert(PASS_2_0)) == ["remind", "me", "to"]  # "to." and "to": the same word
    assert texts(agreement.insert(PASS_2_5)) == ["water"]  # "me." became "the tomatoes,"
    assert join_words(agreement.committed) == "Please remind me to water"
    assert texts(agreement.tentative) == ["the", "tomatoes,"]
    assert agreement.committed_end_s == 1.4


def test_committed_words_are_never_taken_back():
    agreement = LocalAgreement()
    agreement.insert(PASS_1_5)
    agreement.insert(PASS_2_0)  # committed: Please remind me to
    changed = hypothesis((0.0, 0.42, "Police"), (0.42, 0.74, "remind"), (0.74, 0.9, "me"), (0.9, 1.02, "to"),
                         (1.02, 1.4, "water"), (1.4, 1.52, "the"), (1.52, 2.3, "tomatoes"))
    agreement.insert(changed)
    assert texts(agreement.committed)[0] == "Please"
    assert join_words(agreement.committed) == "Please remind me to water"  # "me." stays a guess


def test_words_too_close_to_the_end_of_the_audio_stay_tentative():
    """Two passes that both end right after a word agree on it before either has heard
    what follows; it is committed only once a pass has heard past it."""
    agreement = LocalAgreement()
    agreement.insert(PASS_2_0, settled_s=1.1)
    assert texts(agreement.insert(PASS_2_5, settled_s=1.1)) == ["Please", "remind", "me", "to"]
    assert texts(agreement.tentative) == ["water", "the", "tomatoes,"]
    assert texts(agreement.insert(PASS_2_5, settled_s=2.5)) == ["water", "the", "tomatoes,"]


def test_a_pass_over_the_unconfirmed_tail_continues_the_committed_words():
    """After the buffer is trimmed at 1.4 s, passes read only what follows (times
    already shifted to recording time by the caller)."""
    agreement = LocalAgreement()
    agreement.insert(PASS_2_0)
    agreement.insert(PASS_2_5)
    tail = hypothesis((1.4, 1.52, "the"), (1.52, 2.3, "tomatoes"), (2.3, 2.8, "tomorrow"))
    assert texts(agreement.insert(tail)) == ["the", "tomatoes"]
    assert join_words(agreement.committed) == "Please remind me to water the tomatoes"


def test_committed_words_read_again_are_dropped():
    """A pass that starts before the committed end reads the last committed words again
    (times move a little between passes): by time, or as a run equal to the committed end."""
    agreement = LocalAgreement()
    agreement.insert(PASS_2_0)
    agreement.insert(PASS_2_5)  # committed: ... to water (ends 1.4 s)
    again = hypothesis((0.95, 1.05, "to"), (1.33, 1.45, "water"), (1.45, 1.55, "the"), (1.55, 2.3, "tomatoes"))
    assert texts(agreement.insert(again)) == ["the", "tomatoes"]
    assert join_words(agreement.committed) == "Please remind me to water the tomatoes"


def test_finish_appends_the_tail_reading_to_the_committed_words():
    agreement = LocalAgreement()
    agreement.insert(PASS_2_0)
    agreement.insert(PASS_2_5)
    tail = hypothesis((1.38, 1.45, "water"), (1.45, 1.55, "the"), (1.55, 2.3, "tomatoes,"), (2.3, 2.9, "tomorrow"),
                      (2.9, 3.4, "morning."))
    final = agreement.finish(tail)
    assert join_words(final) == "Please remind me to water the tomatoes, tomorrow morning."
    assert agreement.committed == tuple(final[:5])  # finish() reads, it does not commit


def test_finish_without_passes_is_the_tail_reading():
    assert join_words(LocalAgreement().finish(PASS_2_5)) == "Please remind me to water the tomatoes,"
    assert LocalAgreement().finish([]) == ()


def test_words_compare_without_case_or_punctuation():
    assert same_word(TimedWord(0, 1, "Morning,"), TimedWord(0, 1, "morning."))
    assert same_word(TimedWord(0, 1, "don't"), TimedWord(0, 1, "Don't"))
    assert not same_word(TimedWord(0, 1, "do"), TimedWord(0, 1, "don't"))


def test_words_whisper_split_are_joined_without_a_space():
    """Whisper gives "U.S." as " U" and ".S.", and "e-mail" as " e" and "-mail"."""
    words = [TimedWord(0.0, 0.3, "the"), TimedWord(0.3, 0.5, "U"), TimedWord(0.5, 0.7, ".S.", joined=True),
             TimedWord(0.7, 0.9, "e"), TimedWord(0.9, 1.2, "-mail.", joined=True)]
    assert join_words(words) == "the U.S. e-mail."
    assert join_words(words[2:3]) == ".S."  # nothing to join onto: no leading space either
