"""Readiness checks: is a board what the line expects before it moves on (or ships)?

Five checks, each PASS, FAIL or SKIP (or ERROR when the board could not be asked):

``os``
    The OS version is one of the allowed versions (SKIP when none are given).
``images``
    Every required component ID is installed, and no other application is (SKIP when no
    images are given).
``manufacturing``
    The manufacturing state is the expected one (SKIP when none is given).
``capabilities``
    The board holds no capabilities but the allowed ones: a board leaves the line without
    development capabilities such as ``appDevelopment`` (11).  ``enableRFTestMode`` (12),
    which every Blank board holds, never counts against a Blank board.
``wifi``
    The configured Wi-Fi networks are exactly the expected SSIDs; by default none, so no
    line credentials leave the factory.

A DeviceComplete board shows its images and Wi-Fi networks only to a holder of
``appDevelopment`` or ``fieldServicing`` (13): without one it refuses them (403), and those
two checks are SKIP, saying so, as Microsoft's ``device_ready.py`` skips them there.

:func:`gather_facts` asks one board (only what the criteria need), :func:`evaluate` is a pure
function of those facts, and :func:`check_readiness` does both.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Final, TypeVar

import anyio
import attrs

from .client import DeviceClient
from .errors import DeviceError, DeviceUnreachableError, ForbiddenError, TLSVerificationError
from .models import ComponentDetails

__all__ = [
    "CAPABILITY_NAMES",
    "CHECKS",
    "CheckResult",
    "CheckStatus",
    "DeviceFacts",
    "ReadinessCriteria",
    "ReadinessReport",
    "check_readiness",
    "evaluate",
    "gather_facts",
]

T = TypeVar("T")

#: The checks, in the order they are reported.
CHECKS: Final = ("os", "images", "manufacturing", "capabilities", "wifi")

#: Names of the capabilities a line is likely to meet.
CAPABILITY_NAMES: Final = {11: "appDevelopment", 12: "enableRFTestMode", 13: "fieldServicing"}

# Every Blank board holds enableRFTestMode; it goes when the state moves on.
_RF_TEST: Final = 12


def _capability(number: int) -> str:
    name = CAPABILITY_NAMES.get(number)
    return f"{number} ({name})" if name else str(number)


class CheckStatus(enum.StrEnum):
    """The outcome of one check."""

    PASS = "PASS"
    FAIL = "FAIL"
    SKIP = "SKIP"
    ERROR = "ERROR"


def _lower_tuple(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(str(v).lower() for v in values)


def _str_tuple(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(str(v) for v in values)


def _int_tuple(values: Iterable[int]) -> tuple[int, ...]:
    return tuple(int(v) for v in values)


@attrs.frozen
class ReadinessCriteria:
    """What a ready board looks like.

    ``os_versions``: allowed OS versions (empty: not checked). ``images``: component IDs that
    must be installed (empty: not checked); with ``allow_other_apps=False`` no other
    application may be installed. ``manufacturing_state``: the expected state (``None``: not
    checked). ``allowed_capabilities``: capability numbers a board may hold.
    ``wifi_ssids``: the Wi-Fi networks a board must have configured, exactly (empty: none).
    ``check_wifi``/``check_capabilities`` turn those two checks off.
    """

    os_versions: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    images: tuple[str, ...] = attrs.field(default=(), converter=_lower_tuple)
    allow_other_apps: bool = False
    manufacturing_state: str | None = None
    allowed_capabilities: tuple[int, ...] = attrs.field(default=(), converter=_int_tuple)
    wifi_ssids: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    check_wifi: bool = True
    check_capabilities: bool = True


@attrs.frozen
class DeviceFacts:
    """What was read from one board; a fact that could not be read is in ``errors`` instead."""

    address: str
    os_version: str | None = None
    components: tuple[ComponentDetails, ...] | None = None
    manufacturing_state: str | None = None
    capabilities: tuple[int, ...] | None = None
    wifi_ssids: tuple[str, ...] | None = None
    errors: dict[str, str] = attrs.field(factory=dict)
    #: The facts (of ``errors``) that the board refused to show (403).
    locked: frozenset[str] = frozenset()


@attrs.frozen
class CheckResult:
    """One check on one board: its name, its status and a short explanation."""

    name: str
    status: CheckStatus
    detail: str

    @property
    def ok(self) -> bool:
        """Whether the check passed or was skipped."""
        return self.status in (CheckStatus.PASS, CheckStatus.SKIP)

    def to_json(self) -> dict[str, str]:
        """The result as JSON data."""
        return {"name": self.name, "status": self.status.value, "detail": self.detail}


@attrs.frozen
class ReadinessReport:
    """Every check on one board; the board is ready when none failed or errored."""

    address: str
    checks: tuple[CheckResult, ...]

    @property
    def ready(self) -> bool:
        """Whether every check passed or was skipped."""
        return all(check.ok for check in self.checks)

    @property
    def failures(self) -> tuple[CheckResult, ...]:
        """The checks that failed or could not run."""
        return tuple(check for check in self.checks if not check.ok)

    def check(self, name: str) -> CheckResult:
        """The result of the check called ``name`` (one of :data:`CHECKS`)."""
        for check in self.checks:
            if check.name == name:
                return check
        raise KeyError(name)

    def to_json(self) -> dict[str, Any]:
        """The report as JSON data."""
        return {
            "address": self.address,
            "ready": self.ready,
            "checks": [check.to_json() for check in self.checks],
        }


def _describe(exc: Exception) -> str:
    """A failure without the board's address (the report names the board), with its hint."""
    if isinstance(exc, DeviceError):
        return f"{exc.detail}; {exc.hint}" if exc.hint else exc.detail
    return str(exc) or type(exc).__name__


async def _read(
    errors: dict[str, str], locked: set[str], fact: str, call: Callable[[], Awaitable[T]]
) -> T | None:
    try:
        return await call()
    except Exception as exc:
        errors[fact] = _describe(exc)
        if isinstance(exc, ForbiddenError):
            locked.add(fact)
        return None


async def gather_facts(device: DeviceClient, criteria: ReadinessCriteria) -> DeviceFacts:
    """Read from one board what ``criteria`` need, all at once; failures land in ``errors``.

    A fact the criteria do not check is read anyway when it is cheap and shown in the report
    (the OS version and manufacturing state), so an operator sees them.
    """
    errors: dict[str, str] = {}
    locked: set[str] = set()
    found: dict[str, Any] = {}

    async def os_version() -> None:
        answer = await device.device.get_os_version()
        found["os_version"] = answer.os_version

    async def components() -> None:
        answer = await device.image.get_images()
        found["components"] = answer.components or ()

    async def manufacturing_state() -> None:
        state = await device.manufacturing.get_state()
        found["manufacturing_state"] = str(state.value)

    async def capabilities() -> None:
        answer = await device.capabilities.get()
        found["capabilities"] = tuple(answer.capabilities or ())

    async def wifi() -> None:
        networks = await device.wifi.get_networks()
        found["wifi_ssids"] = tuple(n.ssid or "" for n in networks)

    # The OS version goes first and alone: a board that cannot be reached at all fails as a
    # whole (one clear error) instead of once per check.
    try:
        await os_version()
    except (DeviceUnreachableError, TLSVerificationError):
        raise
    except Exception as exc:
        errors["os"] = _describe(exc)
    readers: dict[str, Callable[[], Awaitable[None]]] = {"manufacturing": manufacturing_state}
    if criteria.images:
        readers["images"] = components
    if criteria.check_capabilities:
        readers["capabilities"] = capabilities
    if criteria.check_wifi:
        readers["wifi"] = wifi

    async with anyio.create_task_group() as group:
        for fact, reader in readers.items():
            group.start_soon(_read, errors, locked, fact, reader)
    return DeviceFacts(device.address, errors=errors, locked=frozenset(locked), **found)


def _check_os(facts: DeviceFacts, criteria: ReadinessCriteria) -> CheckResult:
    if "os" in facts.errors:
        return CheckResult("os", CheckStatus.ERROR, facts.errors["os"])
    found = facts.os_version or "unknown"
    if not criteria.os_versions:
        return CheckResult("os", CheckStatus.SKIP, f"{found} (no version required)")
    if facts.os_version in criteria.os_versions:
        return CheckResult("os", CheckStatus.PASS, found)
    wanted = ", ".join(criteria.os_versions)
    return CheckResult("os", CheckStatus.FAIL, f"{found}, expected {wanted}; update the board's OS")


def _locked(facts: DeviceFacts, check: str, what: str) -> CheckResult | None:
    """SKIP, when a finished board refused the fact the check needs."""
    if check in facts.locked and facts.manufacturing_state == "DeviceComplete":
        detail = (
            f"locked: a DeviceComplete board shows its {what} only with appDevelopment (11) "
            "or fieldServicing (13)"
        )
        return CheckResult(check, CheckStatus.SKIP, detail)
    return None


def _check_images(facts: DeviceFacts, criteria: ReadinessCriteria) -> CheckResult:
    if not criteria.images:
        return CheckResult("images", CheckStatus.SKIP, "no images required")
    if locked := _locked(facts, "images", "images"):
        return locked
    if "images" in facts.errors or facts.components is None:
        return CheckResult("images", CheckStatus.ERROR, facts.errors.get("images", "not read"))
    installed = {(c.uid or "").lower(): c for c in facts.components}
    missing = [cid for cid in criteria.images if cid not in installed]
    extra = [c for cid, c in installed.items() if c.is_application and cid not in criteria.images]
    problems = []
    if missing:
        problems.append("missing " + ", ".join(missing))
    if extra and not criteria.allow_other_apps:
        problems.append("unexpected " + ", ".join(f"{c.name or '?'} ({c.uid})" for c in extra))
    if problems:
        return CheckResult("images", CheckStatus.FAIL, "; ".join(problems))
    names = [installed[cid].name or cid for cid in criteria.images]
    return CheckResult("images", CheckStatus.PASS, ", ".join(names))


def _check_manufacturing(facts: DeviceFacts, criteria: ReadinessCriteria) -> CheckResult:
    if "manufacturing" in facts.errors:
        return CheckResult("manufacturing", CheckStatus.ERROR, facts.errors["manufacturing"])
    found = facts.manufacturing_state or "unknown"
    if criteria.manufacturing_state is None:
        return CheckResult("manufacturing", CheckStatus.SKIP, f"{found} (no state required)")
    if found.lower() == criteria.manufacturing_state.lower():
        return CheckResult("manufacturing", CheckStatus.PASS, found)
    return CheckResult(
        "manufacturing", CheckStatus.FAIL, f"{found}, expected {criteria.manufacturing_state}"
    )


def _check_capabilities(facts: DeviceFacts, criteria: ReadinessCriteria) -> CheckResult:
    if not criteria.check_capabilities:
        return CheckResult("capabilities", CheckStatus.SKIP, "not checked")
    if "capabilities" in facts.errors or facts.capabilities is None:
        detail = facts.errors.get("capabilities", "not read")
        return CheckResult("capabilities", CheckStatus.ERROR, detail)
    blank = (facts.manufacturing_state or "").lower() == "blank"
    extra = [
        c
        for c in facts.capabilities
        if c not in criteria.allowed_capabilities and not (blank and c == _RF_TEST)
    ]
    if extra:
        return CheckResult(
            "capabilities",
            CheckStatus.FAIL,
            "holds "
            + ", ".join(_capability(c) for c in extra)
            + "; remove it from the board, or allow it with --allow-capability",
        )
    shown = ", ".join(_capability(c) for c in facts.capabilities) or "none"
    if blank and _RF_TEST in facts.capabilities:
        shown += " (every Blank board holds 12)"
    return CheckResult("capabilities", CheckStatus.PASS, shown)


def _check_wifi(facts: DeviceFacts, criteria: ReadinessCriteria) -> CheckResult:
    if not criteria.check_wifi:
        return CheckResult("wifi", CheckStatus.SKIP, "not checked")
    if locked := _locked(facts, "wifi", "Wi-Fi networks"):
        return locked
    if "wifi" in facts.errors or facts.wifi_ssids is None:
        return CheckResult("wifi", CheckStatus.ERROR, facts.errors.get("wifi", "not read"))
    found, wanted = set(facts.wifi_ssids), set(criteria.wifi_ssids)
    if found == wanted:
        shown = ", ".join(sorted(found)) if found else "no networks configured"
        return CheckResult("wifi", CheckStatus.PASS, shown)
    problems = []
    if found - wanted:
        problems.append("configured " + ", ".join(sorted(found - wanted)))
    if wanted - found:
        problems.append("missing " + ", ".join(sorted(wanted - found)))
    return CheckResult("wifi", CheckStatus.FAIL, "; ".join(problems))


def evaluate(facts: DeviceFacts, criteria: ReadinessCriteria) -> ReadinessReport:
    """Judge one board's facts against the criteria (no I/O)."""
    checks = (
        _check_os(facts, criteria),
        _check_images(facts, criteria),
        _check_manufacturing(facts, criteria),
        _check_capabilities(facts, criteria),
        _check_wifi(facts, criteria),
    )
    return ReadinessReport(facts.address, checks)


async def check_readiness(device: DeviceClient, criteria: ReadinessCriteria) -> ReadinessReport:
    """Read one board and judge it: :func:`gather_facts` then :func:`evaluate`."""
    return evaluate(await gather_facts(device, criteria), criteria)
