"""Readers per format (txt, md, docx, vtt, srt) that turn files into `ParsedTranscript`s.

The readers are imported when first asked for (PEP 562): the store and the workbench use
`ingest.attributes` and `ingest.turns` at every start, and need no reader (nor YAML) for it."""

__all__ = ["SUPPORTED", "read_transcript"]


def __getattr__(name: str):
    if name in __all__:
        from jhs_qual.ingest import readers

        return getattr(readers, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
