"""The OpenAI-compatible API on loopback over an engine. May use engines and speech.
"""
