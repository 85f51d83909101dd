"""The user's config file: coder name, theme, key remapping, suggestion thresholds.

`$XDG_CONFIG_HOME/jhs-qual/config.toml` (default `~/.config/jhs-qual/config.toml`):

    coder = "anna"
    theme = "textual-light"

    [keys]            # binding id = key(s), see `jhs-qual tui --help`
    undo = "u"
    redo = "ctrl+r"

    [suggest]         # see jhs_qual/suggest/settings.py for every setting and its range
    fuzzy_threshold = 92

    [files]           # exports and other files jhs-qual creates: readable by you only unless set
    mode = "0600"

    [media]           # playing a turn's recording (jhs_qual/listen/player.py)
    player = "auto"         # auto (mpv, else ffplay), mpv or ffplay
    audio_output = "auto"   # or "null": no sound device, for tests (JHS_QUAL_AUDIO_OUTPUT overrides)
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path

from jhs_qual.errors import BadInput
from jhs_qual.files import replacing
from jhs_qual.suggest.settings import Settings


def config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "jhs-qual" / "config.toml"


@dataclass
class Config:
    coder: str = ""
    theme: str = ""
    keys: dict[str, str] = field(default_factory=dict)
    suggest: Settings = field(default_factory=Settings)
    file_mode: int | None = None  # [files] mode: of the files jhs-qual creates (default 0600)
    player: str = "auto"  # [media] player
    audio_output: str = "auto"  # [media] audio_output
    path: Path = field(default_factory=config_path)

    @classmethod
    def load(cls, path: Path | None = None) -> "Config":
        path = path or config_path()
        if not path.exists():
            return cls(path=path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise BadInput(f"not valid TOML ({error})", file=path, hint="fix or remove the file") from None
        keys = data.get("keys", {})
        if not isinstance(keys, dict) or not all(isinstance(v, str) for v in keys.values()):
            raise BadInput("[keys] maps binding ids to key strings", file=path, field="keys")
        from jhs_qual.keys import check_remap

        check_remap(keys, file=path)
        player, output = _media(data.get("media", {}), path)
        return cls(coder=str(data.get("coder", "")), theme=str(data.get("theme", "")),
                   keys=dict(keys), suggest=Settings.from_table(data.get("suggest", {}), path),
                   file_mode=_file_mode(data.get("files", {}), path), player=player, audio_output=output,
                   path=path)

    def save(self) -> None:
        lines = []
        if self.coder:
            lines.append(f"coder = {_quote(self.coder)}")
        if self.theme:
            lines.append(f"theme = {_quote(self.theme)}")
        if self.keys:
            lines += ["", "[keys]"] + [f"{k} = {_quote(v)}" for k, v in sorted(self.keys.items())]
        changed = {f.name: getattr(self.suggest, f.name) for f in fields(Settings)
                   if getattr(self.suggest, f.name) != f.default}
        if self.file_mode is not None:
            lines += ["", "[files]", f'mode = "{self.file_mode:04o}"']
        media = [(key, value) for key, value in (("player", self.player), ("audio_output", self.audio_output))
                 if value != "auto"]
        if media:
            lines += ["", "[media]"] + [f"{k} = {_quote(v)}" for k, v in media]
        if changed:
            lines += ["", "[suggest]"] + [f"{k} = {_value(v)}" for k, v in changed.items()]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with replacing(self.path, edit=True) as tmp:
            tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _file_mode(table, path: Path) -> int | None:
    """[files] mode = "0640": the mode of exports and other files jhs-qual creates."""
    if not isinstance(table, dict):
        raise BadInput("[files] must be a table", file=path, field="files")
    value = table.get("mode")
    if value is None:
        return None
    if not isinstance(value, str) or not re.fullmatch(r"0?[0-7]{3}", value) or int(value, 8) & 0o400 == 0:
        raise BadInput(f"mode must be octal like \"0600\" or \"0640\", readable by you (got {value!r})",
                       file=path, field="files.mode")
    return int(value, 8)


def _media(table, path: Path) -> tuple[str, str]:
    """[media] player and audio_output, each checked against what it may be."""
    from jhs_qual.listen.player import OUTPUTS, PLAYERS

    if not isinstance(table, dict):
        raise BadInput("[media] must be a table", file=path, field="media")
    values = []
    for key, allowed in (("player", ("auto", *PLAYERS)), ("audio_output", OUTPUTS)):
        value = table.get(key, "auto")
        if value not in allowed:
            raise BadInput(f"{key} must be one of {', '.join(allowed)} (got {value!r})", file=path,
                           field=f"media.{key}")
        values.append(value)
    return values[0], values[1]


def _value(value) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return _quote(value) if isinstance(value, str) else str(value)


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
