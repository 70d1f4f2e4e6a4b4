"""`hearth bench`'s measurements against llama.cpp itself. May use every other domain.
"""
