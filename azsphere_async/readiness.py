"""Readiness checks: is a board what the line expects before it moves on (or ships)?

Six checks, each PASS, FAIL or SKIP (or ERROR when the board could not be asked), with the
rules of Microsoft's ``device_ready.py`` for the manufacturing states:

``os``
    The OS version is one of the allowed versions (any, when none are given), and the RF
    test server (component ``508eddf2-b8c3-4a99-93d9-a045d9a060eb``) is not installed.
``images``
    Every required image ID is installed, and no other application is (unless allowed).
    Installed applications are compared by image ID: the same component with another image
    is another build.
``manufacturing``
    The manufacturing state is the expected one (SKIP when none is given).
``capabilities``
    The board holds no capabilities but the allowed ones. Skipped in Blank: Blank boards
    carry the RF-test capability.
``wifi``
    The configured Wi-Fi networks are the expected SSIDs (by default none).
``certificates``
    The required certificate IDs are installed (and, unless allowed, no others).

In DeviceComplete the board locks ``GET /images``, Wi-Fi and certificates (unless it holds
appDevelopment or fieldServicing): those checks are skipped, locked (``CheckResult.locked``),
never failed, and never asked. :func:`evaluate` is a
pure function of :class:`~azsphere_async.facts.DeviceFacts`; :func:`check_readiness` reads
the board and judges it.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from typing import Any, Final

import attrs

from .client import DeviceClient
from .facts import DeviceFacts, FactsWanted, gather_facts
from .models import ComponentDetails, ManufacturingState
from .os_releases import OsReleases
from .validation import check_component_id

__all__ = [
    "CAPABILITY_NAMES",
    "CHECKS",
    "RF_TEST_SERVER_COMPONENT",
    "CheckResult",
    "CheckStatus",
    "ReadinessCriteria",
    "ReadinessReport",
    "capability_name",
    "check_readiness",
    "evaluate",
]

#: The checks, in the order they are reported.
CHECKS: Final = ("os", "images", "manufacturing", "capabilities", "wifi", "certificates")

#: The capabilities' names (Manufacturing/src/README.md in Azure/azure-sphere-tools).
CAPABILITY_NAMES: Final = {11: "appDevelopment", 12: "enableRFTestMode", 13: "fieldServicing"}

#: The RF test server, a system component that must never ship (``device_ready.py``).
RF_TEST_SERVER_COMPONENT: Final = "508eddf2-b8c3-4a99-93d9-a045d9a060eb"


def capability_name(number: int) -> str:
    """``11 (appDevelopment)`` for a known capability, else the number."""
    name = CAPABILITY_NAMES.get(number)
    return f"{number} ({name})" if name else str(number)


class CheckStatus(enum.StrEnum):
    """The outcome of one check."""

    PASS = "PASS"
    FAIL = "FAIL"
    SKIP = "SKIP"
    ERROR = "ERROR"


def _str_tuple(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(str(v) for v in values)


def _int_tuple(values: Iterable[int]) -> tuple[int, ...]:
    return tuple(int(v) for v in values)


def _image_ids(values: Iterable[object]) -> tuple[str, ...]:
    return tuple(check_component_id(value, "images") for value in values)


@attrs.frozen(kw_only=True)
class ReadinessCriteria:
    """What a ready board looks like.

    ``os_versions``: allowed OS versions (empty: any); ``os_releases`` tells the OS of boards
    without ``/osversion`` from their images. ``images``: image IDs that must be installed;
    with ``allow_other_apps=False`` no other application may be (``check_images``: whether to
    check installed images at all; by default when ``images`` are given).
    ``manufacturing_state``: the expected state (``None``: not checked).
    ``allowed_capabilities``: capability numbers a board may hold. ``wifi_ssids``: the Wi-Fi
    networks a board must have (empty: none), others allowed only with ``allow_other_wifi``.
    ``certificates``: certificate IDs a board must hold; others are allowed unless
    ``allow_other_certificates=False``. ``check_*`` turn checks off. ``image_names`` names
    image IDs in messages.
    """

    os_versions: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    os_releases: OsReleases | None = None
    images: tuple[str, ...] = attrs.field(default=(), converter=_image_ids)
    image_names: Mapping[str, str] = attrs.field(factory=dict)
    check_images: bool | None = None
    allow_other_apps: bool = False
    manufacturing_state: str | None = None
    allowed_capabilities: tuple[int, ...] = attrs.field(default=(), converter=_int_tuple)
    check_capabilities: bool = True
    wifi_ssids: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    allow_other_wifi: bool = False
    check_wifi: bool = True
    certificates: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    allow_other_certificates: bool = True
    check_certificates: bool | None = None

    @property
    def images_checked(self) -> bool:
        """Whether installed images are judged."""
        return bool(self.images) if self.check_images is None else self.check_images

    @property
    def certificates_checked(self) -> bool:
        """Whether installed certificates are judged."""
        if self.check_certificates is not None:
            return self.check_certificates
        return bool(self.certificates) or not self.allow_other_certificates

    def facts_wanted(self) -> FactsWanted:
        """The facts a board must be asked for these criteria."""
        return FactsWanted(
            capabilities=self.check_capabilities,
            wifi=self.check_wifi,
            certificates=self.certificates_checked,
            os_releases=self.os_releases,
        )


@attrs.frozen
class CheckResult:
    """One check on one board: its name, its status and a short explanation.

    ``locked`` marks a check skipped because the board's manufacturing state locks what it
    reads (``detail`` then says so): skipped, not failed.
    """

    name: str
    status: CheckStatus
    detail: str
    locked: bool = False

    @property
    def ok(self) -> bool:
        """Whether the check passed or was skipped."""
        return self.status in (CheckStatus.PASS, CheckStatus.SKIP)

    def to_json(self) -> dict[str, Any]:
        """The result as JSON data."""
        return {
            "name": self.name,
            "status": self.status.value,
            "detail": self.detail,
            "locked": self.locked,
        }


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


def _locked(name: str, what: str) -> CheckResult:
    detail = (
        f"skipped, locked: DeviceComplete locks {what} (appDevelopment (11) or "
        "fieldServicing (13) opens it)"
    )
    return CheckResult(name, CheckStatus.SKIP, detail, locked=True)


def _error(facts: DeviceFacts, name: str) -> CheckResult:
    return CheckResult(name, CheckStatus.ERROR, facts.errors.get(name, "not read"))


def _check_os(facts: DeviceFacts, criteria: ReadinessCriteria) -> CheckResult:
    if "os" in facts.locked:
        return _locked(
            "os", f"GET /images, and REST API {facts.rest_api_version} has no /osversion"
        )
    if "os" in facts.errors:
        return _error(facts, "os")
    found = facts.os_version or "unknown"
    shown = found
    if facts.os_version_source not in (None, "/osversion"):
        shown = f"{found} (told from the images by {facts.os_version_source})"
    problems = []
    if criteria.os_versions and facts.os_version not in criteria.os_versions:
        wanted = ", ".join(criteria.os_versions)
        problems.append(f"{shown}, expected {wanted}; update the board's OS")
    if any((c.uid or "").lower() == RF_TEST_SERVER_COMPONENT for c in facts.components or ()):
        problems.append(
            f"the RF test server (component {RF_TEST_SERVER_COMPONENT}) is installed and must "
            "not ship; recover the board's OS"
        )
    if problems:
        return CheckResult("os", CheckStatus.FAIL, "; ".join(problems))
    if not criteria.os_versions:
        return CheckResult("os", CheckStatus.SKIP, f"{shown} (no version required)")
    return CheckResult("os", CheckStatus.PASS, shown)


def _name(criteria: ReadinessCriteria, image_id: str) -> str:
    name = criteria.image_names.get(image_id)
    return f"{name} (image {image_id})" if name else f"image {image_id}"


def _image_ids_of(component: ComponentDetails) -> set[str]:
    return {(image.uid or "").lower() for image in component.images or ()}


def _check_images(facts: DeviceFacts, criteria: ReadinessCriteria) -> CheckResult:
    if not criteria.images_checked:
        return CheckResult("images", CheckStatus.SKIP, "no images required")
    if "images" in facts.locked:
        return _locked("images", "GET /images")
    if "images" in facts.errors or facts.components is None:
        return _error(facts, "images")
    by_image = {iid: c for c in facts.components for iid in _image_ids_of(c)}
    by_component = {(c.uid or "").lower(): c for c in facts.components}
    problems = []
    for image_id in criteria.images:
        if image_id in by_image:
            continue
        component = by_component.get(image_id)
        if component is not None:
            installed = ", ".join(sorted(_image_ids_of(component))) or "none"
            problems.append(
                f"{image_id} is the component ID of {component.name or '?'}, not an image ID; "
                f"give its image ID ({installed}) or its package"
            )
        else:
            problems.append("missing " + _name(criteria, image_id))
    if not criteria.allow_other_apps:
        wanted = set(criteria.images)
        for component in facts.components:
            if component.is_application and not _image_ids_of(component) & wanted:
                if (component.uid or "").lower() in wanted:
                    continue  # already told: a component ID given for an image ID
                images = ", ".join(sorted(_image_ids_of(component))) or "no image"
                problems.append(f"unexpected {component.name or '?'} (image {images})")
    if problems:
        return CheckResult("images", CheckStatus.FAIL, "; ".join(problems))
    names = [by_image[image_id].name or image_id for image_id in criteria.images]
    return CheckResult("images", CheckStatus.PASS, ", ".join(names) or "no applications")


def _check_manufacturing(facts: DeviceFacts, criteria: ReadinessCriteria) -> CheckResult:
    if "manufacturing" in facts.errors:
        return _error(facts, "manufacturing")
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
    if facts.manufacturing_state == ManufacturingState.BLANK.value:
        held = ", ".join(capability_name(c) for c in facts.capabilities or ()) or "none"
        return CheckResult(
            "capabilities",
            CheckStatus.SKIP,
            f"skipped in Blank: every Blank board holds 12 (enableRFTestMode); holds {held}",
        )
    if "capabilities" in facts.errors or facts.capabilities is None:
        return _error(facts, "capabilities")
    extra = [c for c in facts.capabilities if c not in criteria.allowed_capabilities]
    if extra:
        held = ", ".join(capability_name(c) for c in extra)
        return CheckResult(
            "capabilities",
            CheckStatus.FAIL,
            f"holds {held}; remove it from the board, or allow it",
        )
    shown = ", ".join(capability_name(c) for c in facts.capabilities) or "none"
    return CheckResult("capabilities", CheckStatus.PASS, shown)


def _compare(
    facts: DeviceFacts,
    name: str,
    found: Iterable[str] | None,
    wanted: Iterable[str],
    *,
    others_allowed: bool,
    locked_what: str,
    nothing: str,
) -> CheckResult:
    """A check of names a board must have (and, unless allowed, no others)."""
    if name in facts.locked:
        return _locked(name, locked_what)
    if name in facts.errors or found is None:
        return _error(facts, name)
    have, need = set(found), set(wanted)
    problems = []
    if need - have:
        problems.append("missing " + ", ".join(sorted(need - have)))
    if have - need and not others_allowed:
        problems.append("configured " + ", ".join(sorted(have - need)))
    if problems:
        return CheckResult(name, CheckStatus.FAIL, "; ".join(problems))
    return CheckResult(name, CheckStatus.PASS, ", ".join(sorted(have)) if have else nothing)


def _check_wifi(facts: DeviceFacts, criteria: ReadinessCriteria) -> CheckResult:
    if not criteria.check_wifi:
        return CheckResult("wifi", CheckStatus.SKIP, "not checked")
    return _compare(
        facts,
        "wifi",
        facts.wifi_ssids,
        criteria.wifi_ssids,
        others_allowed=criteria.allow_other_wifi,
        locked_what="the Wi-Fi configuration",
        nothing="no networks configured",
    )


def _check_certificates(facts: DeviceFacts, criteria: ReadinessCriteria) -> CheckResult:
    if not criteria.certificates_checked:
        return CheckResult("certificates", CheckStatus.SKIP, "no certificates required")
    return _compare(
        facts,
        "certificates",
        facts.certificates,
        criteria.certificates,
        others_allowed=criteria.allow_other_certificates,
        locked_what="the certificate store",
        nothing="no certificates",
    )


def evaluate(facts: DeviceFacts, criteria: ReadinessCriteria) -> ReadinessReport:
    """Judge one board's facts against the criteria (no I/O)."""
    checks = (
        _check_os(facts, criteria),
        _check_images(facts, criteria),
        _check_manufacturing(facts, criteria),
        _check_capabilities(facts, criteria),
        _check_wifi(facts, criteria),
        _check_certificates(facts, criteria),
    )
    return ReadinessReport(facts.address, checks)


async def check_readiness(client: DeviceClient, criteria: ReadinessCriteria) -> ReadinessReport:
    """Read one board (only what ``criteria`` need) and judge it."""
    return evaluate(await gather_facts(client, criteria.facts_wanted()), criteria)
