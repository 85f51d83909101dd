"""`jhs-qual serve` in a real browser: Debian's Chromium driven by Playwright (no browser
download; `.ci/run` installs the package). A coder signs in, opens a transcript, codes a turn by
key and the row is in the project; a wrong password and another site's page are refused; two
coders code at once and nothing is lost; a closed tab and an idle timeout end the workbench
process with every coding kept; the page asks nothing of another server."""

from __future__ import annotations

import re
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from served import CHROMIUM, CHROMIUM_ARGS, PASSWORDS, codings, make_project, serving

if not Path(CHROMIUM).exists():
    pytest.skip(f"no Chromium at {CHROMIUM}: install Debian's chromium package (.ci/run does), "
                "or point JHS_QUAL_CHROMIUM at one", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is in the test extras")
pyte = pytest.importorskip("pyte", reason="pyte is in the test extras")


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def team(tmp_path):
    return make_project(tmp_path)


class Tab:
    """One browser tab on the server: its requests, and its screen as the workbench drew it.

    The screen is rebuilt from the terminal output the page receives (pyte, a terminal emulator),
    so a test waits on what the coder sees. Playwright hands events over only while a call of its
    own runs, so every wait on the page is Playwright's `wait_for_timeout`, never `time.sleep`."""

    def __init__(self, browser, url: str):
        self.url = url
        self.context = browser.new_context(viewport={"width": 1200, "height": 760})
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.screen = pyte.Screen(240, 80)  # larger than the page's terminal: nothing drawn falls off
        stream = pyte.ByteStream(self.screen)

        def received(payload: bytes | str) -> None:
            stream.feed(payload.encode() if isinstance(payload, str) else payload)

        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("websocket", lambda ws: ws.on("framereceived", received))

    def sign_in(self, name: str, password: str) -> None:
        self.page.goto(self.url)
        self.page.fill("#name", name)
        self.page.fill("#password", password)
        self.page.click("button[type=submit]")

    def open_workbench(self, name: str) -> None:
        self.sign_in(name, PASSWORDS[name])
        self.page.wait_for_selector("body.-first-byte", timeout=30_000)
        self.page.click("#terminal")
        self.until(LIST)

    def shown(self) -> str:
        return "\n".join(self.screen.display)

    def wait(self, condition, timeout: float = 30.0):
        """Until `condition()` is true, the tab's events handled meanwhile; its last value."""
        end = time.monotonic() + timeout
        while not (value := condition()) and time.monotonic() < end:
            self.page.wait_for_timeout(50)
        return value

    def until(self, pattern: str, timeout: float = 30.0) -> None:
        """Until the screen shows `pattern` (a regular expression)."""
        if not self.wait(lambda: re.search(pattern, self.shown()), timeout):
            raise AssertionError(f"the screen never showed {pattern!r}; it shows:\n{self.shown()}")

    def press(self, *keys: str, then: str | None = None) -> None:
        """Press `keys`, then wait until the screen shows `then`."""
        for key in keys:
            self.page.keyboard.press(key)
        if then is not None:
            self.until(then)

    def close(self) -> None:
        self.context.close()


LIST = "⏎ Open"  # the transcript list's footer
TRANSCRIPT = "⏎ Accept"  # a transcript's footer


def _wait_for(condition, timeout: float = 15.0):
    """Until `condition()`, which asks nothing of a browser, is true; its last value."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if value := condition():
            return value
        time.sleep(0.1)
    return condition()


def test_a_coder_signs_in_opens_a_transcript_and_codes_a_turn_by_key(browser, team):
    with serving(team) as served:
        tab = Tab(browser, served.url)
        tab.open_workbench("anna")
        assert tab.page.inner_text("#coder") == "anna"
        tab.press("Enter", then=TRANSCRIPT)  # the first transcript, on its first answer not coded yet (turn 2)
        tab.press("r")  # bronstein/process_reflection
        assert _wait_for(lambda: codings(team)) == [("anna", "process_reflection", 2)]
        # self-contained: every request went to this server, the font included; no CSP violation
        assert {urlsplit(url).netloc for url in tab.requests} == {urlsplit(served.url).netloc}
        assert any(url.endswith(".ttf") for url in tab.requests)
        assert tab.errors == []
        # the light theme all over: xterm.js's own black is the theme's background
        colour = tab.page.evaluate("getComputedStyle(document.querySelector('.xterm-viewport')).backgroundColor")
        assert colour == "rgb(224, 224, 224)"
        tab.close()


def test_a_wrong_password_is_refused_in_the_browser(browser, team):
    with serving(team) as served:
        tab = Tab(browser, served.url)
        tab.sign_in("anna", "bijna goed maar niet")
        assert "Wrong name or password" in tab.page.inner_text(".message")
        assert urlsplit(tab.page.url).path == "/login"
        assert not any(c["name"] == "jhsq_session" for c in tab.context.cookies())
        assert served.workbenches() == []
        tab.close()


def test_another_sites_page_cannot_open_a_workbench_with_the_coders_cookie(browser, team):
    with serving(team) as served:
        tab = Tab(browser, served.url)
        tab.sign_in("anna", PASSWORDS["anna"])
        tab.page.wait_for_selector("body.-first-byte", timeout=30_000)
        tab.page.goto(served.url + "login")  # leave the workbench: its process ends
        _wait_for(lambda: served.workbenches() == [])
        ws_url = served.url.replace("http:", "ws:") + "ws"
        evil = ("<html><body><script>const ws = new WebSocket(%r);"
                "ws.onopen = () => document.title = 'opened'; ws.onclose = () => document.title = 'refused';"
                "</script></body></html>") % ws_url
        tab.page.route("http://evil.example/**", lambda route: route.fulfill(body=evil, content_type="text/html"))
        tab.page.goto("http://evil.example/")
        assert _wait_for(lambda: tab.page.title() in ("opened", "refused")) and tab.page.title() == "refused"
        assert served.workbenches() == []
        tab.close()


@pytest.fixture
def two_coders(browser, team):
    """anna and bram signed in at once, each in a workbench of their own on one project."""
    with serving(team) as served:
        anna, bram = Tab(browser, served.url), Tab(browser, served.url)
        try:
            anna.open_workbench("anna")
            bram.open_workbench("bram")
            yield anna, bram
        finally:
            anna.close()
            bram.close()


def test_two_coders_code_at_once_and_nothing_is_lost(two_coders, team):
    anna, bram = two_coders
    anna.press("Enter", then=TRANSCRIPT)
    bram.press("Enter", then=TRANSCRIPT)
    for _ in range(4):  # interleaved: each codes a turn and moves on (shift+key), the other at once
        anna.page.keyboard.press("Shift+R")
        bram.page.keyboard.press("Shift+N")
    found = _wait_for(lambda: len(codings(team)) == 8 and codings(team))
    assert sorted(found) == sorted([("anna", "process_reflection", n) for n in (2, 4, 6, 8)]
                                   + [("bram", "new_activities", n) for n in (2, 4, 6, 8)])


def test_each_coder_sees_the_others_codings_appear(two_coders, team):
    anna, bram = two_coders
    anna.press("Enter", then=TRANSCRIPT)
    bram.press("F4", "a", then="all coders")  # bram on the summary of all coders' codings
    bram.until(r"Reflectie op het proces +· +0")  # at PO, and in total
    seen = bram.shown()
    bram.page.wait_for_timeout(2500)
    assert bram.shown() == seen  # nothing changes on bram's screen by itself
    anna.press("r")
    bram.until(r"Reflectie op het proces +1 +1", timeout=5)  # anna's coding redraws it
    assert codings(team) == [("anna", "process_reflection", 2)]


def test_a_closed_tab_ends_its_workbench_and_keeps_its_coding(browser, team):
    with serving(team) as served:
        tab = Tab(browser, served.url)
        tab.open_workbench("anna")
        tab.press("Enter", then=TRANSCRIPT)
        assert len(served.workbenches()) == 1
        tab.page.keyboard.press("f")  # bronstein/flexibility; the tab closes at once
        closed = time.monotonic()
        tab.close()
        # ended by the server as the tab went (ctrl+q, else textual-serve's quit, else killed: 2 s
        # at most once it sees the tab gone), not by the idle timeout of 30 minutes; a loaded
        # machine adds to seeing it and to the process's end, so the bound is generous
        assert _wait_for(lambda: served.workbenches() == [], timeout=30)
        assert time.monotonic() - closed < 15
        assert codings(team) == [("anna", "flexibility", 2)]


def test_no_workbench_outlives_its_server_killed_by_sigkill(browser, team):
    import os
    import signal

    with serving(team) as served:
        tab = Tab(browser, served.url)
        tab.open_workbench("anna")
        (pid,) = _wait_for(served.workbenches)
        os.kill(served.process.pid, signal.SIGKILL)
        served.process.wait()

        def gone() -> bool:
            try:
                return Path(f"/proc/{pid}/status").read_text().split("State:")[1].split()[0] in ("Z", "X")
            except (FileNotFoundError, ProcessLookupError):
                return True

        assert _wait_for(gone, timeout=10)
        tab.close()


def test_an_idle_workbench_is_closed(browser, team):
    with serving(team, "--idle-minutes", "0.1") as served:  # 6 seconds
        tab = Tab(browser, served.url)
        tab.open_workbench("bram")
        tab.page.wait_for_selector("body.-closed", timeout=30_000)
        assert "Every coding you made is stored" in tab.page.inner_text(".notice.closed")
        assert _wait_for(lambda: served.workbenches() == [])
        tab.close()


def test_a_coder_cannot_remove_a_transcript_in_the_browser(browser, team):
    """bram signs in as a coder (not a lead): Delete, down, Enter, which would remove the
    transcript in a lead's workbench, leaves it; the keys after it still code as bram."""
    from jhs_qual.store import Project

    with serving(team) as served:
        tab = Tab(browser, served.url)
        tab.open_workbench("bram")
        tab.press("Delete", then="only a lead can remove a transcript")  # and no dialog opened:
        tab.press("ArrowDown", "Enter", then=TRANSCRIPT)  # the Enter that would confirm it opens the transcript
        tab.press("r")  # and codes turn 2
        assert _wait_for(lambda: codings(team)) == [("bram", "process_reflection", 2)]
        with Project.open(team) as project:
            assert len(project.transcript_names()) == 1 and not project.trashed()
        tab.close()
