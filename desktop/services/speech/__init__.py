"""Speech in and out: the microphone, push-to-talk and Whisper transcription
(faster-whisper); answers read aloud with a Piper voice.
Imports no other domain.
"""
