"""Fixtures for the outbox: the e-Mutation pack in the catalogue, a scripted SMS gateway and an SMTP server.

The gateway and the SMTP server are real servers on 127.0.0.1 in a thread: the backends speak HTTP and
SMTP to them exactly as they would to a provider.
"""

from __future__ import annotations

import json
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings

from govreach.catalogue.models import ServicePack
from govreach.catalogue.services import service_pack_load
from govreach.packs.loader import load_pack

BD_PACK_DIR = Path(settings.BASE_DIR) / "packs" / "bd-land-mutation"
PHONE = "+8801712345678"
EMAIL = "rahima.begum@example.org"


def copy_bd_pack(target_parent: Path) -> Path:
    """The e-Mutation pack's declarations and messages, copied so a test can break them."""
    target = target_parent / "bd-land-mutation"
    target.mkdir()
    for name in ("service.yaml", "parameters.yaml", "rules.yaml"):
        shutil.copy(BD_PACK_DIR / name, target / name)
    shutil.copytree(BD_PACK_DIR / "messages", target / "messages")
    return target


@pytest.fixture(scope="session")
def bd_pack_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_bd_pack(tmp_path_factory.mktemp("packs"))


@pytest.fixture
def bd_service_pack(db: None, bd_pack_copy: Path) -> ServicePack:
    return service_pack_load(pack=load_pack(bd_pack_copy))


@dataclass
class Reply:
    status: int = 200
    body: dict[str, Any] | str = field(default_factory=lambda: {"id": "gw-1"})
    delay_seconds: float = 0.0


@dataclass
class Gateway:
    """A scripted SMS gateway: answers each POST with the next reply (the last one repeats)."""

    url: str
    replies: list[Reply] = field(default_factory=lambda: [Reply()])
    requests: list[dict[str, Any]] = field(default_factory=list)

    def script(self, *replies: Reply) -> None:
        self.replies = list(replies)


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    state = Gateway(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            payload = json.loads(self.rfile.read(length) or b"{}")
            state.requests.append({"path": self.path, "headers": dict(self.headers), "json": payload})
            reply = state.replies.pop(0) if len(state.replies) > 1 else state.replies[0]
            time.sleep(reply.delay_seconds)
            body = (json.dumps(reply.body) if isinstance(reply.body, dict) else reply.body).encode()
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting: that is the point of a slow reply

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/v1/messages"
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def sms_via_gateway(settings: Any, gateway: Gateway) -> Gateway:
    """GOVREACH_NOTIFY sending SMS through ``gateway``: 3 attempts, 30 s base backoff, 0.5 s timeout."""
    settings.GOVREACH_NOTIFY = {
        "backends": {"sms": "govreach.notify.backends.HttpSmsBackend"},
        "max_attempts": 3,
        "backoff_seconds": 30,
        "sms_gateway": {"url": gateway.url, "api_key": "test-key", "timeout_seconds": 0.5},
    }
    return gateway


class _Collect:
    def __init__(self) -> None:
        self.envelopes: list[Any] = []
        self.refuse_recipients = False

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if self.refuse_recipients:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted"


@dataclass
class SmtpServer:
    handler: _Collect
    port: int


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[SmtpServer]:
    handler = _Collect()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    settings.GOVREACH_NOTIFY = {
        "backends": {"email": "govreach.notify.backends.SMTPEmailBackend"},
        "email_from": "e-Mutation <no-reply@land.example.gov.bd>",
    }
    yield SmtpServer(handler, port)
    controller.stop()
