"""Plans: what would bring one board to a recipe, each step with what the board has now.

:func:`plan` reads the board once (:func:`~azsphere_async.facts.gather_facts`) and compares
it with the recipe: an application package is identified by its image ID (a board that has
that image installed needs nothing sent), a Wi-Fi network by SSID, a certificate by ID. What
no request can change (the OS version, capabilities, a manufacturing state past the recipe's)
is a *problem* of the plan, not an action. The same facts are judged by the readiness rules
(:attr:`Plan.readiness`), so ``ready`` and ``plan`` never disagree on what is wrong.
"""

from __future__ import annotations

import enum
from typing import Any, Final

import attrs

from .client import DeviceClient
from .facts import DeviceFacts, FactsWanted, gather_facts
from .models import ManufacturingState, WifiConfigState, WifiNetwork
from .readiness import (
    CheckResult,
    ReadinessCriteria,
    ReadinessReport,
    capability_name,
    evaluate,
)
from .recipe import Others, PreparedRecipe, Recipe, prepare_recipe

__all__ = ["Action", "ActionKind", "Plan", "criteria_of", "plan", "plan_from_facts"]


class ActionKind(enum.StrEnum):
    """What an action does; the members are in the order :func:`apply` performs them."""

    REMOVE_APP = "remove_app"
    INSTALL_APP = "install_app"
    REMOVE_WIFI = "remove_wifi"
    REMOVE_CERTIFICATE = "remove_certificate"
    ADD_CERTIFICATE = "add_certificate"
    ADD_WIFI = "add_wifi"
    ENABLE_WIFI = "enable_wifi"
    SET_MANUFACTURING_STATE = "set_manufacturing_state"

    @property
    def order(self) -> int:
        """Where actions of this kind come in a safe order (the manufacturing state last)."""
        return list(ActionKind).index(self)

    @property
    def part(self) -> str:
        """The readiness check this kind of action fixes."""
        return _PARTS[self]


_PARTS: Final = {
    ActionKind.REMOVE_APP: "images",
    ActionKind.INSTALL_APP: "images",
    ActionKind.REMOVE_WIFI: "wifi",
    ActionKind.ADD_WIFI: "wifi",
    ActionKind.ENABLE_WIFI: "wifi",
    ActionKind.REMOVE_CERTIFICATE: "certificates",
    ActionKind.ADD_CERTIFICATE: "certificates",
    ActionKind.SET_MANUFACTURING_STATE: "manufacturing",
}

_VERBS: Final = {
    ActionKind.REMOVE_APP: "remove app",
    ActionKind.INSTALL_APP: "install",
    ActionKind.REMOVE_WIFI: "remove Wi-Fi",
    ActionKind.ADD_WIFI: "add Wi-Fi",
    ActionKind.ENABLE_WIFI: "enable Wi-Fi",
    ActionKind.REMOVE_CERTIFICATE: "remove certificate",
    ActionKind.ADD_CERTIFICATE: "add certificate",
    ActionKind.SET_MANUFACTURING_STATE: "set manufacturing state",
}


@attrs.frozen
class Action:
    """One change a plan would make: what, to which thing, and why (what the board has now).

    ``key`` identifies the thing: the image ID (install), component ID (remove app), SSID
    (add or enable Wi-Fi), network ID (remove Wi-Fi), certificate ID, or the state. An action
    never holds a secret; :func:`~azsphere_async.applying.apply` finds keys in the recipe.
    """

    kind: ActionKind
    target: str
    key: str
    why: str

    @property
    def irreversible(self) -> bool:
        """Whether the action can never be undone (the manufacturing state)."""
        return self.kind is ActionKind.SET_MANUFACTURING_STATE

    def describe(self) -> str:
        """``install AzureSphereBlinkTest``, ``add Wi-Fi LineWifi (psk)``, ..."""
        text = f"{_VERBS[self.kind]} {self.target}"
        return text + " (irreversible)" if self.irreversible else text

    def to_json(self) -> dict[str, Any]:
        """The action as JSON data."""
        return {
            "kind": self.kind.value,
            "target": self.target,
            "key": self.key,
            "why": self.why,
            "irreversible": self.irreversible,
        }


@attrs.frozen
class Plan:
    """The actions that would bring one board to the recipe, in the order they would run.

    ``readiness`` judges the board as it is now by the recipe's rules; ``problems`` are its
    failed checks that no action fixes (the OS, capabilities, a state past the recipe's, a
    fact that could not be read); ``locked`` names the checks the board's state locks.
    ``notes`` are what would stop an action or the state from moving (a network's
    certificate that the board lacks, a capability that Blank excuses but the next state
    would not).
    """

    address: str
    actions: tuple[Action, ...]
    readiness: ReadinessReport
    notes: tuple[str, ...] = ()

    @property
    def problems(self) -> tuple[CheckResult, ...]:
        """Failed checks that none of the actions fixes."""
        fixed = {action.kind.part for action in self.actions}
        return tuple(c for c in self.readiness.failures if c.name not in fixed)

    @property
    def locked(self) -> tuple[CheckResult, ...]:
        """Checks skipped because the board's manufacturing state locks them."""
        return tuple(check for check in self.readiness.checks if check.locked)

    @property
    def up_to_date(self) -> bool:
        """Whether the board already is as the recipe says: nothing to do, nothing wrong."""
        return not self.actions and not self.problems

    def to_json(self) -> dict[str, Any]:
        """The plan as JSON data."""
        return {
            "address": self.address,
            "up_to_date": self.up_to_date,
            "actions": [action.to_json() for action in self.actions],
            "problems": [check.to_json() for check in self.problems],
            "notes": list(self.notes),
            "checks": [check.to_json() for check in self.readiness.checks],
        }


def criteria_of(prepared: PreparedRecipe) -> ReadinessCriteria:
    """The readiness rules a board that follows the recipe meets."""
    recipe = prepared.recipe
    return ReadinessCriteria(
        os_versions=recipe.os_versions,
        os_releases=prepared.os_releases,
        images=[app.image_id for app in prepared.apps],
        image_names={app.image_id: app.name for app in prepared.apps},
        check_images=bool(prepared.apps) or recipe.other_apps is Others.REMOVE,
        allow_other_apps=recipe.other_apps is Others.KEEP,
        manufacturing_state=None
        if recipe.manufacturing_state is None
        else recipe.manufacturing_state.value,
        allowed_capabilities=recipe.allowed_capabilities,
        wifi_ssids=[network.ssid for network in recipe.wifi],
        allow_other_wifi=recipe.other_wifi is Others.KEEP,
        check_wifi=bool(recipe.wifi) or recipe.other_wifi is Others.REMOVE,
        certificates=[cert.id for cert in recipe.certificates],
        allow_other_certificates=recipe.other_certificates is Others.KEEP,
    )


def _facts_wanted(prepared: PreparedRecipe) -> FactsWanted:
    criteria = criteria_of(prepared)
    eaptls = any(spec.client_cert or spec.root_ca for spec in prepared.recipe.wifi)
    return FactsWanted(
        capabilities=True,
        wifi=criteria.check_wifi,
        certificates=criteria.certificates_checked or eaptls,
        os_releases=prepared.os_releases,
    )


def _app_actions(facts: DeviceFacts, prepared: PreparedRecipe) -> list[Action]:
    components = facts.components or ()
    by_component = {(c.uid or "").lower(): c for c in components}
    on_board = {(i.uid or "").lower() for c in components for i in c.images or ()}
    actions = []
    wanted_components = {app.package.component_id for app in prepared.apps}
    if prepared.recipe.other_apps is Others.REMOVE:
        for component in components:
            cid = (component.uid or "").lower()
            if component.is_application and cid not in wanted_components:
                actions.append(
                    Action(
                        ActionKind.REMOVE_APP,
                        component.name or cid,
                        cid,
                        "installed, and the recipe removes other applications",
                    )
                )
    for app in prepared.apps:
        if app.image_id in on_board:
            continue
        installed = by_component.get(app.package.component_id)
        if installed is None:
            why = "not installed"
        else:
            images = ", ".join(sorted((i.uid or "?") for i in installed.images or ())) or "none"
            why = f"another build is installed (image {images})"
        actions.append(Action(ActionKind.INSTALL_APP, app.name, app.image_id, why))
    return actions


def _wifi_actions(networks: tuple[WifiNetwork, ...], prepared: PreparedRecipe) -> list[Action]:
    actions: list[Action] = []
    remove: list[tuple[WifiNetwork, str]] = []
    for spec in prepared.recipe.wifi:
        same = [n for n in networks if n.ssid == spec.ssid]
        if not same:
            target = f"{spec.ssid} ({spec.security.value})"
            actions.append(Action(ActionKind.ADD_WIFI, target, spec.ssid, "not configured"))
            continue
        first, *others = same
        remove += [(n, f"a second network with SSID {spec.ssid}") for n in others]
        if first.security_state != spec.security:
            remove.append((first, f"configured as {first.security_state.value}"))
            target = f"{spec.ssid} ({spec.security.value})"
            why = f"configured as {first.security_state.value}, the recipe says {spec.security}"
            actions.append(Action(ActionKind.ADD_WIFI, target, spec.ssid, why))
        elif first.config_state is WifiConfigState.DISABLED:
            # Only a network someone disabled; the board itself sets temp-disabled after a
            # failed join, and clears it when it tries again.
            why = "configured, disabled"
            actions.append(Action(ActionKind.ENABLE_WIFI, spec.ssid, str(first.id), why))
    if prepared.recipe.other_wifi is Others.REMOVE:
        named = {spec.ssid for spec in prepared.recipe.wifi}
        remove += [
            (n, "configured, and the recipe removes other networks")
            for n in networks
            if n.ssid not in named
        ]
    for network, why in remove:
        target = f"{network.ssid or '?'} (network {network.id})"
        actions.append(Action(ActionKind.REMOVE_WIFI, target, str(network.id), why))
    return actions


def _certificate_actions(installed: tuple[str, ...], prepared: PreparedRecipe) -> list[Action]:
    actions = []
    for cert in prepared.certificates:
        if cert.spec.id not in installed:
            target = f"{cert.spec.id} ({cert.spec.type.value})"
            actions.append(
                Action(ActionKind.ADD_CERTIFICATE, target, cert.spec.id, "not installed")
            )
    if prepared.recipe.other_certificates is Others.REMOVE:
        named = {cert.spec.id for cert in prepared.certificates}
        why = "installed, and the recipe removes other certificates"
        actions += [
            Action(ActionKind.REMOVE_CERTIFICATE, cert_id, cert_id, why)
            for cert_id in installed
            if cert_id not in named
        ]
    return actions


def _state_action(facts: DeviceFacts, target: ManufacturingState | None) -> list[Action]:
    if target is None or facts.manufacturing_state is None:
        return []
    current = ManufacturingState(facts.manufacturing_state)
    if current.rank is None or target.rank is None or current.rank >= target.rank:
        return []  # the same state, or one past it: readiness says which
    return [Action(ActionKind.SET_MANUFACTURING_STATE, target.value, target.value, current.value)]


#: enableRFTestMode: every Blank board carries it, so it never counts against leaving Blank.
_RF_TEST_CAPABILITY: Final = 12


def _capabilities_past_blank(
    prepared: PreparedRecipe, facts: DeviceFacts, actions: list[Action]
) -> list[str]:
    """Capabilities that Blank excuses but the recipe's next state would not.

    Capabilities are not checked in Blank; once the state moves on (which is irreversible)
    they are. A board is not moved out of Blank while it holds one the recipe does not allow.
    """
    moving = [a for a in actions if a.kind is ActionKind.SET_MANUFACTURING_STATE]
    if not moving or facts.manufacturing_state != ManufacturingState.BLANK.value:
        return []
    allowed = {*prepared.recipe.allowed_capabilities, _RF_TEST_CAPABILITY}
    held = [c for c in facts.capabilities or () if c not in allowed]
    if not held:
        return []
    names = ", ".join(capability_name(c) for c in held)
    return [
        f"capabilities: the board holds {names}, which the recipe does not allow once it "
        f"is {moving[0].target}; allow it, or remove it before the state moves"
    ]


def _missing_certificates(
    prepared: PreparedRecipe, facts: DeviceFacts, actions: list[Action]
) -> list[str]:
    """Networks to add that name a certificate neither the board nor the recipe has."""
    if facts.certificates is None:
        return []
    available = {cert.spec.id for cert in prepared.certificates} | set(facts.certificates or ())
    adding = {action.key for action in actions if action.kind is ActionKind.ADD_WIFI}
    notes = []
    for spec in prepared.recipe.wifi:
        for cert_id in (spec.client_cert, spec.root_ca):
            if spec.ssid in adding and cert_id is not None and cert_id not in available:
                notes.append(
                    f"Wi-Fi {spec.ssid} needs certificate {cert_id}, which the board does not "
                    "hold and the recipe does not add"
                )
    return notes


def plan_from_facts(facts: DeviceFacts, recipe: Recipe | PreparedRecipe) -> Plan:
    """The plan for a board with these facts (no I/O)."""
    prepared = prepare_recipe(recipe)
    actions: list[Action] = []
    if facts.components is not None:
        actions += _app_actions(facts, prepared)
    if facts.wifi_networks is not None:
        actions += _wifi_actions(facts.wifi_networks, prepared)
    if facts.certificates is not None:
        actions += _certificate_actions(facts.certificates, prepared)
    actions += _state_action(facts, prepared.recipe.manufacturing_state)
    actions.sort(key=lambda action: action.kind.order)
    readiness = evaluate(facts, criteria_of(prepared))
    notes = _missing_certificates(prepared, facts, actions)
    notes += _capabilities_past_blank(prepared, facts, actions)
    return Plan(facts.address, tuple(actions), readiness, tuple(notes))


async def plan(client: DeviceClient, recipe: Recipe | PreparedRecipe) -> Plan:
    """Read one board and return what would bring it to ``recipe``; nothing is changed.

    A :class:`~azsphere_async.recipe.Recipe` is prepared first (its files and secrets read
    and checked before any request); pass a
    :class:`~azsphere_async.recipe.PreparedRecipe` to share that work between boards.
    """
    prepared = prepare_recipe(recipe)
    facts = await gather_facts(client, _facts_wanted(prepared))
    return plan_from_facts(facts, prepared)
