"""A real MQTT broker for the tests (Mosquitto on its own loopback port); a line consumer."""

from __future__ import annotations

import getpass
import json
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Mosquitto:
    """Mosquitto on 127.0.0.1:``port``, with persistence, that a test stops and starts again."""

    def __init__(self, directory: Path) -> None:
        executable = shutil.which("mosquitto") or (
            "/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None
        )
        if executable is None:
            pytest.fail(
                "mosquitto is not installed (.ci/run installs it: apt-get install mosquitto)"
            )
        self.executable = executable
        self.port = _free_port()
        self.config = directory / "mosquitto.conf"
        self.config.write_text(
            f"listener {self.port} 127.0.0.1\n"
            # Run as root, Mosquitto would switch to its own user and could not write its
            # sessions here; this keeps the user the test runs as.
            f"user {getpass.getuser()}\n"
            "allow_anonymous true\n"
            "persistence true\n"
            f"persistence_location {directory}/\n"
            f"log_dest file {directory}/mosquitto.log\n"
            "log_type error\nlog_type warning\n"
        )
        self.process: subprocess.Popen[bytes] | None = None
        self.log = directory / "mosquitto.log"

    def start(self) -> None:
        """Start and wait until it accepts connections."""
        self.process = subprocess.Popen([self.executable, "-c", str(self.config)])
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if self.process.poll() is not None:
                    pytest.fail(f"mosquitto exited with {self.process.returncode}")
                time.sleep(0.05)
        self.stop()  # a broker that never listened is not left running
        pytest.fail("mosquitto did not listen within 30 s")

    def stop(self) -> None:
        """Stop it (it saves its sessions and queued messages on the way out)."""
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)
            self.process = None


class LineConsumer:
    """What the line's MES sees: every message on ``azsphere/#``, in arrival order.

    A persistent session with QoS 1, so messages published while it reconnects wait for it.
    """

    def __init__(self, port: int) -> None:
        self.messages: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._subscribed = threading.Event()
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="line-mes", clean_session=False)
        client.on_connect = lambda c, *_: c.subscribe("azsphere/#", qos=1)
        client.on_subscribe = lambda *_: self._subscribed.set()
        client.on_message = self._on_message
        client.reconnect_delay_set(min_delay=1, max_delay=2)
        client.connect("127.0.0.1", port)
        client.loop_start()
        self._client = client
        if not self._subscribed.wait(30):
            pytest.fail("the consumer could not subscribe")

    def _on_message(self, client: Any, userdata: Any, message: mqtt.MQTTMessage) -> None:
        with self._lock:
            self.messages.append({"topic": message.topic, **json.loads(message.payload)})

    def received(self) -> list[dict[str, Any]]:
        """A copy of the messages so far."""
        with self._lock:
            return list(self.messages)

    def close(self) -> None:
        """Disconnect."""
        self._client.disconnect()
        self._client.loop_stop()
