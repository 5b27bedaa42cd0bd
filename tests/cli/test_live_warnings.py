"""A warning while the station's live view is drawn (a webhook held, the broker refusing) is
printed above the view, not under its next redraw, where it would be lost."""

from __future__ import annotations

import io

from azsphere_async.cli.output import Output
from azsphere_async.cli.station_view import StationDisplay


class Terminal(io.StringIO):
    """A stream that says it is a terminal (as stdout and stderr are when run by hand)."""

    def isatty(self) -> bool:
        return True


def test_a_warning_during_the_station_view_goes_above_it() -> None:
    stdout, stderr = Terminal(), Terminal()
    out = Output(stdout=stdout, stderr=stderr)
    assert out.interactive
    with StationDisplay(out):
        out.warning("webhook https://mes.example/events: it refuses the event: 401")
    assert "webhook https://mes.example/events: it refuses the event" in stdout.getvalue()
    assert stderr.getvalue() == ""
    out.warning("after the view")  # stderr again once the view is gone
    assert "after the view" in stderr.getvalue()
