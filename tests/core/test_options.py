"""ClientOptions: one checked object shared by clients, pools and fleets; shortcuts on top."""

from __future__ import annotations

import math
import ssl
from typing import Any

import pytest

from azsphere_async import (
    ClientOptions,
    DeviceClient,
    Fleet,
    InvalidArgumentError,
    RetryPolicy,
    SessionPool,
    Timeouts,
)
from azsphere_async.options import DEFAULT_MAX_RESPONSE_BYTES
from azsphere_async.tls import DEVICE_CA_PEM


def test_defaults_are_the_documented_ones() -> None:
    options = ClientOptions()
    assert options.timeouts == Timeouts(connect=5.0, read=30.0, write=30.0)
    assert options.retry == RetryPolicy(attempts=3, backoff=0.2, max_backoff=2.0)
    assert options.max_response_bytes == DEFAULT_MAX_RESPONSE_BYTES
    assert options.ssl_context.verify_mode == ssl.CERT_REQUIRED


def test_shortcuts_replace_fields_of_the_given_options() -> None:
    base = ClientOptions(max_response_bytes=1000)
    built = ClientOptions.build(base, timeout=2)
    assert built.timeouts == Timeouts(connect=2.0, read=2.0, write=2.0)
    assert built.max_response_bytes == 1000
    assert ClientOptions.build(base) is base
    with pytest.raises(TypeError, match="timeoutt"):
        ClientOptions.build(timeoutt=2)


async def test_one_options_object_serves_a_client_a_pool_and_a_fleet() -> None:
    options = ClientOptions(timeouts=Timeouts(read=3.0))
    async with (
        DeviceClient("127.0.0.2:1", options=options) as client,
        SessionPool(options) as pool,
        Fleet(["127.0.0.2:1", "127.0.0.3:1"], options=options) as fleet,
    ):
        assert client.session.options is options
        assert pool.session("127.0.0.2:1").options is options
        assert fleet.client("127.0.0.3:1").session.options is options
        # One TLS context for every board of the fleet.
        contexts = {id(fleet.client(a).session.options.ssl_context) for a in fleet.addresses}
        assert contexts == {id(options.ssl_context)}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("connect", 0),
        ("read", -1),
        ("write", math.nan),
        ("operation", math.inf),
        ("pool", "5"),
        ("read", True),
    ],
)
def test_timeouts_refuse_what_is_not_a_positive_finite_number(field: str, value: Any) -> None:
    with pytest.raises(InvalidArgumentError, match=f"timeouts.{field}") as caught:
        Timeouts(**{field: value})
    assert "finite" in caught.value.allowed


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("attempts", 0),
        ("attempts", math.inf),
        ("attempts", 2.0),
        ("backoff", -0.1),
        ("max_backoff", math.nan),
    ],
)
def test_retry_policy_refuses_bad_values_naming_the_field(field: str, value: Any) -> None:
    with pytest.raises(InvalidArgumentError, match=f"retry.{field}"):
        RetryPolicy(**{field: value})


@pytest.mark.parametrize(
    ("shortcut", "value", "named"),
    [
        ("timeout", -2, "timeout"),
        ("retry", 3, "retry"),
        ("max_response_bytes", 0, "max_response_bytes"),
        ("insecure_skip_verify", "yes", "insecure_skip_verify"),
    ],
)
def test_bad_options_are_refused_once_when_the_fleet_is_made(
    shortcut: str, value: Any, named: str
) -> None:
    with pytest.raises(InvalidArgumentError, match=named):
        Fleet(["127.0.0.2:1"], **{shortcut: value})


def test_fleet_refuses_a_bad_address_or_concurrency_before_anything_else() -> None:
    for bad in ("127.0.0.300", "0177.0.0.1", "board\n", "foo bar"):
        with pytest.raises(InvalidArgumentError, match="address"):
            Fleet(["127.0.0.2:1", bad])
    with pytest.raises(InvalidArgumentError, match="concurrency"):
        Fleet(["127.0.0.2:1"], concurrency=0)


def test_options_repr_shows_no_pem_text() -> None:
    shown = repr(ClientOptions(ca=DEVICE_CA_PEM))
    assert DEVICE_CA_PEM[40:80] not in shown
    assert "<PEM data>" in shown
