"""`jhs-qual serve`: the workbench in a browser, for coders who sign in.

Built on aiohttp and textual-serve's parts (its page script, xterm.js, its
font, and `AppService`, which runs one Textual app per browser tab and relays
its screen over a websocket). What textual-serve alone does not do is here:
- sign-in: a login page (name and password, checked against the users file's
  argon2id hashes, off the event loop), a CSRF token on the form, failed
  attempts slowed down and counted; a session is a random 256-bit id in an
  HttpOnly, SameSite=Strict cookie, kept in memory (a restart signs everyone out);
- each tab's workbench runs as the signed-in coder (`tui --served --coder NAME`,
  started without a shell: the name is one argument, never a command line);
- every request's Host, and the websocket's Origin, must be this server's own
  address (`--public-url` behind a proxy): another site's page cannot open a
  workbench with the coder's cookie;
- limits: workbenches in all and per coder, an idle timeout, the size of a
  message from the browser;
- a page that needs nothing from elsewhere (the font comes from textual-serve's
  package, a Content-Security-Policy says so) in the workbench's own theme.
A closed tab, a dropped connection, an idle timeout or a stopped server quit
the workbench the way ctrl+q does; codings are stored as they are made, so
none is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import os
import secrets
import signal
import sys
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import jinja2
import textual_serve
from aiohttp import WSMsgType, web
from textual_serve.app_service import AppService
from textual_serve.download_manager import DownloadManager

from jhs_qual.errors import BadInput
from jhs_qual.serve.users import Users

log = logging.getLogger("jhs_qual.serve")

HERE = Path(__file__).parent
SESSION_COOKIE = "jhsq_session"
CSRF_COOKIE = "jhsq_login"
LOOPBACK = ("127.0.0.1", "localhost", "::1")
THEMES = {  # the page around the terminal, in the workbench's colours (Textual's built-in themes)
    "light": {"textual": "textual-light", "background": "#E0E0E0", "foreground": "#1F1F1F", "accent": "#004578"},
    "dark": {"textual": "textual-dark", "background": "#121212", "foreground": "#E0E0E0", "accent": "#0178D4"},
}
MAX_MESSAGE = 64 * 1024  # a key or a paste from the browser; more is refused
QUIT_SECONDS = 1.5  # a closing tab's workbench has this long to quit by ctrl+q (keys before it stored) ...
QUIT_AGAIN_SECONDS = 0.5  # ... and this long after textual-serve's quit; then its process group is killed
USERS_POLL_SECONDS = 1.0  # how often the users file is looked at: a removed coder's sessions end at once
MAX_LOGIN_TOKENS = 10_000  # login pages handed out and not yet used (the oldest go first)
FAILED_WINDOW = 600  # seconds in which failed sign-ins from one address are counted
MAX_FAILED = 10


@dataclass(frozen=True)
class Limits:
    total: int = 8  # workbenches open at once, all coders (each 61 MiB, 302 MiB once it suggests)
    per_coder: int = 2
    idle_minutes: float = 30
    session_hours: float = 12


@dataclass
class Session:
    coder: str
    csrf: str
    expires: float


@dataclass
class Workbench:
    coder: str
    session_id: str
    websocket: object
    last_input: float = field(default_factory=time.monotonic)
    closed_because: str = ""


class WorkbenchProcess(AppService):
    """One tab's workbench: `argv` started without a shell (the coder's name is one argument,
    never part of a command line), its screen relayed to `websocket`."""

    def __init__(self, argv: list[str], coder: str, websocket) -> None:
        super().__init__("", write_bytes=websocket.send_bytes, write_str=websocket.send_str,
                         close=websocket.close, download_manager=DownloadManager())
        self.argv, self.coder = argv, coder

    # textual-serve has no public way to start the process: this overrides its private method, for
    # the version pinned in pyproject.toml; tests/test_serve.py fails loudly if that method changes.
    async def _open_app_process(self, width: int = 80, height: int = 24):
        # A process group of its own (the server kills it whole), and on Linux the kernel kills it
        # when the server dies, even by SIGKILL: no workbench outlives its server.
        self._process = await asyncio.create_subprocess_exec(
            *self.argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, env=self._build_environment(width=width, height=height),
            start_new_session=True, preexec_fn=_die_with_parent)
        self._stdin = self._process.stdin
        return self._process

    async def run(self) -> None:
        await super().run()
        await self.remote_close()  # the workbench ended (quit, or failed to start): so does its page

    async def on_meta(self, data: bytes) -> None:
        if json.loads(data).get("type") == "exit":  # no downloads, no pages opened
            await super().on_meta(data)

    async def stop(self) -> None:
        """Quit as ctrl+q does, after every key the browser sent before it (a code key pressed
        as the tab closed is stored); else textual-serve's quit; else kill."""
        if self._task is None:
            return
        if not self._task.done() and not (await self.send_bytes(b"\x11") and await self._ended(QUIT_SECONDS)) and not (
                await self.send_meta({"type": "quit"}) and await self._ended(QUIT_AGAIN_SECONDS)):
            log.warning("a workbench for %s did not quit in %g s: killed", self.coder,
                        QUIT_SECONDS + QUIT_AGAIN_SECONDS)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._process.pid, signal.SIGKILL)
        await self._task
        self._task = None

    async def _ended(self, seconds: float) -> bool:
        try:
            await asyncio.wait_for(asyncio.shield(self._task), seconds)
            return True
        except TimeoutError:
            return False


def _die_with_parent() -> None:
    """In the workbench process, before it runs: SIGKILL when the server dies (Linux's
    PR_SET_PDEATHSIG); elsewhere the process group is killed on the server's way out."""
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1: PR_SET_PDEATHSIG


def origin_of(url: str) -> tuple[str, str]:
    """(scheme, host[:port]) of a URL, lower case, default ports left out."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadInput(f"{url!r} is not an http(s) address", field="--public-url",
                       hint="give it as the coders type it, e.g. https://qual.example.org")
    host = parts.hostname.lower()
    host = f"[{host}]" if ":" in host else host
    default = {"http": 80, "https": 443}[parts.scheme]
    netloc = host if parts.port in (None, default) else f"{host}:{parts.port}"
    return parts.scheme, netloc


class WorkbenchServer:
    def __init__(self, project_path: Path, users: Users, *, host: str = "127.0.0.1", port: int = 8765,
                 public_url: str | None = None, limits: Limits = Limits(), theme: str = "light",
                 trusted_proxies: tuple[str, ...] = ()) -> None:
        if not users.names():
            raise BadInput(f"no coder can sign in: {users.path.name} lists nobody", file=users.path,
                           hint=f"add one with `jhs-qual users add NAME --project {project_path}`")
        if host not in LOOPBACK and public_url is None:
            raise BadInput(f"--host {host} lets other machines in, so the server must know the address "
                           "they use", field="--public-url",
                           hint="add --public-url http://NAME:PORT (or the https address of the proxy in front)")
        if public_url is not None:
            origin_of(public_url)  # a usable address, said before anything listens
        self.project_path = Path(project_path).absolute()
        self.users = users
        self.host, self.port = host, port
        self.public_url = public_url
        self.limits = limits
        self.theme = THEMES[theme]
        self.sessions: dict[str, Session] = {}
        self.workbenches: list[Workbench] = []
        self._failed: dict[str, deque] = defaultdict(deque)
        self.trusted_proxies = frozenset(trusted_proxies)  # whose X-Forwarded-For is believed
        self._login_tokens: dict[str, float] = {}  # one-time tokens of the login pages handed out -> expiry
        self._users_seen = _file_state(users.path)
        self._origins: set[str] = set()
        self._hosts: set[str] = set()

    # --- addresses -------------------------------------------------------------------------

    def _allow_addresses(self, port: int) -> None:
        """The Host values and Origins this server answers to: its public address, and on
        loopback the loopback names at the port it listens on."""
        if self.public_url is not None:
            scheme, netloc = origin_of(self.public_url)
            self._hosts.add(netloc)
            self._origins.add(f"{scheme}://{netloc}")
        if self.host in LOOPBACK:
            for name in ("127.0.0.1", "localhost", "[::1]"):
                self._hosts.add(f"{name}:{port}")
                self._origins.add(f"http://{name}:{port}")

    @property
    def secure(self) -> bool:
        return self.public_url is not None and self.public_url.lower().startswith("https:")

    def address(self) -> str:
        return self.public_url.rstrip("/") + "/" if self.public_url else f"http://{self.host}:{self.port}/"

    # --- the web application ------------------------------------------------------------------

    def make_app(self):
        self._templates = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"),
                                             autoescape=True)
        app = web.Application(middlewares=[self._guard], client_max_size=16 * 1024)
        app.add_routes([
            web.get("/", self.index),
            web.get("/login", self.login_page),
            web.post("/login", self.login),
            web.post("/logout", self.logout),
            web.get("/ws", self.websocket),
            web.get("/favicon.ico", lambda request: web.Response(status=204)),
            web.static("/static/textual", Path(textual_serve.__file__).parent / "static"),
            web.static("/static/jhs", HERE / "static"),
        ])
        app.on_shutdown.append(self._close_all)
        return app

    def _page(self, template: str, status: int = 200, **context):
        html = self._templates.get_template(template).render(theme=self.theme, project=self.project_path.name,
                                                             **context)
        return web.Response(text=html, content_type="text/html", status=status)

    @property
    def _guard(self):
        @web.middleware
        async def guard(request, handler):
            if request.host.lower() not in self._hosts:
                log.warning("refused a request for host %r", request.host)
                return web.Response(status=421, text="This server does not answer to that host name.\n")
            try:
                response = await handler(request)
            except web.HTTPException as answer:  # an error page (not found, too large): the same headers
                answer.headers.update(self._headers(request))
                raise
            response.headers.update(self._headers(request))
            return response

        return guard

    def _headers(self, request) -> dict[str, str]:
        csp = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; font-src 'self'; "
               f"img-src 'self' data:; connect-src 'self' {self._websocket_url(request)}; "
               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
        return {"Content-Security-Policy": csp, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin",
                "X-Frame-Options": "DENY", "Cache-Control": "no-store"}

    def _websocket_url(self, request) -> str:
        scheme = "wss" if self.secure or request.secure else "ws"
        return f"{scheme}://{request.host}/ws"

    def _session(self, request) -> tuple[str, Session] | None:
        session_id = request.cookies.get(SESSION_COOKIE, "")
        session = self.sessions.get(session_id)
        if session is None:
            return None
        if session.expires < time.time():
            del self.sessions[session_id]
            return None
        return session_id, session

    def _set_cookie(self, response, name: str, value: str, *, path: str, max_age: int) -> None:
        """Every cookie of ours: never readable by scripts, never sent from another site's page,
        only over TLS when the server is reached by https."""
        response.set_cookie(name, value, httponly=True, samesite="Strict", secure=self.secure, path=path,
                            max_age=max_age)

    def _same_origin(self, request) -> bool:
        origin = request.headers.get("Origin")
        return origin is not None and origin.lower() in self._origins

    # --- pages -----------------------------------------------------------------------------

    async def index(self, request):
        found = self._session(request)
        if found is None:
            return _redirect("/login")
        session_id, session = found
        if refusal := self._over_limit(session.coder):
            return self._page("message.html", status=429, message=refusal)
        return self._page("workbench.html", coder=session.coder, csrf=session.csrf,
                          websocket_url=self._websocket_url(request), idle_minutes=self.limits.idle_minutes)

    async def login_page(self, request, message: str = "", status: int = 200):
        token = secrets.token_urlsafe(32)
        now = time.monotonic()
        for old in [t for t, expiry in self._login_tokens.items() if expiry < now][:1000]:
            del self._login_tokens[old]
        while len(self._login_tokens) >= MAX_LOGIN_TOKENS:
            del self._login_tokens[next(iter(self._login_tokens))]
        self._login_tokens[token] = now + 3600  # one sign-in, within the hour
        response = self._page("login.html", status=status, csrf=token, message=message)
        self._set_cookie(response, CSRF_COOKIE, token, path="/login", max_age=3600)
        return response

    async def login(self, request):
        form = await request.post()
        token = request.cookies.get(CSRF_COOKIE, "")
        address = self._client(request)
        fresh = self._login_tokens.pop(token, 0) >= time.monotonic() if token else False  # one use only
        if not (self._same_origin(request) and fresh and hmac.compare_digest(token, str(form.get("csrf", "")))):
            log.warning("refused a sign-in from %s: not from this server's own login page", address)
            return await self.login_page(request, "That sign-in did not come from this page. Please try again.",
                                         status=403)
        failures = self._failed[address]
        while failures and failures[0] < time.monotonic() - FAILED_WINDOW:
            failures.popleft()
        if len(failures) >= MAX_FAILED:
            return await self.login_page(request, "Too many failed sign-ins from here; wait ten minutes.",
                                         status=429)
        # Counted as failed before the password is checked, so that guesses sent at once stop at the
        # limit too; taken back when it was right.
        attempt = time.monotonic()
        failures.append(attempt)
        name, password = str(form.get("name", "")).strip(), str(form.get("password", ""))
        self._reload_users()
        loop = asyncio.get_running_loop()
        if not await loop.run_in_executor(None, self.users.verify, name, password):
            log.warning("failed sign-in from %s", address)
            await asyncio.sleep(1.0)
            return await self.login_page(request, "Wrong name or password.", status=401)
        failures.clear()
        session_id = secrets.token_urlsafe(32)
        self.sessions[session_id] = Session(name, secrets.token_urlsafe(32),
                                            time.time() + self.limits.session_hours * 3600)
        log.info("%s signed in from %s", name, address)
        response = _redirect("/")
        self._set_cookie(response, SESSION_COOKIE, session_id, path="/", max_age=int(self.limits.session_hours * 3600))
        response.del_cookie(CSRF_COOKIE, path="/login")
        return response

    async def logout(self, request):
        form = await request.post()
        found = self._session(request)
        if found is None or not (self._same_origin(request) and hmac.compare_digest(
                found[1].csrf, str(form.get("csrf", "")))):
            # Another site's page (its request carries no cookie of ours) must not even delete the cookie.
            log.warning("refused a sign-out that did not come from the workbench page")
            return web.Response(status=403, text="That sign-out did not come from the workbench page.\n")
        if found is not None:
            session_id, session = found
            del self.sessions[session_id]
            for workbench in [w for w in self.workbenches if w.session_id == session_id]:
                await self._close(workbench, "signed out")
            log.info("%s signed out", session.coder)
        response = _redirect("/login")
        response.del_cookie(SESSION_COOKIE, path="/")
        return response

    # --- the workbench over a websocket --------------------------------------------------------

    async def websocket(self, request):
        if not self._same_origin(request):
            log.warning("refused a websocket from origin %r", request.headers.get("Origin"))
            return web.Response(status=403, text="Not from this server's page.\n")
        found = self._session(request)
        if found is None:
            return web.Response(status=401, text="Sign in first.\n")
        session_id, session = found
        if refusal := self._over_limit(session.coder):
            log.warning("refused a workbench for %s: %s", session.coder, refusal)
            return web.Response(status=429, text=refusal + "\n")
        websocket = web.WebSocketResponse(heartbeat=15, max_msg_size=MAX_MESSAGE)
        await websocket.prepare(request)
        workbench = Workbench(session.coder, session_id, websocket)
        self.workbenches.append(workbench)
        process = None
        try:
            process = self._process(workbench)
            await process.start(_size(request.query.get("width"), 80), _size(request.query.get("height"), 24))
            log.info("workbench opened for %s (%d open)", session.coder, len(self.workbenches))
            await self._relay(workbench, process)
        except (asyncio.CancelledError, ConnectionError):
            pass
        finally:
            self.workbenches.remove(workbench)
            if process is not None:
                await process.stop()
            if not websocket.closed:
                await websocket.close()
            log.info("workbench closed for %s%s", session.coder,
                     f" ({workbench.closed_because})" if workbench.closed_because else "")
        return websocket

    def _over_limit(self, coder: str) -> str:
        if len(self.workbenches) >= self.limits.total:
            return f"The server has {self.limits.total} workbenches open, its limit; try again later."
        if sum(w.coder == coder for w in self.workbenches) >= self.limits.per_coder:
            return (f"You have {self.limits.per_coder} workbenches open already; "
                    "close one of those tabs first.")
        return ""

    def _process(self, workbench: Workbench) -> WorkbenchProcess:
        argv = [sys.executable, "-m", "jhs_qual", "tui", "--served", "--theme", self.theme["textual"],
                "--project", str(self.project_path), "--coder", workbench.coder,
                "--role", Users.load(self.project_path).role(workbench.coder)]  # read afresh, as at sign-in
        return WorkbenchProcess(argv, workbench.coder, workbench.websocket)

    async def _relay(self, workbench: Workbench, process) -> None:
        """The browser's keys, paste and size to the workbench (the screen goes back in AppService)."""
        async for message in workbench.websocket:
            if message.type != WSMsgType.TEXT:
                continue
            try:
                kind, *rest = json.loads(message.data)
            except (ValueError, TypeError):
                continue
            if kind == "stdin" and rest and isinstance(rest[0], str):
                workbench.last_input = time.monotonic()
                await process.send_bytes(rest[0].encode("utf-8"))
            elif kind == "resize" and rest and isinstance(rest[0], dict):
                await process.set_terminal_size(_size(rest[0].get("width"), 80), _size(rest[0].get("height"), 24))
            elif kind == "ping" and rest:
                await workbench.websocket.send_json(["pong", str(rest[0])[:32]])
            elif kind == "blur":
                await process.blur()
            elif kind == "focus":
                await process.focus()

    async def _close(self, workbench: Workbench, because: str) -> None:
        workbench.closed_because = because
        await workbench.websocket.close(code=4000, message=because.encode("utf-8"))

    async def _watch_idle(self) -> None:
        idle = self.limits.idle_minutes * 60
        while True:
            await asyncio.sleep(min(30.0, max(idle / 4, 0.5)))
            now = time.monotonic()
            for workbench in [w for w in self.workbenches if now - w.last_input > idle]:
                await self._close(workbench, f"idle for {self.limits.idle_minutes:g} minutes")
            for session_id in [s for s, v in self.sessions.items() if v.expires < time.time()]:
                del self.sessions[session_id]

    def _reload_users(self) -> None:
        """Read the users file again when it changed; a coder no longer in it is signed out at
        once, their workbenches closed."""
        state = _file_state(self.users.path)
        if state == self._users_seen:
            return
        try:
            self.users = Users.load(self.project_path)
        except BadInput as error:
            log.error("%s (the coders read before are kept)", error.one_line())
            return
        self._users_seen = state
        known = set(self.users.names())
        for session_id in [s for s, v in self.sessions.items() if v.coder not in known]:
            log.info("%s can no longer sign in: signed out", self.sessions.pop(session_id).coder)
        for workbench in [w for w in self.workbenches if w.session_id not in self.sessions]:
            asyncio.get_running_loop().create_task(self._close(workbench, "no longer allowed to sign in"))

    async def _watch_users(self) -> None:
        while True:
            await asyncio.sleep(USERS_POLL_SECONDS)
            self._reload_users()

    def _client(self, request) -> str:
        """The browser's address: behind a proxy named with --trusted-proxy, the last address it
        names in X-Forwarded-For (else every coder would share the proxy's address, and its failed
        sign-ins); from anyone else the header is not believed."""
        remote = request.remote or "?"
        forwarded = request.headers.get("X-Forwarded-For", "")
        if forwarded and remote in self.trusted_proxies:
            return forwarded.split(",")[-1].strip()[:64] or remote
        return remote

    async def _close_all(self, app) -> None:
        for workbench in list(self.workbenches):
            await self._close(workbench, "the server stops")

    # --- running ---------------------------------------------------------------------------

    async def run(self, ready=print) -> None:
        """Listen until SIGINT or SIGTERM; `ready(line)` is told the address once it listens."""
        runner = web.AppRunner(self.make_app(), access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        try:
            await site.start()
        except OSError as error:
            await runner.cleanup()
            raise BadInput(f"cannot listen on {self.host}:{self.port}: {error.strerror or error}",
                           field="--port", hint="another program may use that port; pick another") from None
        self.port = runner.addresses[0][1]  # the one chosen, for --port 0
        self._allow_addresses(self.port)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        watchers = [asyncio.create_task(self._watch_idle()), asyncio.create_task(self._watch_users())]
        await asyncio.get_running_loop().run_in_executor(None, Users.warm)  # the dummy hash, before any sign-in
        listening = f", listening on http://{self.host}:{self.port}/" if self.public_url else ""
        ready(f"jhs-qual serve: {self.address()}{listening} ({self.project_path.name}; {len(self.users.names())} "
              f"coder(s) can sign in; at most {self.limits.total} workbenches, {self.limits.per_coder} per coder, "
              f"closed after {self.limits.idle_minutes:g} idle minutes); ctrl+c stops")
        try:
            await stop.wait()
        finally:
            for watcher in watchers:
                watcher.cancel()
            await runner.cleanup()  # closes every workbench first (on_shutdown)


def _file_state(path: Path) -> tuple[int, int] | None:
    try:
        found = path.stat()
    except OSError:
        return None
    return found.st_mtime_ns, found.st_size


def _redirect(to: str):
    return web.Response(status=303, headers={"Location": to})


def _size(value, default: int) -> int:
    """A terminal size from the browser: a whole number from 10 to 1000, else the default."""
    try:
        return min(max(int(value), 10), 1000)
    except (TypeError, ValueError):
        return default
