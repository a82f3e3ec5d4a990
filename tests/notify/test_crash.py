"""The outbox worker killed with SIGKILL in the middle of a batch, then started again: no SMS twice.

A real ``govreach notify send`` process posts to a gateway on 127.0.0.1 that holds the third request
until the test has killed the worker, so the kill lands exactly while the outcome is unknown.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from govreach.notify.services import OUTCOME_UNKNOWN

MESSAGES = 5
HOLD_REQUEST = 3  # the gateway holds its third request: the worker is killed while it waits

SETTINGS = """
import os
from govreach.config.test_settings import *  # noqa: F403

GOVREACH_NOTIFY = {
    "backends": {"sms": "http_sms"},
    "lease_seconds": 1,
    "backoff_seconds": 0,
    "sms_gateway": {
        "url": os.environ["CRASH_GATEWAY_URL"],
        "timeout_seconds": 30,
        "honours_idempotency_key": os.environ["CRASH_GATEWAY_DEDUPES"] == "1",
    },
}
"""

ENQUEUE = f"""
from govreach.notify.services import outbox_enqueue
for n in range({MESSAGES}):
    outbox_enqueue(channel="sms", to=f"+88017120000{{n:02d}}", message_id="login_code", language="en",
                   context={{"code": f"{{n:06d}}", "minutes": 10}}, dedupe_key=f"crash:{{n}}")
"""


@dataclass
class Gateway:
    """An SMS provider: ``delivered`` is what reached phones; with ``dedupes`` a repeated key is dropped."""

    dedupes: bool
    url: str = ""
    posts: list[str] = field(default_factory=list)
    delivered: list[str] = field(default_factory=list)
    holding: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)


def _serve(gateway: Gateway) -> ThreadingHTTPServer:
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            key = self.headers["Idempotency-Key"]
            with lock:
                gateway.posts.append(key)
                if not (gateway.dedupes and key in gateway.delivered):
                    gateway.delivered.append(key)
                hold = len(gateway.posts) == HOLD_REQUEST
            if hold:
                gateway.holding.set()
                gateway.release.wait(20)
            body = json.dumps({"id": f"gw-{key}"}).encode()
            try:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except OSError:
                pass  # the worker died waiting for this answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    gateway.url = f"http://127.0.0.1:{server.server_address[1]}/v1/messages"
    return server


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated database holding the queued messages (starting Django is the slow part), copied by each test."""
    home = tmp_path_factory.mktemp("migrated")
    (home / "crash_settings.py").write_text(SETTINGS, encoding="utf-8")
    env = _env(home, Gateway(dedupes=False))
    for args in (["migrate", "-v0", "--skip-checks"], ["shell", "-c", ENQUEUE]):
        done = _govreach(env, *args)
        assert done.returncode == 0, done.stderr
    return home / "db.sqlite3"


@pytest.fixture
def home(tmp_path: Path, migrated: Path) -> Path:
    (tmp_path / "crash_settings.py").write_text(SETTINGS, encoding="utf-8")
    shutil.copy(migrated, tmp_path / "db.sqlite3")
    return tmp_path


def _env(home: Path, gateway: Gateway) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "crash_settings",
        "PYTHONPATH": os.pathsep.join([str(home), os.environ.get("PYTHONPATH", "")]),
        "DATABASE_URL": f"sqlite:///{home / 'db.sqlite3'}",
        "GOVREACH_VAR_DIR": str(home),
        "CRASH_GATEWAY_URL": gateway.url,
        "CRASH_GATEWAY_DEDUPES": "1" if gateway.dedupes else "0",
    }


def _govreach(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "govreach", *args], env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture(params=[True, False], ids=["gateway-dedupes", "gateway-does-not-dedupe"])
def gateway(request: pytest.FixtureRequest) -> Iterator[Gateway]:
    state = Gateway(dedupes=request.param)
    server = _serve(state)
    yield state
    state.release.set()
    server.shutdown()
    server.server_close()


def _rows(home: Path) -> dict[str, tuple[str, str]]:
    with sqlite3.connect(home / "db.sqlite3") as db:
        rows = db.execute("SELECT id, status, last_error FROM notify_outboxmessage").fetchall()
    return {f"govreach-outbox-{pk}": (status, error) for pk, status, error in rows}


def test_a_worker_killed_mid_batch_then_restarted_sends_no_message_twice(
    home: Path, gateway: Gateway
) -> None:
    env = _env(home, gateway)
    worker = subprocess.Popen(
        [sys.executable, "-m", "govreach", "notify", "--skip-checks", "send", "--once"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        assert gateway.holding.wait(60), "the worker never reached the third message"
        os.kill(worker.pid, signal.SIGKILL)
        assert worker.wait(30) == -signal.SIGKILL
    finally:
        gateway.release.set()
        if worker.poll() is None:
            worker.kill()
    in_flight = gateway.posts[-1]
    before = _rows(home)
    assert before[in_flight][0] == "sending"
    assert [k for k, (status, _) in before.items() if status == "sent"] == gateway.posts[:2]

    time.sleep(1.2)  # the dead worker's lease (1 s) runs out
    restarted = _govreach(env, "notify", "--skip-checks", "send", "--once")
    assert restarted.returncode == 0, restarted.stderr

    after = _rows(home)
    assert sorted(Counter(gateway.delivered).values()) == [1] * MESSAGES  # every SMS reached a phone once
    if gateway.dedupes:
        # Posted again under the same key; the provider dropped the copy: exactly once.
        assert Counter(gateway.posts)[in_flight] == 2
        assert {status for status, _ in after.values()} == {"sent"}
    else:
        # Not posted again (at most once): failed, saying why, for staff to check and resend.
        assert Counter(gateway.posts)[in_flight] == 1
        assert after[in_flight] == ("failed", OUTCOME_UNKNOWN)
        assert {k: s for k, (s, _) in after.items() if k != in_flight} == dict.fromkeys(
            set(after) - {in_flight}, "sent"
        )
