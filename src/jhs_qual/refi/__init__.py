"""REFI-QDA exchange (the standard QDA tools use to exchange codebooks and projects)."""
