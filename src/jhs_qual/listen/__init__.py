"""Listening to a turn's recording: which part of the file a turn is (clips.py), and an
external player run in the background (player.py: mpv over its IPC socket, else ffplay).
Nothing here decodes audio; no Textual, no database."""
