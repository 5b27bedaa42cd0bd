"""``cert list|add|remove|space``: the boards' certificate stores.

A private key's password comes from ``AZSPHERE_CERT_PASSWORD`` or a hidden prompt
(``--ask-password``); it is never printed.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import anyio
import click

from ...client import DeviceClient
from ...models import CertificateInfo, CertificateSpace
from ..context import AppContext, pass_app
from ..exit_status import EXIT_USAGE
from ..formatting import format_bytes, to_jsonable
from ..output import Column, styled
from ..reporting import BoardRows
from ..running import run_and_report
from ..shared_options import board_options

__all__ = ["ENV_PASSWORD", "cert"]

#: The environment variable a private key's password may come from.
ENV_PASSWORD = "AZSPHERE_CERT_PASSWORD"


@click.group()
def cert() -> None:
    """Certificate stores: list, add, remove, space."""


def _when(value: object) -> str:
    return value.strftime("%Y-%m-%d") if hasattr(value, "strftime") else "-"


@cert.command("list")
@board_options
@pass_app
def cert_list(app: AppContext) -> None:
    """The certificates on each board, with subject and validity."""

    async def operation(device: DeviceClient) -> list[CertificateInfo]:
        identifiers = await device.certificates.list()
        infos: dict[str, CertificateInfo] = {}

        async def one(identifier: str) -> None:
            infos[identifier] = await device.certificates.get(identifier)

        async with anyio.create_task_group() as group:
            for identifier in identifiers:
                group.start_soon(one, identifier)
        return [infos[i] for i in identifiers]

    shape = BoardRows[list[CertificateInfo]](
        columns=[
            Column("ID", "id", no_wrap=True),
            Column("Subject", "subject"),
            Column("Issuer", "issuer"),
            Column("Valid until", "until", no_wrap=True),
        ],
        rows=lambda certs: [
            {
                "id": c.id or "-",
                "subject": c.subject_name or "-",
                "issuer": c.issuer_name or "-",
                "until": _when(c.not_after),
            }
            for c in certs
        ],
        data=to_jsonable,
        empty="no certificates",
    )
    run_and_report(app, "cert list", operation, shape)


@cert.command("add")
@click.argument("cert_id")
@click.option(
    "--type",
    "cert_type",
    type=click.Choice(["rootca", "client"], case_sensitive=False),
    required=True,
    help="A root CA, or a client certificate (which needs --key).",
)
@click.option(
    "--cert",
    "cert_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="The certificate, a PEM file.",
)
@click.option(
    "--key",
    "key_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="client: the private key, a PEM file.",
)
@click.option(
    "--ask-password",
    is_flag=True,
    help=f"client: ask for the key's password (or set ${ENV_PASSWORD}).",
)
@board_options
@pass_app
def cert_add(
    app: AppContext,
    cert_id: str,
    cert_type: str,
    cert_file: Path,
    key_file: Path | None,
    ask_password: bool,
) -> None:
    """Install a certificate on every board under CERT_ID."""
    password = os.environ.get(ENV_PASSWORD) or None
    if ask_password:
        password = click.prompt("Private key password", hide_input=True, err=True)
    if cert_type == "client" and key_file is None:
        app.output.error("a client certificate needs its private key: add --key FILE")
        sys.exit(EXIT_USAGE)

    async def operation(device: DeviceClient) -> str:
        await device.certificates.add(
            cert_id,
            cert_type=cert_type,
            public_cert=cert_file,
            private_key=key_file,
            password=password if cert_type == "client" else None,
        )
        return cert_id

    shape = BoardRows[str](
        columns=[Column("Installed", "id")],
        rows=lambda identifier: [{"id": styled(identifier, "green")}],
        data=lambda identifier: {"cert_id": identifier, "cert_type": cert_type},
    )
    run_and_report(app, "cert add", operation, shape)


@cert.command("remove")
@click.argument("cert_id")
@board_options
@pass_app
def cert_remove(app: AppContext, cert_id: str) -> None:
    """Delete the certificate CERT_ID from every board."""

    async def operation(device: DeviceClient) -> str:
        await device.certificates.remove(cert_id)
        return cert_id

    shape = BoardRows[str](
        columns=[Column("Removed", "id")],
        rows=lambda identifier: [{"id": identifier}],
        data=lambda identifier: {"cert_id": identifier},
    )
    run_and_report(app, "cert remove", operation, shape)


@cert.command("space")
@board_options
@pass_app
def cert_space(app: AppContext) -> None:
    """Free space in each board's certificate store."""
    shape = BoardRows[CertificateSpace](
        columns=[Column("Free", "free", justify="right")],
        rows=lambda space: [{"free": format_bytes(space.available_bytes)}],
        data=lambda space: {"available_bytes": space.available_bytes},
    )
    run_and_report(app, "cert space", lambda d: d.certificates.get_space(), shape)
