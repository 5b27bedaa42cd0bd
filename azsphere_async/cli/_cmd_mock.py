"""Placeholder, replaced below."""

import click


def register(cli: click.Group) -> None:
    """Nothing yet."""
