"""Where the station command's events go: the broker and webhooks, and what is left to send."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Final

import anyio
import click

from ..errors import InvalidArgumentError
from ..records import RecordStore, RecordsUnavailableError
from ..station.delivery import BrokerSettings, MqttPublisher, OutboxSender
from ..station.webhook import WebhookPublisher, WebhookSettings
from .output import Output

__all__ = [
    "FLUSH_LIMIT",
    "WEBHOOK_TOKEN_ENV",
    "event_senders",
    "flush",
    "notify_all",
    "report_delivery",
    "webhook_settings",
]

#: A bearer token for the webhooks (never on the command line, where ``ps`` shows it).
WEBHOOK_TOKEN_ENV: Final = "AZSPHERE_WEBHOOK_TOKEN"

FLUSH_LIMIT: Final = 5.0
"""Seconds a stopping station gives its targets to take the events still in the outbox."""


def webhook_settings(urls: Sequence[str], ca_file: str | None) -> list[WebhookSettings]:
    """The ``--webhook`` URLs checked (before any traffic), each a target of its own."""
    token = os.environ.get(WEBHOOK_TOKEN_ENV) or None
    webhooks: list[WebhookSettings] = []
    for url in urls:
        try:
            webhook = WebhookSettings(url, ca_file=ca_file, token=token)
        except InvalidArgumentError as exc:
            raise click.BadParameter(str(exc), param_hint="'--webhook'") from None
        if any(other.target == webhook.target for other in webhooks):
            raise click.BadParameter(
                f"{webhook.shown} is given twice (a webhook is its host and path)",
                param_hint="'--webhook'",
            )
        webhooks.append(webhook)
    return webhooks


def event_senders(
    store: RecordStore, broker: BrokerSettings | None, webhooks: Sequence[WebhookSettings]
) -> list[OutboxSender]:
    """A sender of the outbox for the broker (if any) and for each webhook."""
    senders: list[OutboxSender] = [WebhookPublisher(store, webhook) for webhook in webhooks]
    if broker is not None:
        senders.insert(0, MqttPublisher(store, broker))
    return senders


def notify_all(senders: Sequence[OutboxSender]) -> Callable[[], None] | None:
    """What tells every sender that new events are in the outbox (``None``: no sender)."""
    if not senders:
        return None

    def notify() -> None:
        for sender in senders:
            sender.notify()

    return notify


async def flush(out: Output, store: RecordStore, senders: Sequence[OutboxSender]) -> None:
    """Wait (up to :data:`FLUSH_LIMIT` seconds) until every target has every event."""
    with anyio.move_on_after(FLUSH_LIMIT):
        told = False
        for sender in senders:
            sender.notify()
            while await _backlog(store, sender):
                if not told:
                    out.note(
                        f"Sending the events left (up to {FLUSH_LIMIT:g} s; Ctrl-C again: stop"
                        " now, they wait in the outbox)"
                    )
                    told = True
                await anyio.sleep(0.05)


async def _backlog(store: RecordStore, sender: OutboxSender) -> int | None:
    try:
        return await store.backlog(sender.target)
    except RecordsUnavailableError:
        return None  # cannot be told now; the events stay in the outbox all the same


async def report_delivery(out: Output, store: RecordStore, senders: Sequence[OutboxSender]) -> None:
    """One line per target: every event sent (or skipped for it by hand), or how many wait in
    the outbox, and why."""
    try:
        skipped = {position.target: position.skipped for position in await store.targets()}
    except RecordsUnavailableError:
        skipped = {}
    for sender in senders:
        waiting = await _backlog(store, sender)
        if waiting is None:
            out.message(f"{sender.shown}: cannot tell what waits (the records cannot be read)")
            continue
        if not waiting:
            count = skipped.get(sender.target, 0)
            but = f" but {count} skipped for it by hand (azsphere-async outbox)" if count else ""
            out.message(f"{sender.shown}: every event sent{but}")
            continue
        why = f" ({sender.problem})" if sender.problem else ""
        out.message(
            f"{sender.shown}: {waiting} events wait in the outbox{why};"
            " they go, in order, when the station runs again"
        )
