"""Keyword suggestions: spaCy tokenizer and lookup lemmas, phrases, compounds, rapidfuzz.

Nothing here is imported at startup: spaCy costs about a second to import.
"""
