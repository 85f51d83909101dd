"""The browser workbench (`jhs-qual serve`) in Debian's Chromium, against a bare textual-serve
running the same workbench, in one run: first screen time, key-to-screen latency, memory per
session (idle, and once the suggestion engine is built), and several sessions at once.

First screen: from opening the workbench page (signed in already) to the first screen drawn.
Key-to-screen: from a key pressed in the page (j / k on a transcript: the cursor moves) to the
first screen update that comes back over the websocket, both timed in the page itself (an init
script notes each keydown and each websocket message); the median and the 90th percentile.
Memory: the resident size of each tab's workbench process (with its children), from /proc.

    .venv/bin/python benchmarks/bench_serve.py [--keys N] [--sessions K]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from served import CHROMIUM, CHROMIUM_ARGS, PASSWORDS, ROOT, make_project, serving  # noqa: E402

BARE = """
import sys
from textual_serve.server import Server
Server(sys.argv[1], host="127.0.0.1", port=int(sys.argv[2])).serve()
"""


def tree_rss(pid: int) -> int:
    """Resident bytes of a process and its descendants."""
    total = 0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) * 1024
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except FileNotFoundError:
        return total
    return total + sum(tree_rss(int(child)) for child in children)


def children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


TIMING = """
window.__keys = []; window.__frames = [];
document.addEventListener("keydown", () => window.__keys.push(performance.now()), true);
const Native = window.WebSocket;
window.WebSocket = function (...args) {
  const socket = new Native(...args);
  socket.addEventListener("message", () => window.__frames.push(performance.now()));
  return socket;
};
window.WebSocket.prototype = Native.prototype;
"""


class Tab:
    def __init__(self, browser):
        self.context = browser.new_context(viewport={"width": 1200, "height": 760})
        self.context.add_init_script(TIMING)
        self.page = self.context.new_page()
        self.frames: list[float] = []
        self.page.on("websocket", lambda ws: ws.on("framereceived", lambda _: self.frames.append(time.perf_counter())))

    def quiet(self, seconds: float = 0.5, timeout: float = 30) -> None:
        """Until no screen update came for `seconds`. Playwright hands frames over only while a
        call of its own runs: the wait is its wait_for_timeout, not time.sleep."""
        end = time.perf_counter() + timeout
        while time.perf_counter() < end:
            self.page.wait_for_timeout(50)
            if self.frames and time.perf_counter() - self.frames[-1] > seconds:
                return

    def first_screen(self, url: str) -> float:
        start = time.perf_counter()
        self.page.goto(url)
        self.page.wait_for_selector("body.-first-byte", timeout=60_000)
        taken = time.perf_counter() - start
        self.page.click("#terminal")
        self.quiet()
        return taken

    def key_latencies(self, count: int) -> list[float]:
        for i in range(count):
            self.page.keyboard.press("j" if i % 2 == 0 else "k")
            self.quiet(0.3)
        keys, frames = self.page.evaluate("[window.__keys, window.__frames]")
        keys = keys[-count:]
        taken = []
        for key in keys:
            after = next((f for f in frames if f > key), None)
            if after is not None:
                taken.append((after - key) / 1000)
        return taken


def sign_in(tab: Tab, url: str, name: str) -> None:
    tab.page.goto(url + "login")
    tab.page.fill("#name", name)
    tab.page.fill("#password", PASSWORDS[name])
    with tab.page.expect_navigation():
        tab.page.click("button[type=submit]")
    tab.page.wait_for_selector("body.-first-byte", timeout=60_000)
    tab.page.goto(url + "login")  # leave the workbench again: the timing starts from a fresh page
    time.sleep(1.5)


def measure(browser, url: str, server_pid: int, keys: int, signed_in_as: str | None) -> dict:
    tab = Tab(browser)
    if signed_in_as:
        sign_in(tab, url, signed_in_as)
    first = tab.first_screen(url)
    time.sleep(1.0)
    idle = sum(tree_rss(pid) for pid in children(server_pid))  # the transcript list
    tab.page.keyboard.press("Enter")  # the first transcript: its suggestions build the engine
    tab.quiet(1.0)
    latencies = tab.key_latencies(keys)
    deadline = time.perf_counter() + 90
    engine, last = 0, -1
    while time.perf_counter() < deadline:  # until the workbench's memory stops growing
        time.sleep(2.0)
        engine = sum(tree_rss(pid) for pid in children(server_pid))
        if engine == last:
            break
        last = engine
    tab.context.close()
    latencies.sort()
    return {"first": first, "median": statistics.median(latencies), "p90": latencies[int(len(latencies) * 0.9) - 1],
            "idle": idle, "engine": engine, "n": len(latencies)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=40)
    parser.add_argument("--sessions", type=int, default=4)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="jhs-bench-serve-"))
    samples = ROOT / "transcripts_sample"
    project = make_project(work, tuple(sorted(p for p in samples.iterdir() if p.suffix in (".txt", ".srt", ".vtt"))))
    mb = 1024 * 1024
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        version = browser.version
        with serving(project) as served:
            ours = measure(browser, served.url, served.process.pid, args.keys, signed_in_as="anna")
            tabs = [Tab(browser) for _ in range(args.sessions)]
            for i, tab in enumerate(tabs):
                sign_in(tab, served.url, "anna" if i % 2 == 0 else "bram")
            start = time.perf_counter()
            for tab in tabs:  # all at once
                tab.page.goto(served.url, wait_until="commit")
            for tab in tabs:
                tab.page.wait_for_selector("body.-first-byte", timeout=60_000)
            together = time.perf_counter() - start
            time.sleep(2)
            many = [tree_rss(pid) for pid in children(served.process.pid)]
            for tab in tabs:
                tab.context.close()
        port = 8900
        command = f"{sys.executable} -m jhs_qual tui --served --coder anna --project {project}"
        bare = subprocess.Popen([sys.executable, "-c", BARE, command, str(port)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        try:
            time.sleep(3)
            theirs = measure(browser, f"http://127.0.0.1:{port}/", bare.pid, args.keys, signed_in_as=None)
        finally:
            bare.terminate()
            bare.wait(20)
        browser.close()
    print(f"Chromium {version}, {args.keys} keys, the sample transcripts; jhs-qual serve vs bare textual-serve")
    for label, key, unit, scale in (("first screen", "first", "s", 1), ("key to screen, median", "median", "ms", 1000),
                                    ("key to screen, 90th pct", "p90", "ms", 1000),
                                    ("memory per session, transcript list", "idle", "MiB", 1 / mb),
                                    ("memory per session, engine built", "engine", "MiB", 1 / mb)):
        a, b = ours[key] * scale, theirs[key] * scale
        print(f"{label:<36} serve {a:8.1f} {unit:<3}  bare textual-serve {b:8.1f} {unit:<3}  ratio {a / b:5.2f}x")
    print(f"{args.sessions} sessions opened at once (2 coders), on the transcript list: all drawn in "
          f"{together:.1f} s; {statistics.mean(many) / mb:.0f} MiB each on average, {sum(many) / mb:.0f} MiB in all")


if __name__ == "__main__":
    main()
