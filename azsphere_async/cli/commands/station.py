"""``station RECIPE``: every board plugged in gets the recipe, a big pass or fail, a record."""

from __future__ import annotations

import os
import shlex
import signal
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Final

import anyio
import click

from ...errors import InvalidArgumentError
from ...options import ClientOptions
from ...recipe import PreparedRecipe
from ...records import DEFAULT_RECORDS_PATH, RecordStore
from ...station import Operation, Station
from ...station.delivery import BrokerSettings
from ...station.hotplug import HotplugEvent, watch_attached
from ...station.recipe import recipe_operation, recipe_secrets
from ...station.serials import (
    CommandSerials,
    SerialScanner,
    SerialSource,
    check_serial_command,
)
from ...station.webhook import WebhookSettings
from ..context import AppContext, pass_app
from ..exit_status import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK
from ..output import Output
from ..recipe_input import read_recipe, refuse_recipe
from ..running import run
from ..shared_options import records_db_option
from ..station_delivery import (
    WEBHOOK_TOKEN_ENV,
    event_senders,
    flush,
    notify_all,
    report_delivery,
    webhook_settings,
)
from ..station_view import StationDisplay, slot_line

__all__ = ["BROKER_PASSWORD_ENV", "StationSettings", "run_station", "station"]

#: Where the broker's password is read from (never from the command line).
BROKER_PASSWORD_ENV: Final = "AZSPHERE_BROKER_PASSWORD"


class StationSettings:
    """How the station runs: records, broker, webhooks, serials, polling (the command's
    options)."""

    def __init__(
        self,
        *,
        db: Path = Path(DEFAULT_RECORDS_PATH),
        name: str = "station",
        broker: BrokerSettings | None = None,
        webhooks: Sequence[WebhookSettings] = (),
        scan_serials: bool = False,
        serial_command: str | Sequence[str] | None = None,
        serial_timeout: float = 30.0,
        poll: float = 0.5,
        restart_grace: float = 30.0,
        detach_verdict: float | None = None,
    ) -> None:
        self.db = db
        self.name = name
        self.broker = broker
        self.webhooks = webhooks
        self.scan_serials = scan_serials
        self.serial_command = serial_command
        self.serial_timeout = serial_timeout
        self.poll = poll
        self.restart_grace = restart_grace
        #: How long a board that stopped answering may take to be reported detached before
        #: its run counts as failed, not interrupted (``None``: the restart grace and 5 polls).
        self.detach_verdict = detach_verdict


def _parse_broker(value: str | None) -> tuple[str, int] | None:
    if value is None:
        return None
    host, _, port = value.rpartition(":") if ":" in value else (value, "", "1883")
    if not port.isdigit() or not 0 < int(port) < 65536 or not host:
        raise click.BadParameter(f"{value!r}: expected HOST or HOST:PORT (port 1 to 65535)")
    return host, int(port)


@click.command(
    epilog="Without boards, in another terminal: `azsphere-async mock --devices 4 --dcs-port "
    "48990 --unplugged --plug-control --ca-file ca.pem`, and type `plug 1`, `unplug 1` "
    "there; here: `azsphere-async --ca ca.pem --dcs-url http://127.0.0.1:48990 station "
    "RECIPE --restart-grace 5`."
)
@click.argument("recipe", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@records_db_option("The records database (SQLite; created if missing).", name="db")
@click.option("--name", default="station", show_default=True, help="This station's name.")
@click.option("--broker", metavar="HOST[:PORT]", help="Publish events to this MQTT broker.")
@click.option(
    "--broker-user", metavar="USER", help=f"Broker login; password in ${BROKER_PASSWORD_ENV}."
)
@click.option(
    "--broker-ca",
    type=click.Path(exists=True, dir_okay=False),
    help="Broker over TLS, verified with this CA.",
)
@click.option(
    "--webhook",
    "webhooks",
    metavar="URL",
    multiple=True,
    help=f"POST events to this URL too (repeatable); a bearer token in ${WEBHOOK_TOKEN_ENV}.",
)
@click.option(
    "--webhook-ca",
    type=click.Path(exists=True, dir_okay=False),
    help="Verify https webhooks with this CA file only (default: the system's CAs).",
)
@click.option(
    "--scan-serials",
    is_flag=True,
    help="Bind each board to the next barcode scanned (lines on stdin), instead of the "
    "recipe's serial_command.",
)
@click.option(
    "--serial-command",
    metavar="CMD",
    help="A command that prints each board's serial number (its environment holds "
    "AZSPHERE_DEVICE_ID, AZSPHERE_SLOT, AZSPHERE_STATION); overrides the recipe's [station] "
    "serial_command.",
)
@click.option(
    "--yes-irreversible", is_flag=True, help="Let the recipe move the manufacturing state."
)
@click.option(
    "--poll",
    type=click.FloatRange(min=0.05),
    default=0.5,
    show_default=True,
    help="Seconds between looks at the board list.",
)
@click.option(
    "--restart-grace",
    type=click.FloatRange(min=0),
    default=30.0,
    show_default=True,
    help="Seconds a board may be off the list and still be the same board (a restart).",
)
@pass_app
def station(
    app: AppContext,
    recipe: Path,
    db: Path,
    name: str,
    broker: str | None,
    broker_user: str | None,
    broker_ca: str | None,
    webhooks: tuple[str, ...],
    webhook_ca: str | None,
    scan_serials: bool,
    serial_command: str | None,
    yes_irreversible: bool,
    poll: float,
    restart_grace: float,
) -> None:
    """Provision every board plugged in with RECIPE: a live pass or fail per slot, a record
    of every board in the database, events to the line's broker. Ctrl-C finishes the boards
    in flight; a second Ctrl-C stops at once (they are recorded as interrupted).

    Serial numbers come from --scan-serials, --serial-command, or else the recipe's
    [station] serial_command; the command line wins over the recipe. Events also go to every
    --webhook; credentials or a token in its URL are never shown, only its host and path."""
    if scan_serials and serial_command:
        raise click.UsageError(
            "--scan-serials and --serial-command are two ways to one end: choose one"
        )
    where = _parse_broker(broker)
    settings = StationSettings(
        db=db,
        name=name,
        broker=None
        if where is None
        else BrokerSettings(
            where[0],
            where[1],
            username=broker_user,
            password=os.environ.get(BROKER_PASSWORD_ENV),
            tls_ca=broker_ca,
        ),
        webhooks=webhook_settings(webhooks, webhook_ca),
        scan_serials=scan_serials,
        serial_command=serial_command,
        poll=poll,
        restart_grace=restart_grace,
    )
    prepared = read_recipe(app, recipe)
    table = prepared.recipe.station
    if table is not None:
        settings.serial_timeout = table.serial_timeout
    if scan_serials and table is not None:
        app.output.note("Serial numbers scanned (--scan-serials, not the recipe's command)")
    elif not scan_serials:
        settings.serial_command = _serial_command(app, recipe, prepared, serial_command)
    operation = recipe_operation(prepared, irreversible_ok=yes_irreversible)

    async def main() -> int:
        events = watch_attached(
            dcs_url=app.dcs_url,
            interval=settings.poll,
            restart_grace=settings.restart_grace,
            options=_options(app),
        )
        return await run_station(app, operation, prepared, settings, str(recipe), events)

    sys.exit(run(app, main))


def _serial_command(
    app: AppContext, path: Path, prepared: PreparedRecipe, option: str | None
) -> tuple[str, ...] | None:
    """The serial number command: the option's, else the recipe's; checked that it runs."""
    table = prepared.recipe.station
    try:
        if option is not None:
            command = check_serial_command(option)
            whose = "--serial-command" + (", not the recipe's" if table is not None else "")
        elif table is not None:
            command = check_serial_command(table.serial_command)
            whose = "the recipe's [station] serial_command"
        else:
            return None
    except InvalidArgumentError as exc:
        if option is not None:
            raise click.BadParameter(
                f"got {exc.given}; expected {exc.allowed}", param_hint="'--serial-command'"
            ) from None
        source = prepared.recipe.source
        problem = f"got {exc.given}; expected {exc.allowed}"
        where = "station.serial_command"
        refuse_recipe(app, path, [source.problem(where, problem) if source else problem])
    app.output.note(f"Serial numbers printed by: {shlex.join(command)} ({whose})")
    return command


def _options(app: AppContext) -> ClientOptions:
    return ClientOptions(ca=app.ca, transport_factory=app.transport_factory)


async def run_station(
    app: AppContext,
    operation: Operation,
    prepared: PreparedRecipe | None,
    settings: StationSettings,
    recipe_name: str,
    events: AsyncIterator[HotplugEvent],
    *,
    stop: anyio.Event | None = None,
    on_start: Callable[[Station], None] | None = None,
) -> int:
    """Run the station until Ctrl-C (or ``stop``); returns the exit status.

    ``on_start`` is given the station once it is made (the demo's operator watches it).

    0: every board passed; 1: any failed or was interrupted; 130: stopped by a second Ctrl-C.
    """
    out = app.output
    secrets = recipe_secrets(prepared) if prepared is not None else []
    async with RecordStore(settings.db, secrets=secrets) as store:
        senders = event_senders(store, settings.broker, settings.webhooks)
        serials = _serial_source(settings, out, secrets)
        with StationDisplay(out, senders) as refresh:
            station = Station(
                operation,
                store,
                name=settings.name,
                recipe=recipe_name,
                options=_options(app),
                serials=serials,
                detach_verdict=settings.restart_grace + 5 * settings.poll
                if settings.detach_verdict is None
                else settings.detach_verdict,
                on_change=refresh,
                on_outbox=notify_all(senders),
            )
            refresh(station)
            if on_start is not None:
                on_start(station)
            stopped_hard = False
            async with anyio.create_task_group() as group:
                for sender in senders:
                    group.start_soon(sender.run)
                if isinstance(serials, SerialScanner):
                    group.start_soon(_read_scans, serials)

                async def watch_interrupts() -> None:
                    nonlocal stopped_hard
                    with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
                        async for _ in signals:
                            if station.draining:
                                stopped_hard = True
                                group.cancel_scope.cancel()
                                return
                            station.drain()

                async def ticker() -> None:
                    while True:
                        await anyio.sleep(0.5)
                        refresh(station)

                group.start_soon(watch_interrupts)
                group.start_soon(ticker)
                if stop is not None:

                    async def stop_when_told() -> None:
                        await stop.wait()
                        station.drain()

                    group.start_soon(stop_when_told)
                await _run_until_drained(station, events)
                await flush(out, store, senders)
                group.cancel_scope.cancel()
        await report_delivery(out, store, senders)
    if out.interactive:  # on a pipe each slot's result was a line already
        for view in station.slots.values():
            if view.state != "idle":
                out.message(slot_line(view))
    counts = station.counts
    out.message(
        f"{counts['passed']} passed, {counts['failed']} failed, "
        f"{counts['interrupted']} interrupted; records in {settings.db}"
    )
    if stopped_hard:
        return EXIT_INTERRUPTED
    return EXIT_OK if counts["failed"] == counts["interrupted"] == 0 else EXIT_FAILED


async def _run_until_drained(station: Station, events: AsyncIterator[HotplugEvent]) -> None:
    async with anyio.create_task_group() as group:

        async def wait_drained() -> None:
            while not (station.draining and station.in_flight == 0):  # noqa: ASYNC110 - no event
                await anyio.sleep(0.05)
            group.cancel_scope.cancel()

        group.start_soon(wait_drained)
        await station.run(events)
        group.cancel_scope.cancel()


def _serial_source(
    settings: StationSettings, out: Output, secrets: list[str]
) -> SerialSource | None:
    if settings.scan_serials:
        return SerialScanner(on_refused=lambda serial, why: out.error(f"serial {serial}: {why}"))
    if settings.serial_command:
        # The command gets the station's environment without the variables holding its secrets.
        withheld = [*secrets, *(secret for w in settings.webhooks for secret in w.secrets)]
        if settings.broker is not None and settings.broker.password:
            withheld.append(settings.broker.password)
        return CommandSerials(
            settings.serial_command,
            timeout=settings.serial_timeout,
            station=settings.name,
            withheld=withheld,
        )
    return None


async def _read_scans(scanner: SerialScanner) -> None:
    """Barcode scans from standard input, one a line, until it ends."""
    async for line in anyio.wrap_file(sys.stdin):
        scanner.scan(line)
