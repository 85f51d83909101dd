"""Exports that leave the project: quote sheets, summaries; always through pseudonymisation."""
