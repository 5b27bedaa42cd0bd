"""``cert list|add|remove|space``: the boards' certificate stores.

A private key's password comes from ``AZSPHERE_CERT_PASSWORD`` or a hidden prompt
(``--ask-password``, asked twice); never from the command line, and it is never printed. The
certificate and key files are read and checked once, before any board is contacted.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import anyio
import click

from ...client import DeviceClient
from ...errors import InvalidArgumentError
from ...models import CertificateInfo, CertificateSpace
from ...resources.certificates import MAX_PEM_CHARACTERS, certificate_upload
from ...validation import check_cert_id
from ..context import AppContext, pass_app
from ..formatting import format_bytes, to_jsonable
from ..output import Column, styled
from ..reporting import BoardRows
from ..running import run_and_report
from ..shared_options import board_options, checked

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
            Column("Issuer", "issuer", priority=2),
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


_PEM_FILE = (
    "a PEM file: text between -----BEGIN and -----END lines, "
    f"at most {MAX_PEM_CHARACTERS} characters"
)
_ARGUMENT_NAMES = {
    "cert_id": "'CERT_ID'",
    "cert_type": "'--type'",
    "public_cert": "'--cert'",
    "private_key": "'--key'",
    "password": f"the key's password (${ENV_PASSWORD} or --ask-password)",
}


@cert.command("add")
@click.argument("cert_id", callback=checked(check_cert_id))
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
    help=f"client: ask for the key's password, twice (or set ${ENV_PASSWORD}).",
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
    cert_type = cert_type.lower()
    if cert_type == "client" and key_file is None:
        raise click.UsageError("a client certificate needs its private key: add --key FILE")
    password = os.environ.get(ENV_PASSWORD) or None
    if ask_password:
        password = click.prompt(
            "Private key password",
            hide_input=True,
            confirmation_prompt="Repeat the password",
            err=True,
        )
    if cert_type != "client":
        password = None
    try:
        identifier, upload = anyio.run(
            functools.partial(
                certificate_upload,
                cert_id,
                cert_type=cert_type,
                public_cert=cert_file,
                private_key=key_file,
                password=password,
            )
        )
    except InvalidArgumentError as exc:
        allowed = _PEM_FILE if exc.argument in ("public_cert", "private_key") else exc.allowed
        raise click.BadParameter(
            f"got {exc.given}; expected {allowed}",
            param_hint=_ARGUMENT_NAMES.get(exc.argument, exc.argument),
        ) from None

    async def operation(device: DeviceClient) -> str:
        await device.certificates.add(
            identifier,
            cert_type=upload.cert_type,
            public_cert=upload.public_cert,
            private_key=upload.private_key,
            password=upload.password,
        )
        return identifier

    shape = BoardRows[str](
        columns=[Column("Installed", "id")],
        rows=lambda installed: [{"id": styled(installed, "green")}],
        data=lambda installed: {"cert_id": installed, "cert_type": cert_type},
    )
    run_and_report(app, "cert add", operation, shape)


@cert.command("remove")
@click.argument("cert_id", callback=checked(check_cert_id))
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
