"""``outbox``: how far each of the station's targets is, and skipping an event one refuses.

A webhook that refuses an event for good (a 413 for a body it will never take, say) is held:
nothing later reaches it until that event is delivered. ``outbox`` shows every target (the
broker, each webhook) with what waits for it, and ``outbox --skip TARGET --event ID`` moves
that one target past that one event, named so that a stale command cannot skip another. The
other targets still get it, and the database keeps a note of the skip.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from ...errors import InvalidArgumentError
from ...records import (
    OutboxEvent,
    RecordStore,
    TargetPosition,
    query_targets,
)
from ...station.webhook import WebhookSettings
from ..context import AppContext, pass_app
from ..exit_status import EXIT_OK, EXIT_USAGE
from ..output import Output
from ..running import run
from ..shared_options import records_db_option

__all__ = ["outbox"]


@click.command()
@records_db_option("The station's records database.")
@click.option(
    "--skip",
    "skip_target",
    metavar="TARGET",
    help="Move this target past the event --event names: as listed, or the webhook's URL.",
)
@click.option(
    "--event",
    "event_id",
    metavar="EVENT-ID",
    help="The event to skip: the one TARGET waits for next (the listing and the station's "
    "error name it).",
)
@click.option(
    "--reason",
    default="skipped by hand",
    show_default=True,
    help="Why, kept with the note of the skip.",
)
@pass_app
def outbox(
    app: AppContext,
    db_path: Path,
    skip_target: str | None,
    event_id: str | None,
    reason: str,
) -> None:
    """Show how far each target of the station's events is; skip an event one refuses."""
    if (skip_target is None) != (event_id is None):
        raise click.UsageError("--skip TARGET and --event EVENT-ID go together")
    if not db_path.is_file():
        app.output.error(f"no records database at {db_path}; a station writes it (--db PATH)")
        sys.exit(EXIT_USAGE)
    found: list[TargetPosition] = []
    skipped: list[dict[str, Any]] = []

    async def main() -> int:
        if skip_target is None or event_id is None:
            found.extend(await query_targets(db_path))
            return EXIT_OK
        target = _target_named(skip_target)
        async with RecordStore(db_path) as store:
            try:
                event = await store.skip_event(target, event_id, reason)
            except InvalidArgumentError as exc:
                app.output.error(str(exc))
                return EXIT_USAGE
        skipped.append(
            {
                "target": target,
                "seq": event.seq,
                "event_id": event.event_id,
                "topic": event.topic,
                "about": _described(event),
                "reason": reason,
            }
        )
        return EXIT_OK

    code = run(app, main)
    if code != EXIT_OK:
        sys.exit(code)
    out = app.output
    if skipped:
        _say_skipped(out, skipped[0])
    elif out.json_mode:
        out.json([_as_dict(position) for position in found])
    else:
        _show_targets(out, found)


def _as_dict(position: TargetPosition) -> dict[str, Any]:
    event = position.next_event
    return {
        "target": position.target,
        "delivered_up_to": position.seq,
        "updated_at": position.updated_at,
        "waiting": position.waiting,
        "next_event_id": event.event_id if event else None,
        "next_topic": event.topic if event else None,
        "next_created_at": position.next_created_at,
        "skipped": position.skipped,
    }


def _target_named(given: str) -> str:
    """The outbox's name for a target given as listed, or as the URL given to --webhook."""
    if given.startswith(("http://", "https://")):
        try:
            return WebhookSettings(given).target
        except InvalidArgumentError:
            return given  # not a webhook's URL after all: refused by name, with the known ones
    return given


def _described(event: OutboxEvent) -> str:
    """What an event is about, short: its kind, slot and the start of the board's ID."""
    try:
        payload = json.loads(event.payload)
    except ValueError:
        return event.topic
    device = str(payload.get("device_id", ""))
    parts = [str(payload.get("kind", "event"))]
    if payload.get("step"):
        parts.append(f"step {payload['step']}")
    if payload.get("slot"):
        parts.append(f"slot {payload['slot']}")
    if device:
        parts.append(device[:16] + ("…" if len(device) > 16 else ""))
    return ", ".join(parts)


def _show_targets(out: Output, found: list[TargetPosition]) -> None:
    # A block per target, not a table: its name and the event ID are what a person copies
    # into --skip, and a table at 80 columns would fold them.
    if not found:
        out.message("No targets yet: a station with --broker or --webhook adds them.")
        return
    for position in found:
        out.message(position.target, style="bold")
        event = position.next_event
        if event is None:
            out.message("has every event", indent=2)
        else:
            since = (position.next_created_at or "")[:19].replace("T", " ")
            out.message(
                f"{position.waiting} event(s) wait, the oldest since {since} UTC:", indent=2
            )
            out.message(f"{event.event_id} ({_described(event)})", indent=4)
        if position.skipped:
            out.message(f"{position.skipped} event(s) skipped for it", indent=2)
    if any(position.waiting for position in found):
        out.message(
            "A target that refuses its next event for good can be moved past it:"
            " azsphere-async outbox --skip TARGET --event EVENT-ID"
        )


def _say_skipped(out: Output, skipped: dict[str, Any]) -> None:
    if out.json_mode:
        out.json(skipped)
        return
    out.message(
        f"Skipped event {skipped['event_id']} ({skipped['about']}) for {skipped['target']};"
        " the other targets still get it. A station running now moves on at its next try"
        " (a held webhook's comes every 30 s)."
    )
