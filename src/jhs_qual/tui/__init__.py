"""The Textual workbench. Imported only by `jhs-qual tui` (Textual costs ~0.3 s to import)."""
