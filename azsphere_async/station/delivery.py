"""The station's events to their targets, at least once, in order; the MQTT broker's target.

Events are written to the outbox table of the records database in the same transaction as
the record they describe (:class:`~azsphere_async.records.RecordStore`). An
:class:`OutboxSender` sends them from there to one target, oldest first, one at a time, and
moves that target's own delivery position past an event only once the target has it; each
target (the broker, a webhook: :mod:`azsphere_async.station.webhook`) goes at its own pace. While a
target is down its events wait in the outbox (across a restart of the station, too) and go
out in order when it is back. A target that received an event but whose acknowledgement was
lost gets it again: every event carries a stable ``event_id``, so a consumer recognises the
duplicate.

:class:`MqttPublisher` (extra ``station``) publishes with QoS 1 to the line's broker, target
``mqtt``.

paho-mqtt's network loop runs in its own thread and its blocking waits in worker threads, so
the library stays on anyio (it runs under trio too).
"""

from __future__ import annotations

import logging
import ssl
import threading
import uuid
from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING, Any, Final, TypeVar

import anyio
import anyio.to_thread
import attrs

from .._redaction import hidden
from ..records.store import OutboxEvent, RecordStore, RecordsUnavailableError

if TYPE_CHECKING:
    import paho.mqtt.client as mqtt

__all__ = ["MQTT_TARGET", "BrokerSettings", "MqttPublisher", "OutboxSender"]

logger = logging.getLogger("azsphere_async")

T = TypeVar("T")

MQTT_TARGET: Final = "mqtt"
"""The broker's name as a target of the outbox (its delivery position)."""

_ACK_TIMEOUT: Final = 5.0


@attrs.frozen
class BrokerSettings:
    """Where the line's broker is and how to log in (``password`` never shown)."""

    host: str
    port: int = 1883
    client_id: str = attrs.field(factory=lambda: f"azsphere-station-{uuid.uuid4().hex[:12]}")
    username: str | None = None
    password: str | None = attrs.field(default=None, repr=hidden)
    tls_ca: str | None = None
    """A CA file to verify the broker with: TLS on (usually port 8883)."""
    keepalive: int = 30

    def __attrs_post_init__(self) -> None:
        if not self.host:
            raise ValueError("the broker's host must not be empty")
        if not 0 < self.port < 65536:
            raise ValueError(f"the broker's port must be 1 to 65535, not {self.port}")


class OutboxSender:
    """Deliver the outbox of ``store`` to the target named ``target``, in order.

    A subclass says how one event is delivered (a coroutine that returns once the target has
    it) and calls :meth:`_send_outbox` from its ``run``. ``sent`` counts events delivered;
    ``shown`` names the target for people (no secrets); ``problem`` says why it does not take
    events now (``""`` while it does). While the records database cannot be read or written
    (locked, disk full), the sender says so and tries again; an event delivered whose position
    was not written goes again.
    """

    def __init__(self, store: RecordStore, target: str, *, shown: str = "") -> None:
        self._store = store
        self.target = target
        self.shown = shown or target
        self.sent = 0
        self.problem = ""
        self._wake = anyio.Event()
        self._records_problem = ""

    def notify(self) -> None:
        """New events are in the outbox: look now rather than at the next poll."""
        self._wake.set()

    async def run(self, *, poll: float = 0.5) -> None:
        """Deliver every event of the outbox, in order, until cancelled."""
        raise NotImplementedError

    async def _send_outbox(
        self, deliver: Callable[[OutboxEvent], Awaitable[bool]], poll: float
    ) -> None:
        """Deliver event after event; ``deliver`` returns ``False`` for an event that was
        skipped for this target meanwhile (:meth:`_still_waiting`): nothing to mark."""
        store, target = self._store, self.target
        await self._records(partial(store.add_target, target), poll)
        while True:
            self._wake = anyio.Event()  # before looking: a notify during the look counts
            events = await self._records(partial(store.unsent_events, target), poll)
            for event in events:
                if not await deliver(event):
                    break  # the rest of this batch may be stale: look again
                await self._records(partial(store.mark_sent, target, event.seq), poll)
                self.sent += 1
            if not events:
                with anyio.move_on_after(poll):
                    await self._wake.wait()

    async def _still_waiting(self, event: OutboxEvent, poll: float) -> bool:
        """Whether this target still waits for ``event`` (not skipped for it meanwhile:
        ``azsphere-async outbox --skip``)."""
        waiting = await self._records(partial(self._store.unsent_events, self.target, 1), poll)
        return bool(waiting) and waiting[0].seq <= event.seq

    async def _records(self, call: Callable[[], Awaitable[T]], retry: float) -> T:
        while True:
            try:
                result = await call()
            except RecordsUnavailableError as exc:
                if self._records_problem != str(exc):
                    self._records_problem = str(exc)
                    logger.warning("%s: %s; trying again", self.target, exc)
                await anyio.sleep(retry)
                continue
            self._records_problem = ""
            return result


class MqttPublisher(OutboxSender):
    """Send the outbox of ``store`` to the broker until cancelled (:meth:`run`).

    ``sent`` counts events the broker acknowledged; ``connected`` says whether the broker is
    reachable now (the station's view shows it).
    """

    def __init__(self, store: RecordStore, settings: BrokerSettings) -> None:
        try:
            import paho.mqtt.client as mqtt
            from paho.mqtt.enums import CallbackAPIVersion
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ImportError(
                "publishing to MQTT needs paho-mqtt: pip install 'azsphere-async[station]'"
            ) from exc
        super().__init__(store, MQTT_TARGET, shown=f"broker {settings.host}:{settings.port}")
        self.settings = settings
        self._connected = threading.Event()
        self.problem = "not connected"  # until the broker accepts the connection
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=settings.client_id,
            clean_session=False,
        )
        if settings.username is not None:
            client.username_pw_set(settings.username, settings.password)
        if settings.tls_ca is not None:
            client.tls_set(ca_certs=settings.tls_ca, tls_version=ssl.PROTOCOL_TLS_CLIENT)
        client.reconnect_delay_set(min_delay=1, max_delay=5)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        self._client: mqtt.Client = client

    @property
    def connected(self) -> bool:
        """Whether the broker is connected now."""
        return self._connected.is_set()

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if not reason.is_failure:
            self.problem = ""
            self._connected.set()
        else:
            self.problem = f"it refused the connection: {reason}"
            logger.warning("the MQTT broker refused the connection: %s", reason)

    def _on_disconnect(
        self, client: Any, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        self.problem = self.problem or "not connected"
        self._connected.clear()

    async def run(self, *, poll: float = 0.5) -> None:
        """Connect (and reconnect) and publish every event in the outbox, in order."""
        settings = self.settings
        self._client.connect_async(settings.host, settings.port, keepalive=settings.keepalive)
        self._client.loop_start()
        try:
            await self._send_outbox(self._publish, poll)
        finally:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(self._stop_client)

    def _stop_client(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    async def _publish(self, event: OutboxEvent) -> bool:
        while True:
            while not self._connected.is_set():
                await anyio.to_thread.run_sync(self._connected.wait, 1.0, abandon_on_cancel=True)
            info = self._client.publish(event.topic, event.payload, qos=1)
            if await anyio.to_thread.run_sync(self._acknowledged, info, abandon_on_cancel=True):
                return True
            logger.info("event %s not acknowledged yet; sending it again", event.event_id)

    @staticmethod
    def _acknowledged(info: mqtt.MQTTMessageInfo) -> bool:
        try:
            info.wait_for_publish(_ACK_TIMEOUT)
        except (RuntimeError, ValueError):
            return False
        return info.is_published()
