"""Playing a clip with an external player, in the background.

mpv is the player of choice: started with a JSON IPC socket (in a private
temporary folder), so that the workbench can ask where it is, skip back and
change the speed while it plays, and stop it. ffplay (from FFmpeg) is the
fallback: it has no control channel, so its position is reckoned from the
clock and a skip or a new speed starts it again at the new place. Neither
touches the terminal (stdin closed, output to a file read only on failure).

`audio_output = "null"` (config [media] or `JHS_QUAL_AUDIO_OUTPUT=null`)
plays to no sound device, in real time: for tests and machines without sound.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from jhs_qual.errors import BadInput, Failure
from jhs_qual.listen.clips import Clip

PLAYERS = ("mpv", "ffplay")
OUTPUTS = ("auto", "null")
SPEEDS = (1.0, 0.75, 0.5)  # the workbench's "slower" key goes round these
INSTALL_HINT = ("install mpv (Debian/Ubuntu: 'sudo apt install mpv'; macOS: 'brew install mpv'; "
                "Windows: mpv.io), or FFmpeg for ffplay")


def find_player(choice: str = "auto") -> tuple[str, str]:
    """(name, program path) of the player to use: the config's choice, or the first of mpv, ffplay found."""
    if choice not in ("auto", *PLAYERS):
        raise BadInput(f"unknown player '{choice}'", field="media.player", hint="auto, mpv or ffplay")
    for name in PLAYERS if choice == "auto" else (choice,):
        program = shutil.which(name)
        if program:
            return name, program
    if choice == "auto":
        raise BadInput("no audio player found (jhs-qual plays recordings with mpv or ffplay)", hint=INSTALL_HINT)
    raise BadInput(f"{choice} is not installed (chosen with --player or the config's [media] player)",
                   field="player", hint=f"install it, or choose auto; {INSTALL_HINT}")


def audio_output(configured: str = "auto") -> str:
    """'null' or 'auto'; JHS_QUAL_AUDIO_OUTPUT overrides the config."""
    value = os.environ.get("JHS_QUAL_AUDIO_OUTPUT") or configured or "auto"
    if value not in OUTPUTS:
        source = "JHS_QUAL_AUDIO_OUTPUT" if os.environ.get("JHS_QUAL_AUDIO_OUTPUT") else "media.audio_output"
        raise BadInput(f"audio output must be 'auto' or 'null' (got {value!r})", field=source)
    return value


def start(media: Path, clip: Clip, *, player: str = "auto", output: str = "auto", speed: float = 1.0) -> "Playback":
    """Start playing the clip; returns at once, the player running in the background."""
    name, program = find_player(player)
    kind = MpvPlayback if name == "mpv" else FfplayPlayback
    return kind(program, media, clip, speed=speed, null_output=audio_output(output) == "null")


class Playback:
    """One clip playing. `position()` is seconds into the recording (None before it starts)."""

    name = ""
    reports_position = False  # from the player itself, not reckoned from the clock
    _stopping = False

    def __init__(self, program: str, media: Path, clip: Clip, *, speed: float, null_output: bool) -> None:
        self.program, self.media, self.clip = program, Path(media), clip
        self.speed, self.null_output = speed, null_output
        self._folder = tempfile.mkdtemp(prefix="jhs-qual-play-")  # 0700: the socket is ours alone
        self._log = Path(self._folder) / "player.log"
        self.process = self._spawn(clip.start)

    def _spawn(self, at: float) -> subprocess.Popen:
        argv = self._argv(at)
        with self._log.open("ab") as log:
            try:
                return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log,
                                        env=self._env(), start_new_session=True)
            except OSError as error:
                raise Failure(f"could not start {self.name} ({error.strerror})", file=self.program,
                              hint=INSTALL_HINT) from None

    def _argv(self, at: float) -> list[str]:
        raise NotImplementedError

    def _env(self) -> dict[str, str]:
        return dict(os.environ)

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def wait(self, timeout: float | None = None) -> None:
        """Until the clip has played (or timeout); a Failure if the player could not play it."""
        self.process.wait(timeout)
        if self.failed():
            raise Failure(f"{self.name} could not play the recording: {self.failed()}", file=self.media)

    def failed(self) -> str:
        """Why the player ended with an error ('' while it plays, after a clean end, or when stopped)."""
        code = self.process.poll()
        if code in (0, None) or self._stopping:
            return ""
        return self._last_logged() or f"exit code {code}"

    def _last_logged(self) -> str:
        try:
            lines = self._log.read_text(encoding="utf-8", errors="replace").split("\n")
        except OSError:
            return ""
        return next((line.strip() for line in reversed(lines) if line.strip()), "")

    def stop(self) -> None:
        self._stopping = True
        if self.running:
            self.process.terminate()
            try:
                self.process.wait(2)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self._folder, ignore_errors=True)

    def position(self, timeout: float = 0.5) -> float | None:
        raise NotImplementedError

    def skip(self, seconds: float) -> None:
        raise NotImplementedError

    def set_speed(self, speed: float) -> None:
        raise NotImplementedError


class MpvPlayback(Playback):
    name = "mpv"
    reports_position = True

    def __init__(self, *args, **kwargs) -> None:
        self._socket: socket.socket | None = None
        self._buffer = b""
        self._request = 0
        self._lock = threading.Lock()
        super().__init__(*args, **kwargs)

    @property
    def socket_path(self) -> str:
        return os.path.join(self._folder, "mpv.sock")

    def _argv(self, at: float) -> list[str]:
        argv = [self.program, "--no-config", "--no-input-terminal", "--msg-level=all=error", "--no-video",
                "--idle=no", "--keep-open=no",
                "--gapless-audio=no",  # else the file is closed while the last 0.7 s still play: no position
                f"--input-ipc-server={self.socket_path}",
                f"--start={at:.3f}", f"--speed={self.speed}"]
        if self.clip.end is not None:
            argv.append(f"--end={self.clip.end:.3f}")
        if self.null_output:
            argv.append("--ao=null")
        return argv + ["--", str(self.media)]

    def position(self, timeout: float = 0.5) -> float | None:
        value = self._command("get_property", "audio-pts", timeout=timeout)  # what is heard; time-pos jumps
        if value is None:
            value = self._command("get_property", "time-pos", timeout=timeout)  # a recording without sound
        return float(value) if isinstance(value, (int, float)) else None

    def skip(self, seconds: float) -> None:
        self._command("seek", seconds, "relative+exact")

    def set_speed(self, speed: float) -> None:
        self.speed = speed
        self._command("set_property", "speed", speed)

    def stop(self) -> None:
        self._stopping = True
        self._command("quit")
        try:
            self.process.wait(1)
        except subprocess.TimeoutExpired:
            pass
        with self._lock:
            if self._socket is not None:
                self._socket.close()
                self._socket = None
        super().stop()

    def _command(self, *command, timeout: float = 0.5):
        """Send one IPC command and return its `data` (None when mpv is not (yet) listening)."""
        with self._lock:
            if not self.running or not self._connect():
                return None
            self._request += 1
            request = self._request
            try:
                self._socket.sendall(json.dumps({"command": list(command), "request_id": request}).encode() + b"\n")
                deadline = time.monotonic() + timeout
                while time.monotonic() < deadline:
                    while b"\n" in self._buffer:
                        line, self._buffer = self._buffer.split(b"\n", 1)
                        reply = json.loads(line or b"{}")
                        if reply.get("request_id") == request:  # the rest are events
                            return reply.get("data") if reply.get("error") == "success" else None
                    self._socket.settimeout(max(deadline - time.monotonic(), 0.01))
                    chunk = self._socket.recv(65536)
                    if not chunk:
                        break
                    self._buffer += chunk
            except (OSError, ValueError):
                pass
            self._socket.close()  # a broken or silent connection: the next call connects again
            self._socket, self._buffer = None, b""
            return None

    def _connect(self) -> bool:
        if self._socket is not None:
            return True
        if not os.path.exists(self.socket_path):
            return False  # mpv is still starting: never wait for it here
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            connection.connect(self.socket_path)
        except OSError:
            connection.close()
            return False
        self._socket = connection
        return True


class FfplayPlayback(Playback):
    """ffplay has no control channel: position from the clock; skip and speed start it again."""

    name = "ffplay"

    def _argv(self, at: float) -> list[str]:
        self._began, self._from = time.monotonic(), at
        argv = [self.program, "-nodisp", "-autoexit", "-loglevel", "error", "-ss", f"{at:.3f}"]
        if self.clip.end is not None:
            argv += ["-t", f"{max(self.clip.end - at, 0.05):.3f}"]
        if self.speed != 1.0:
            argv += ["-af", f"atempo={self.speed}"]
        return argv + ["-i", str(self.media)]

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        if self.null_output:
            env["SDL_AUDIODRIVER"] = "dummy"
        return env

    def position(self, timeout: float = 0.5) -> float | None:
        if not self.running:
            return None
        at = self._from + (time.monotonic() - self._began) * self.speed
        return min(at, self.clip.end) if self.clip.end is not None else at

    def _restart(self, at: float) -> None:
        self.process.terminate()
        self.process.wait()
        self.process = self._spawn(at)

    def skip(self, seconds: float) -> None:
        at = self.position()
        if at is not None:
            self._restart(max(at + seconds, 0.0))

    def set_speed(self, speed: float) -> None:
        at = self.position()
        self.speed = speed
        if at is not None:
            self._restart(at)
