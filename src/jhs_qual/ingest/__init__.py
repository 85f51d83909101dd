"""Readers per format (txt, md, docx, vtt, srt) that turn files into `ParsedTranscript`s."""

from jhs_qual.ingest.readers import SUPPORTED, read_transcript

__all__ = ["SUPPORTED", "read_transcript"]
