"""The models folder: installing, downloading, importing, pairing and checking model files,
the hub search, and the one rule that chooses the engine and its files.
May use engines and speech.
"""
