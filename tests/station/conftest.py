"""Fixtures of the station's tests: a real MQTT broker, a real webhook endpoint."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.station.broker_helpers import Mosquitto
from tests.station.webhook_helpers import WebhookEndpoint


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Mosquitto]:
    """Mosquitto on a loopback port of its own, stopped after the test."""
    mosquitto = Mosquitto(tmp_path)
    mosquitto.start()
    yield mosquitto
    mosquitto.stop()


@pytest.fixture
def endpoint() -> Iterator[WebhookEndpoint]:
    """An HTTP webhook endpoint on a loopback port of its own, stopped after the test."""
    served = WebhookEndpoint()
    yield served
    served.stop()
