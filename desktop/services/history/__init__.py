"""Conversations kept on disk (SQLite, WAL, FTS5) and the chat session that adds to them.
May use engines and speech.
"""
