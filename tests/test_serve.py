"""`jhs-qual serve` and `jhs-qual users` without a browser: who may sign in, what the server
refuses (another Host, another Origin, a login form from elsewhere, a wrong password, one tab too
many), and the keys a browser keeps for itself. The browser itself: test_serve_browser.py."""

from __future__ import annotations

import asyncio
import json
import stat

import aiohttp
import pytest

from jhs_qual.keys import BROWSER_KEEPS, effective, for_browser, kept_by_browser
from jhs_qual.serve.users import Users, users_path
from served import PASSWORDS, jhs, make_project, serving


@pytest.fixture(scope="module")
def team(tmp_path_factory):
    return make_project(tmp_path_factory.mktemp("team"))


# --- users ----------------------------------------------------------------------------------

def test_users_file_holds_argon2id_hashes_for_the_owner_only(team):
    path = users_path(team)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    data = json.loads(path.read_text())
    assert sorted(data["users"]) == ["anna", "bram"]
    assert all(entry["hash"].startswith("$argon2id$") for entry in data["users"].values())
    assert PASSWORDS["anna"] not in path.read_text()
    users = Users.load(team)
    assert users.verify("anna", PASSWORDS["anna"])
    assert not users.verify("anna", PASSWORDS["bram"])
    assert not users.verify("nobody", PASSWORDS["anna"])
    assert jhs("users", "list", "--project", str(team)).stdout.split() == ["anna", "coder", "bram", "coder"]
    assert jhs("users", "role", "anna", "lead", "--project", str(team)).returncode == 0
    assert jhs("users", "list", "--project", str(team)).stdout.split() == ["anna", "lead", "bram", "coder"]


def test_users_refuse_short_passwords_known_names_and_control_characters(tmp_path):
    path = make_project(tmp_path)
    short = jhs("users", "add", "carla", "--password-stdin", "--project", str(path), input="kort\n")
    assert short.returncode == 2 and "at least 10 characters" in short.stderr and "Traceback" not in short.stderr
    again = jhs("users", "add", "anna", "--password-stdin", "--project", str(path), input="een ander wachtwoord\n")
    assert again.returncode == 2 and "--replace" in again.stderr
    odd = jhs("users", "add", "an\tna", "--password-stdin", "--project", str(path), input="een ander wachtwoord\n")
    assert odd.returncode == 2 and "control characters" in odd.stderr
    replaced = jhs("users", "add", "anna", "--replace", "--password-stdin", "--project", str(path),
                   input="een ander wachtwoord\n")
    assert replaced.returncode == 0, replaced.stderr
    assert Users.load(path).verify("anna", "een ander wachtwoord")
    assert jhs("users", "remove", "bram", "--project", str(path)).returncode == 0
    assert Users.load(path).names() == ["anna"]
    gone = jhs("users", "remove", "bram", "--project", str(path))
    assert gone.returncode == 2 and "no coder 'bram'" in gone.stderr


def test_a_broken_users_file_is_one_line_and_exit_2(tmp_path):
    path = make_project(tmp_path)
    users_path(path).write_text('{"version": 1, "users": ["anna"]}')
    for args in (["users", "list"], ["serve"]):
        done = jhs(*args, "--project", str(path))
        assert done.returncode == 2, done.stderr
        assert "team.jhsq.users" in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_serve_refuses_without_coders_and_an_open_host_without_its_address(tmp_path):
    path = make_project(tmp_path)
    open_host = jhs("serve", "--host", "0.0.0.0", "--project", str(path))
    assert open_host.returncode == 2 and "--public-url" in open_host.stderr
    users_path(path).unlink()
    nobody = jhs("serve", "--project", str(path))
    assert nobody.returncode == 2 and "users add" in nobody.stderr and "Traceback" not in nobody.stderr


# --- keys -----------------------------------------------------------------------------------

def test_the_private_textual_serve_method_we_override_is_still_there():
    """serve/server.py overrides textual-serve's AppService._open_app_process (no public hook
    exists): when an upgrade renames it or changes its use, this fails before a coder's tab does."""
    import inspect

    from textual_serve.app_service import AppService

    assert list(inspect.signature(AppService._open_app_process).parameters) == ["self", "width", "height"]
    assert "self._open_app_process(" in inspect.getsource(AppService.start)


def test_in_a_browser_no_default_key_is_one_the_browser_keeps():
    assert kept_by_browser() == {"toggle_theme": "ctrl+t"}  # fine in a terminal
    assert kept_by_browser(for_browser()) == {}
    assert effective(for_browser())["toggle_theme"] == "f9"
    assert effective(for_browser({"toggle_theme": "f7"}))["toggle_theme"] == "f7"  # the user's own still wins
    assert "ctrl+w" in BROWSER_KEEPS


# --- the server over HTTP ---------------------------------------------------------------------

async def _login(session: aiohttp.ClientSession, url: str, name: str, password: str, origin: str | None = None):
    async with session.get(url + "login") as page:
        html = await page.text()
    csrf = html.split('name="csrf" value="')[1].split('"')[0]
    headers = {"Origin": origin or url.rstrip("/")}
    async with session.post(url + "login", data={"csrf": csrf, "name": name, "password": password},
                            headers=headers, allow_redirects=False) as answer:
        return answer.status, answer.headers, await answer.text()


def _jar():
    return aiohttp.CookieJar(unsafe=True)  # cookies for 127.0.0.1 too


async def test_sign_in_sets_a_strict_http_only_cookie_and_wrong_passwords_are_refused(team):
    with serving(team) as served:
        async with aiohttp.ClientSession(cookie_jar=_jar()) as session:
            async with session.get(served.url, allow_redirects=False) as first:
                assert first.status == 303 and first.headers["Location"] == "/login"
                assert "frame-ancestors 'none'" in first.headers["Content-Security-Policy"]
            status, _, text = await _login(session, served.url, "anna", "niet het wachtwoord")
            assert status == 401 and "Wrong name or password" in text
            status, _, _ = await _login(session, served.url, "nobody", PASSWORDS["anna"])
            assert status == 401
            status, _, text = await _login(session, served.url, "anna", PASSWORDS["anna"], origin="http://evil.example")
            assert status == 403
            status, headers, _ = await _login(session, served.url, "anna", PASSWORDS["anna"])
            assert status == 303 and headers["Location"] == "/"
            cookie = headers["Set-Cookie"]
            assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
            async with session.get(served.url) as page:
                html = await page.text()
                assert page.status == 200 and "anna" in html and "googleapis" not in html


async def test_login_form_needs_its_own_token(team):
    with serving(team) as served:
        async with aiohttp.ClientSession(cookie_jar=_jar()) as session:
            async with session.post(served.url + "login", data={"name": "anna", "password": PASSWORDS["anna"]},
                                    headers={"Origin": served.url.rstrip("/")}, allow_redirects=False) as forged:
                assert forged.status == 403 and "jhsq_session" not in forged.headers.get("Set-Cookie", "")


async def test_another_host_name_is_refused(team):
    with serving(team) as served:
        async with aiohttp.ClientSession() as session:
            async with session.get(served.url + "login", headers={"Host": "rebound.example:80"}) as answer:
                assert answer.status == 421  # a DNS-rebinding page reaches the port but not the server


async def test_websocket_checks_origin_session_and_limits(team):
    with serving(team, "--max-per-coder", "1") as served:
        ws_url = served.url.replace("http:", "ws:") + "ws?width=100&height=30"
        origin = served.url.rstrip("/")
        async with aiohttp.ClientSession(cookie_jar=_jar()) as anna:
            assert (await _login(anna, served.url, "anna", PASSWORDS["anna"]))[0] == 303
            with pytest.raises(aiohttp.WSServerHandshakeError) as foreign:
                await anna.ws_connect(ws_url, origin="http://evil.example")
            assert foreign.value.status == 403
            with pytest.raises(aiohttp.WSServerHandshakeError) as bare:
                await anna.ws_connect(ws_url)  # no Origin at all: not a browser on our page
            assert bare.value.status == 403
            async with aiohttp.ClientSession() as stranger:
                with pytest.raises(aiohttp.WSServerHandshakeError) as signed_out:
                    await stranger.ws_connect(ws_url, origin=origin)
                assert signed_out.value.status == 401
            first = await anna.ws_connect(ws_url, origin=origin)
            screen = await first.receive(timeout=30)  # the workbench draws its first screen
            assert screen.type == aiohttp.WSMsgType.BINARY and len(served.workbenches()) == 1
            with pytest.raises(aiohttp.WSServerHandshakeError) as second:
                await anna.ws_connect(ws_url, origin=origin)
            assert second.value.status == 429
            await first.close()


async def test_signing_out_needs_the_pages_token_and_ends_the_session(team):
    with serving(team) as served:
        async with aiohttp.ClientSession(cookie_jar=_jar()) as session:
            assert (await _login(session, served.url, "anna", PASSWORDS["anna"]))[0] == 303
            async with session.get(served.url) as page:
                csrf = (await page.text()).split('name="csrf" value="')[1].split('"')[0]
            origin = {"Origin": served.url.rstrip("/")}
            async with session.post(served.url + "logout", data={"csrf": "forged"}, headers=origin,
                                    allow_redirects=False) as forged:
                assert forged.status == 403
            async with session.get(served.url, allow_redirects=False) as still:
                assert still.status == 200  # a forged sign-out signs nobody out
            async with session.post(served.url + "logout", data={"csrf": csrf}, headers=origin,
                                    allow_redirects=False) as out:
                assert out.status == 303 and out.headers["Location"] == "/login"
            async with session.get(served.url, allow_redirects=False) as after:
                assert after.status == 303 and after.headers["Location"] == "/login"


async def test_a_tab_over_the_limit_says_why(team):
    with serving(team, "--max-sessions", "1") as served:
        async with aiohttp.ClientSession(cookie_jar=_jar()) as anna, \
                aiohttp.ClientSession(cookie_jar=_jar()) as bram:
            assert (await _login(anna, served.url, "anna", PASSWORDS["anna"]))[0] == 303
            assert (await _login(bram, served.url, "bram", PASSWORDS["bram"]))[0] == 303
            ws_url = served.url.replace("http:", "ws:") + "ws"
            first = await anna.ws_connect(ws_url, origin=served.url.rstrip("/"))
            await first.receive(timeout=30)
            async with bram.get(served.url) as page:
                assert page.status == 429 and "1 workbenches open, its limit" in await page.text()
            await first.close()


def test_public_addresses_are_compared_as_browsers_send_them():
    from jhs_qual.errors import BadInput
    from jhs_qual.serve.server import origin_of

    assert origin_of("https://Qual.Example.org:443/") == ("https", "qual.example.org")
    assert origin_of("http://10.0.0.5:8765") == ("http", "10.0.0.5:8765")
    with pytest.raises(BadInput, match="not an http"):
        origin_of("qual.example.org")


async def test_behind_a_tls_proxy_the_public_name_is_answered_and_the_cookie_is_secure(team):
    with serving(team, "--public-url", "https://qual.example.org") as served:
        async with aiohttp.ClientSession(cookie_jar=_jar()) as session:
            proxied = {"Host": "qual.example.org"}  # as nginx passes it on (proxy_set_header Host $host)
            async with session.get(served.url + "login", headers=proxied) as page:
                assert page.status == 200 and "Secure" in page.headers["Set-Cookie"]
                csrf = (await page.text()).split('name="csrf" value="')[1].split('"')[0]
                token = page.cookies["jhsq_login"].value
            secure_cookie = {"Cookie": f"jhsq_login={token}"}  # a Secure cookie is not sent over http by itself
            async with session.post(served.url + "login", headers={**proxied, **secure_cookie,
                                                                  "Origin": "https://qual.example.org"},
                                    data={"csrf": csrf, "name": "bram", "password": PASSWORDS["bram"]},
                                    allow_redirects=False) as answer:
                assert answer.status == 303 and "Secure" in answer.headers["Set-Cookie"]
            async with session.get(served.url + "login", headers={"Host": "qual.example.org.evil"}) as other:
                assert other.status == 421


def test_a_bad_public_url_is_one_line_before_listening(team):
    done = jhs("serve", "--public-url", "qual.example.org", "--project", str(team))
    assert done.returncode == 2 and "--public-url" in done.stderr and "Traceback" not in done.stderr


async def _attempts(served, addresses: list[str], password: str = "niet het wachtwoord") -> list[int]:
    """Sign-ins sent at once, each from its own login page, claiming these X-Forwarded-For addresses."""
    async def attempt(address: str) -> int:
        async with aiohttp.ClientSession(cookie_jar=_jar()) as own:  # its own login page and cookie
            async with own.get(served.url + "login") as page:
                csrf = (await page.text()).split('name="csrf" value="')[1].split('"')[0]
            async with own.post(served.url + "login", data={"csrf": csrf, "name": "anna", "password": password},
                                headers={"Origin": served.url.rstrip("/"), "X-Forwarded-For": address},
                                allow_redirects=False) as answer:
                return answer.status

    return list(await asyncio.gather(*(attempt(a) for a in addresses)))


async def test_failed_sign_ins_are_slowed_and_counted_per_address_behind_a_trusted_proxy(team):
    with serving(team, "--trusted-proxy", "127.0.0.1") as served:
        assert await _attempts(served, ["198.51.100.7"] * 10) == [401] * 10
        assert await _attempts(served, ["198.51.100.7"], PASSWORDS["anna"]) == [429]  # even the right one, for now
        assert await _attempts(served, ["203.0.113.9"], PASSWORDS["anna"]) == [303]  # another coder behind the proxy


async def test_without_a_trusted_proxy_a_made_up_address_gets_no_new_allowance(team):
    """40 guesses sent at once check at most 10 passwords (the rest are refused before the hash);
    after that, an X-Forwarded-For made up by the client does not start a new count."""
    with serving(team) as served:
        statuses = await _attempts(served, ["192.0.2.1"] * 40)
        assert statuses.count(401) <= 10 and statuses.count(401) + statuses.count(429) == 40
        assert await _attempts(served, ["192.0.2.99"], PASSWORDS["anna"]) == [429]


async def test_a_login_page_serves_one_sign_in(team):
    with serving(team) as served:
        async with aiohttp.ClientSession(cookie_jar=_jar()) as session:
            async with session.get(served.url + "login") as page:
                csrf = (await page.text()).split('name="csrf" value="')[1].split('"')[0]
            form = {"csrf": csrf, "name": "anna", "password": "niet het wachtwoord"}
            headers = {"Origin": served.url.rstrip("/")}
            async with session.post(served.url + "login", data=form, headers=headers, allow_redirects=False) as a:
                assert a.status == 401
            async with session.post(served.url + "login", data={**form, "password": PASSWORDS["anna"]},
                                    headers=headers, allow_redirects=False) as again:
                assert again.status == 403  # the same page's token again: refused


def test_an_unknown_name_takes_as_long_as_a_wrong_password():
    """Both are checked against an argon2id hash: the dummy is made once, not per sign-in."""
    import time
    from pathlib import Path

    from jhs_qual.serve.users import Users

    known = Users(Path("x"), {"anna": {"hash": Users.warm()}})

    def timed(name: str) -> float:
        start = time.perf_counter()
        assert not known.verify(name, "niet het wachtwoord")
        return time.perf_counter() - start

    wrong = min(timed("anna") for _ in range(3))
    unknown = min(timed("nobody") for _ in range(3))
    assert 0.5 < unknown / wrong < 2.0


async def test_removing_a_user_signs_them_out_at_once_and_sign_out_needs_the_page(team):
    with serving(team) as served:
        async with aiohttp.ClientSession(cookie_jar=_jar()) as session:
            async with session.get(served.url + "login") as page:
                csrf = (await page.text()).split('name="csrf" value="')[1].split('"')[0]
            async with session.post(served.url + "login", data={"csrf": csrf, "name": "anna",
                                                                "password": PASSWORDS["anna"]},
                                    headers={"Origin": served.url.rstrip("/")}, allow_redirects=False) as answer:
                assert answer.status == 303
            async with session.get(served.url, allow_redirects=False) as workbench:
                assert workbench.status == 200
            async with aiohttp.ClientSession() as stranger:  # another site's page: no cookie of ours, no token
                async with stranger.post(served.url + "logout", data={"csrf": "x"},
                                         headers={"Origin": "http://evil.example"}) as forged:
                    assert forged.status == 403 and "Set-Cookie" not in forged.headers
            assert jhs("users", "remove", "anna", "--project", str(team)).returncode == 0
            deadline = asyncio.get_running_loop().time() + 5
            while True:
                async with session.get(served.url, allow_redirects=False) as after:
                    if after.status == 303 or asyncio.get_running_loop().time() > deadline:
                        break
                await asyncio.sleep(0.1)
            assert after.status == 303 and after.headers["Location"] == "/login"
