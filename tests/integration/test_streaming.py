"""Push-to-talk's streaming transcription: real Whisper tiny.en on real espeak-ng speech.

The recording is fed in 100 ms blocks, and after each block a pass runs when one is
due, as `Dictation`'s worker does when it keeps up; feeding in lockstep makes the passes
the same on any machine, so nothing here depends on timing.
"""

from __future__ import annotations

import numpy as np
import pytest
from tests_helpers import word_error_rate

from desktop.core.audio import WHISPER_RATE, read_wav
from desktop.services.speech.streaming import StreamingTranscription
from desktop.services.speech.transcriber import Transcriber

SENTENCE = ("Please remind me to water the tomatoes tomorrow morning, and then tell me "
            "what the weather will be like in London this weekend.")  # `hearth bench`'s, 7.6 s
LONG_SENTENCE = ("Yesterday I walked to the market to buy fresh bread, some apples and a bottle of milk, "
                 "and on the way home I met an old friend who told me about her new job at the library.")


class Spy:
    """The real transcriber, noting how many samples each read is given."""

    def __init__(self, transcriber: Transcriber) -> None:
        self.transcriber = transcriber
        self.reads: list[int] = []

    def transcribe(self, samples: np.ndarray, **options):
        self.reads.append(len(samples))
        return self.transcriber.transcribe(samples, **options)


def feed(stream: StreamingTranscription, samples: np.ndarray) -> None:
    for start in range(0, len(samples), WHISPER_RATE // 10):
        stream.append(samples[start: start + WHISPER_RATE // 10])
        if stream.final_due():  # as `Dictation` drives it while the key is held
            stream.run_pass(final=True)
        elif stream.due():
            stream.run_pass()


@pytest.fixture(scope="module")
def sentence(speak) -> np.ndarray:
    return read_wav(speak(SENTENCE, name="streaming.wav"))


@pytest.fixture(scope="module")
def whole_clip_errors(transcriber, sentence) -> float:
    """The yardstick: the whole recording transcribed at once (beam 5, 30 s window)."""
    return word_error_rate(SENTENCE, transcriber.transcribe(sentence).text)


def test_at_release_only_the_unconfirmed_tail_is_read(transcriber, sentence, whole_clip_errors):
    """The key comes up on the last syllable: the final read starts after the words
    committed while the key was held (with a pause's worth of context), not at 0."""
    spoken = sentence[: np.flatnonzero(np.abs(sentence) > 0.02)[-1] + 1]  # no silence after the last word
    spy = Spy(transcriber)
    stream = StreamingTranscription(lambda: spy)
    feed(stream, spoken)
    held = len(spy.reads)
    final = stream.finish()
    assert not final.ahead
    assert spy.reads[held:] == [final.tail_samples]  # one read at release, of the tail only
    assert final.read_from >= 2 * WHISPER_RATE and final.read_to == len(spoken)
    assert final.tail_samples <= len(spoken) - 2 * WHISPER_RATE
    assert word_error_rate(SENTENCE, final.text) <= whole_clip_errors, final.text


def test_streamed_text_is_as_accurate_as_the_whole_clip_and_ready_before_release(transcriber, sentence,
                                                                                 whole_clip_errors):
    """With 250 ms of silence before the key comes up, a pass has already read what
    the final read would: its words are the final ones, and as good as the whole clip's."""
    spy = Spy(transcriber)
    stream = StreamingTranscription(lambda: spy)
    feed(stream, np.concatenate([sentence, np.zeros(WHISPER_RATE // 4, dtype=np.float32)]))
    held = len(spy.reads)
    final = stream.finish()
    assert word_error_rate(SENTENCE, final.text) <= whole_clip_errors, final.text
    assert final.committed_words >= 10  # most of it was settled while the key was held
    assert final.ahead and spy.reads[held:] == []
    assert final.tail_samples in spy.reads  # that read did happen, while the key was held
    assert final.read_to < stream.total_samples  # and it stopped shortly after the last word


def test_once_the_key_is_up_60_ms_of_silence_starts_the_final_read(transcriber, speak):
    """The key came up as the speaker stopped: the worker reads after 60 ms of silence
    (200 ms while the key is held: pauses between words are shorter), and that read is
    the final one when the tail the microphone still records holds nothing more."""
    said = read_wav(speak("Please turn on the kitchen lights.", name="short.wav"))
    spoken = said[: np.flatnonzero(np.abs(said) > 0.02)[-1] + 1]
    spy = Spy(transcriber)
    stream = StreamingTranscription(lambda: spy)
    feed(stream, np.concatenate([spoken, np.zeros(WHISPER_RATE * 6 // 100, dtype=np.float32)]))
    assert not stream.final_due() and stream.final_due(released=True)
    stream.run_pass(final=True)
    read = len(spy.reads)
    feed(stream, np.zeros(WHISPER_RATE // 4, dtype=np.float32))  # the key-up tail: silence
    final = stream.finish()
    assert final.ahead and len(spy.reads) == read  # nothing was read again
    assert final.read_to < stream.total_samples and spy.reads[-1] == final.tail_samples
    assert word_error_rate("Please turn on the kitchen lights.", final.text) == 0, final.text


def test_reads_stay_short_where_the_speaker_never_pauses(transcriber, speak):
    """espeak-ng pauses only at commas: reads that could start only at a pause went back
    back 7.1 s into this sentence. They start at the quietest place just before the
    context instead, so no read is longer than the context, the unsettled words and a pass."""
    said = read_wav(speak(LONG_SENTENCE, name="long.wav"))
    spoken = said[: np.flatnonzero(np.abs(said) > 0.02)[-1] + 1]
    spy = Spy(transcriber)
    stream = StreamingTranscription(lambda: spy)
    feed(stream, spoken)
    final = stream.finish()
    assert len(spoken) > 9 * WHISPER_RATE and final.committed_words >= 20
    assert max(spy.reads) <= 6 * WHISPER_RATE, [round(n / WHISPER_RATE, 1) for n in spy.reads]
    assert word_error_rate(LONG_SENTENCE, final.text) <= 0.35, final.text  # tiny.en on espeak-ng: see the README


def test_silence_reads_nothing(transcriber):
    spy = Spy(transcriber)
    stream = StreamingTranscription(lambda: spy)
    feed(stream, np.zeros(2 * WHISPER_RATE, dtype=np.float32))
    assert stream.finish().text == ""
    assert spy.reads == []
