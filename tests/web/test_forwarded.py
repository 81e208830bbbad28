"""`arabesque serve` (one process and `--workers 2`) honours `X-Forwarded-For` / `X-Forwarded-Proto` only from
the peers in ARABESQUE_TRUSTED_PROXIES: a forged header from anyone else does not change the client address the
sign-in throttle counts, nor make the cookie `Secure`. Real server processes on SQLite."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from arabesque.cli.serve import forwarded_options
from arabesque.settings import SettingsError, read_settings
from arabesque.store import Database, LoginCounter

BIN = Path(sys.executable).parent / "arabesque"
FORGED = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


Serve = Callable[[list[str], str | None], str]


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Serve]:
    """Start `arabesque serve ARGS` (with ARABESQUE_TRUSTED_PROXIES, or without it when None); its URL."""
    started: list[subprocess.Popen[bytes]] = []

    def start(args: list[str], trusted: str | None) -> str:
        port = _free_port()
        env = {k: v for k, v in os.environ.items() if k not in ("ARABESQUE_DATABASE_URL", "FORWARDED_ALLOW_IPS")}
        env |= {"ARABESQUE_DATA_DIR": str(tmp_path / "data")}
        env.pop("ARABESQUE_TRUSTED_PROXIES", None)
        if trusted is not None:
            env["ARABESQUE_TRUSTED_PROXIES"] = trusted
        log = (tmp_path / f"serve-{port}.log").open("wb")
        proc = subprocess.Popen(
            [str(BIN), "serve", "--port", str(port), "--no-worker", *args], env=env, stdout=log, stderr=log
        )
        started.append(proc)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:  # until the server answers (or gave up)
            assert proc.poll() is None, (tmp_path / f"serve-{port}.log").read_text()
            try:
                if httpx.get(f"{url}/login", timeout=2).status_code == 200:
                    return url
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)

    yield start
    for proc in started:
        proc.terminate()
    for proc in started:
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _failed_sign_in(url: str) -> str:
    """One wrong password with forged forwarding headers; returns the sign-in page's Set-Cookie header."""
    page = httpx.get(f"{url}/login", headers=FORGED)
    cookie = page.headers["set-cookie"]
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    wrong = httpx.post(
        f"{url}/login",
        data={"email": "admin@arabesque.local", "password": "not the password", "csrf_token": token.group(1)},
        headers={**FORGED, "Cookie": cookie.split(";")[0]},
    )
    assert wrong.status_code == 401, wrong.text[:300]
    return cookie


def _counted_addresses(data_dir: Path) -> set[str]:
    db = Database(f"sqlite:///{data_dir / 'arabesque.db'}")
    try:
        with db.read() as s:
            return {k[2:] for k in s.scalars(select(LoginCounter.key)) if k.startswith("c:")}
    finally:
        db.dispose()


@pytest.mark.parametrize("args", [[], ["--workers", "2"]], ids=["one-process", "workers"])
def test_forged_forwarding_headers_from_an_untrusted_peer_are_ignored(
    serve: Serve, tmp_path: Path, args: list[str]
) -> None:
    url = serve(args, None)
    cookie = _failed_sign_in(url)
    assert _counted_addresses(tmp_path / "data") == {"127.0.0.1"}  # the peer, not the forged 203.0.113.9
    assert "secure" not in cookie.lower()  # plain http, whatever the header claims


def test_a_trusted_proxy_gives_the_client_address_and_the_scheme(serve: Serve, tmp_path: Path) -> None:
    url = serve([], "10.0.0.0/8, 127.0.0.1")
    cookie = _failed_sign_in(url)
    assert _counted_addresses(tmp_path / "data") == {"203.0.113.9"}
    assert "secure" in cookie.lower()  # the proxy said https


def _proxies(value: str | None) -> dict[str, object]:
    return forwarded_options(read_settings({"ARABESQUE_TRUSTED_PROXIES": value} if value else {}, None).trusted_proxies)


def test_the_trusted_proxies_are_checked() -> None:
    assert _proxies(None) == {"proxy_headers": False, "forwarded_allow_ips": ""}
    assert _proxies(" 10.1.2.3/8 ,::1") == {
        "proxy_headers": True,
        "forwarded_allow_ips": "10.0.0.0/8,::1",  # as uvicorn matches them: host bits cleared
    }
    with pytest.raises(SettingsError) as bad:
        _proxies("10.0.0.1,proxy.example,*")
    assert "ARABESQUE_TRUSTED_PROXIES: 'proxy.example', '*' is not an IP address or CIDR" in str(bad.value)
    env = {**os.environ, "ARABESQUE_TRUSTED_PROXIES": "everyone"}
    out = subprocess.run([str(BIN), "serve", "--port", "1"], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "ARABESQUE_TRUSTED_PROXIES: 'everyone' is not an IP address" in out.stderr
