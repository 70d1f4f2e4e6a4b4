"""Engines that answer: llama.cpp in this process (with libmtmd for images) or a remote
OpenAI-compatible server, behind one queued interface. Imports no other domain.
"""
