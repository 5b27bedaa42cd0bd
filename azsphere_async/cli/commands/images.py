"""``images``: the components installed on each board."""

from __future__ import annotations

import click

from ...models import ImageList
from ..context import AppContext, pass_app
from ..formatting import format_bytes, to_jsonable
from ..output import Cell, Column, styled
from ..reporting import BoardRows
from ..running import run_and_report
from ..shared_options import board_options

__all__ = ["images"]


def _image_rows(images: ImageList) -> list[dict[str, Cell | None]]:
    rows: list[dict[str, Cell | None]] = []
    for component in images.components or ():
        is_app = component.is_application
        size = sum(i.length_in_bytes or 0 for i in component.images or ())
        kind = "app" if is_app else f"system ({component.image_type})"
        rows.append(
            {
                "name": styled(component.name or "?", "bold") if is_app else component.name or "?",
                "cid": component.uid or "?",
                "kind": kind,
                "size": format_bytes(size) if size else "-",
            }
        )
    return rows


_IMAGES = BoardRows[ImageList](
    columns=[
        Column("Name", "name"),
        Column("Component ID", "cid", no_wrap=True, cut=True, min_width=13, priority=1),
        Column("Type", "kind", no_wrap=True, priority=2),
        Column("Size", "size", justify="right", no_wrap=True, priority=3),
    ],
    rows=_image_rows,
    data=to_jsonable,
    empty="no components",
)


@click.command()
@board_options
@pass_app
def images(app: AppContext) -> None:
    """The components installed on each board (applications in bold)."""
    run_and_report(app, "images", lambda d: d.image.get_images(), _IMAGES)
