"""Speech in: the microphone, push-to-talk and Whisper transcription (faster-whisper).
Imports no other domain.
"""
