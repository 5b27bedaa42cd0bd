"""The suite's own network rule: non-loopback sockets fail before anything is sent."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from tests import netguard


def test_connect_to_non_loopback_is_refused_and_recorded() -> None:
    before = len(netguard.VIOLATIONS)
    with socket.socket() as sock, pytest.raises(netguard.NonLoopbackError):
        sock.connect(("192.0.2.1", 443))  # TEST-NET-1: refused before any packet
    assert len(netguard.VIOLATIONS) == before + 1
    del netguard.VIOLATIONS[before:]  # this test broke the rule on purpose


def test_name_resolution_outside_loopback_is_refused() -> None:
    before = len(netguard.VIOLATIONS)
    with pytest.raises(netguard.NonLoopbackError):
        socket.getaddrinfo("example.invalid", 443)
    del netguard.VIOLATIONS[before:]


def test_loopback_is_allowed() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        with socket.create_connection(server.getsockname(), timeout=5):
            pass


def test_subprocesses_are_guarded_too() -> None:
    code = "import socket; socket.create_connection(('192.0.2.1', 443), timeout=1)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "non-loopback" in result.stderr
