"""Recipes from TOML and from Python: every bad recipe fails with its own clear message.

Each problem names the file, the line and what is allowed, before anything is sent; a Wi-Fi
key or password written into a recipe is refused and never shown.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from azsphere_async import (
    InvalidArgumentError,
    Others,
    Recipe,
    RecipeApp,
    RecipeError,
    RecipeWifi,
    load_recipe,
    prepare_recipe,
)
from azsphere_async.models import CertificateType, ManufacturingState, WifiSecurityState
from azsphere_async.recipe import RecipeCertificate, RecipeStation, parse_recipe
from tests.shared_data import BLINK, BLINK_IMAGE_ID
from tests.workflows.workflow_helpers import (
    LINE_RECIPE,
    WIFI_KEY,
    WIFI_KEY_ENV,
    write_recipe,
    write_releases,
    write_root_ca,
)

# The line's recipe, with Microsoft's list of releases for boards before REST API 4.5.
GOOD = 'os_releases = "mt3620an.json"\n' + LINE_RECIPE


def test_a_good_recipe(tmp_path: Path) -> None:
    path = write_recipe(tmp_path, GOOD)
    write_root_ca(tmp_path)
    write_releases(tmp_path / "mt3620an.json")
    recipe = load_recipe(path)
    assert recipe.os_versions == ("24.03",)
    assert recipe.apps == (RecipeApp(package=tmp_path / "blink.imagepackage"),)
    assert recipe.other_apps is Others.REMOVE
    assert recipe.wifi[0].security is WifiSecurityState.PSK
    assert recipe.manufacturing_state is ManufacturingState.MODULE1_COMPLETE
    assert recipe.source is not None
    assert recipe.source.path == str(path)
    prepared = prepare_recipe(recipe, environ={WIFI_KEY_ENV: WIFI_KEY})
    assert prepared.apps[0].image_id == BLINK_IMAGE_ID
    assert prepared.os_releases is not None
    assert prepared.os_releases.names == ("24.03",)
    assert prepared.certificates[0].public_cert.startswith("-----BEGIN CERTIFICATE-----")
    assert prepared.certificates[0].spec.type is CertificateType.ROOT_CA
    assert prepared.secrets.wifi_keys["LineWifi"].reveal() == WIFI_KEY
    assert WIFI_KEY not in repr(prepared)
    assert prepare_recipe(prepared) is prepared


# Each bad recipe: its text, the line the message must name, and what the message says.
BAD = [
    ("syntax", '\nos_versions = ["24.03" "24.10"]\n', 2, "not valid TOML"),
    (
        "a string for a list",
        'os_versions = "24.03"\n',
        1,
        "os_versions: got a string; expected an array of strings",
    ),
    ("a number in a list", 'os_versions = ["24.03", 24.10]\n', 1, "item 2 is a number"),
    (
        "unknown key",
        '\nos_version = ["24.03"]\n',
        2,
        "os_version: unknown key; allowed here: os_versions",
    ),
    (
        "unknown state",
        'manufacturing_state = "Done"\n',
        1,
        "expected one of 'Blank', 'Module1Complete', 'DeviceComplete'",
    ),
    (
        "unknown policy",
        'other_apps = "delete"\n',
        1,
        "other_apps: got 'delete'; expected one of 'keep', 'remove'",
    ),
    ("wifi as a table", '[wifi]\nssid = "a"\n', 1, "expected tables, each written [[wifi]]"),
    ("missing ssid", '\n[[wifi]]\nsecurity = "open"\n', 2, "wifi[0].ssid: required, but missing"),
    ("long ssid", f'[[wifi]]\nssid = "{"x" * 33}"\n', 2, "wifi[0].ssid: got 'xxxxx"),
    (
        "unknown security",
        '[[wifi]]\nssid = "a"\n\nsecurity = "wpa3"\n',
        4,
        "expected one of 'open', 'psk', 'eaptls'",
    ),
    (
        "key for an open network",
        '[[wifi]]\nssid = "a"\nsecurity = "open"\nkey_env = "K"\n',
        4,
        "no key for an open network",
    ),
    (
        "eaptls without a certificate",
        '[[wifi]]\nssid = "a"\nsecurity = "eaptls"\n',
        1,
        "wifi[0].client_cert: got nothing",
    ),
    (
        "ssid twice",
        '[[wifi]]\nssid = "a"\n[[wifi]]\nssid = "a"\n',
        4,
        "wifi[1].ssid: got 'a'; expected each ssid listed once",
    ),
    ("package as a number", "[[apps]]\npackage = 7\n", 2, "apps[0].package: got a number"),
    (
        "start as a string",
        '[[apps]]\npackage = "a"\nstart = "yes"\n',
        3,
        "apps[0].start: got a string; expected true or false",
    ),
    (
        "client without key",
        '[[certificates]]\nid = "c"\ntype = "client"\ncert = "c.pem"\n',
        1,
        "certificates[0].key: got nothing",
    ),
    (
        "bad certificate id",
        '[[certificates]]\nid = "has space"\ntype = "rootca"\ncert = "c.pem"\n',
        2,
        "certificates[0].id",
    ),
    ("capability as a flag", "allowed_capabilities = [true]\n", 1, "item 1 is a boolean"),
    (
        "serial command as one string",
        '[station]\nserial_command = "mes-serial --line 3"\n',
        2,
        "station.serial_command: got a string; expected an array: the program, then each "
        'argument, as in ["mes-serial", "--line", "3"]',
    ),
    (
        "empty serial command",
        "[station]\n\nserial_command = []\n",
        3,
        "station.serial_command: got an empty list; expected the program and its arguments",
    ),
    (
        "serial command with a number",
        '[station]\nserial_command = ["mes-serial", 3]\n',
        2,
        "station.serial_command: item 2 is a number; expected strings",
    ),
    (
        "serial timeout of nothing",
        '[station]\nserial_command = ["a"]\nserial_timeout = 0\n',
        3,
        "station.serial_timeout: got 0; expected seconds, more than 0 and at most 3600",
    ),
    (
        "serial timeout as a string",
        '[station]\nserial_command = ["a"]\nserial_timeout = "30 s"\n',
        3,
        "station.serial_timeout: got a string; expected a number",
    ),
    (
        "unknown station key",
        '[station]\nserial_command = ["a"]\nserial_timout = 5\n',
        3,
        "station.serial_timout: unknown key; allowed here: serial_command, serial_timeout",
    ),
    (
        "station without a command",
        "\n[station]\nserial_timeout = 5\n",
        2,
        "station.serial_command: required, but missing",
    ),
    (
        "station as a value",
        'station = "line3"\n',
        1,
        "station: got a string; expected a table, written [station]",
    ),
]


@pytest.mark.parametrize(("text", "line", "message"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_each_bad_recipe_has_its_own_message(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(RecipeError) as caught:
        load_recipe(path)
    (problem,) = caught.value.problems
    assert problem.startswith(f"{path}:{line}:"), problem
    assert message in problem
    assert str(caught.value) == problem


def test_every_problem_is_listed_at_once(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('other_wifi = "sometimes"\n\n[[apps]]\npackage = "a"\nstart = 1\n')
    with pytest.raises(RecipeError) as caught:
        load_recipe(path)
    assert len(caught.value.problems) == 2
    assert str(caught.value).startswith(f"{path}: 2 problems in the recipe")
    assert any(p.startswith(f"{path}:1: other_wifi") for p in caught.value.problems)
    assert any(p.startswith(f"{path}:5: apps[0].start") for p in caught.value.problems)


@pytest.mark.parametrize("key", ["psk", "key", "password"])
def test_a_key_written_in_the_recipe_is_refused_unseen(tmp_path: Path, key: str) -> None:
    path = tmp_path / "leaky.toml"
    path.write_text(f'[[wifi]]\nssid = "LineWifi"\n{key} = "{WIFI_KEY}"\n')
    with pytest.raises(RecipeError) as caught:
        load_recipe(path)
    text = str(caught.value)
    assert WIFI_KEY not in text
    assert WIFI_KEY not in repr(caught.value)
    assert f"{path}:3: wifi[0].{key}: a Wi-Fi key is never written in a recipe" in text
    assert "key_env" in text


def test_a_key_written_in_the_recipe_does_not_hide_the_other_problems(tmp_path: Path) -> None:
    path = tmp_path / "leaky.toml"
    path.write_text(
        f'os_versions = "24.03"\n[[wifi]]\nssid = "LineWifi"\npsk = "{WIFI_KEY}"\nbogus = 1\n'
    )
    with pytest.raises(RecipeError) as caught:
        load_recipe(path)
    lines = [problem.split(": ")[0] for problem in caught.value.problems]
    assert lines == [f"{path}:1", f"{path}:4", f"{path}:5"]  # in the file's order
    assert WIFI_KEY not in str(caught.value)


def test_a_key_where_its_variable_belongs_is_not_echoed(tmp_path: Path) -> None:
    path = tmp_path / "leaky.toml"
    path.write_text(f'[[wifi]]\nssid = "LineWifi"\nkey_env = "{WIFI_KEY}"\n')
    with pytest.raises(RecipeError) as caught:
        load_recipe(path)
    assert WIFI_KEY not in str(caught.value)
    assert "the name of an environment variable" in str(caught.value)


def test_files_and_secrets_are_checked_when_prepared(tmp_path: Path) -> None:
    text = GOOD.replace('"mt3620an.json"', '"missing.json"')
    (tmp_path / "line-ca.pem").write_text("not a certificate")
    path = write_recipe(tmp_path, text)
    (tmp_path / "blink.imagepackage").write_bytes(b"junk" * 10)
    recipe = load_recipe(path)
    with pytest.raises(RecipeError) as caught:
        prepare_recipe(recipe, environ={})
    problems = "\n".join(caught.value.problems)
    assert f"{path}:13: wifi[0].key_env: got ${WIFI_KEY_ENV}, which is not set" in problems
    assert f"{path}:9: apps[0].package" in problems
    assert "an Azure Sphere image package" in problems
    assert f"{path}:18: certificates[0].cert" in problems
    assert "no -----BEGIN/-----END lines" in problems
    assert f"{path}:1: os_releases" in problems
    assert len(caught.value.problems) == 4


def test_a_short_key_is_described_by_its_length(tmp_path: Path) -> None:
    path = write_recipe(tmp_path, f'[[wifi]]\nssid = "a"\nkey_env = "{WIFI_KEY_ENV}"\n')
    with pytest.raises(RecipeError) as caught:
        prepare_recipe(load_recipe(path), environ={WIFI_KEY_ENV: "k3yZ7"})
    assert "<secret of 5 characters>" in str(caught.value)
    assert "k3yZ7" not in str(caught.value)


def test_secrets_file(tmp_path: Path) -> None:
    secrets = tmp_path / "line.secrets.toml"
    secrets.write_text(f'[wifi]\nLineWifi = "{WIFI_KEY}"\n')
    text = 'secrets = "line.secrets.toml"\n[[wifi]]\nssid = "LineWifi"\n'
    prepared = prepare_recipe(load_recipe(write_recipe(tmp_path, text)), environ={})
    assert prepared.secrets.wifi_keys["LineWifi"].reveal() == WIFI_KEY
    secrets.write_text(f'[wifi]\nOther = "{WIFI_KEY}"\n[misc]\nx = "{WIFI_KEY}"\n')
    with pytest.raises(RecipeError) as caught:
        prepare_recipe(load_recipe(write_recipe(tmp_path, text)), environ={})
    assert WIFI_KEY not in str(caught.value)
    assert "only [wifi] and [certificates]" in str(caught.value)
    secrets.write_text(f'[wifi]\nOther = "{WIFI_KEY}"\n')
    with pytest.raises(RecipeError, match="no 'LineWifi' in the secrets file"):
        prepare_recipe(load_recipe(write_recipe(tmp_path, text)), environ={})


def test_recipes_made_in_python_are_checked_too() -> None:
    recipe = Recipe(
        os_versions=["24.03"],
        apps=[RecipeApp(package=BLINK)],
        wifi=[RecipeWifi(ssid="LineWifi", key_env=WIFI_KEY_ENV)],
        other_apps="remove",
    )
    assert recipe.other_apps is Others.REMOVE
    assert recipe.source is None
    with pytest.raises(InvalidArgumentError, match="os_versions"):
        Recipe(os_versions="24.03")
    with pytest.raises(InvalidArgumentError, match="ssid"):
        RecipeWifi(ssid="")
    with pytest.raises(InvalidArgumentError, match="each ssid listed once"):
        Recipe(wifi=[RecipeWifi(ssid="a", security="open"), RecipeWifi(ssid="a", security="open")])
    with pytest.raises(InvalidArgumentError, match="rootca certificate has no private key"):
        RecipeCertificate(id="c", type="rootca", cert="c.pem", key="k.pem")
    with pytest.raises(RecipeError, match="recipe: wifi\\[0\\]: got no key"):
        prepare_recipe(Recipe(wifi=[RecipeWifi(ssid="LineWifi")]), environ={})


def test_parse_recipe_from_text() -> None:
    recipe = parse_recipe('os_versions = ["24.03"]\n', source="inline")
    assert recipe.os_versions == ("24.03",)
    # The API description spells the type RootCA; boards want rootca; both are taken.
    spelled = parse_recipe('[[certificates]]\nid = "c"\ntype = "RootCA"\ncert = "c.pem"\n')
    assert spelled.certificates[0].type is CertificateType.ROOT_CA
    with pytest.raises(RecipeError, match=r"^inline:1: bogus: unknown key"):
        parse_recipe("bogus = 1\n", source="inline")


def test_the_station_table_names_the_serial_number_command(tmp_path: Path) -> None:
    text = '[station]\nserial_command = ["tools/serial.sh", "--line", "3"]\nserial_timeout = 5\n'
    station = load_recipe(write_recipe(tmp_path, text)).station
    assert station is not None
    assert station == RecipeStation(
        serial_command=[str(tmp_path / "tools/serial.sh"), "--line", "3"], serial_timeout=5
    )
    assert isinstance(station.serial_timeout, float)
    # A bare name is looked up on PATH; an absolute path is kept as it is.
    for program in ("mes-serial", "/opt/mes/serial"):
        text = f'[station]\nserial_command = ["{program}"]\n'
        station = load_recipe(write_recipe(tmp_path, text)).station
        assert station is not None
        assert station.serial_command == (program,)
        assert station.serial_timeout == 30.0
    assert load_recipe(write_recipe(tmp_path, 'os_versions = ["24.03"]\n')).station is None
    with pytest.raises(InvalidArgumentError, match="serial_command"):
        RecipeStation(serial_command="mes-serial")  # one string: which part is the program?
    with pytest.raises(InvalidArgumentError, match="at most 3600"):
        RecipeStation(serial_command=["a"], serial_timeout=float("inf"))


def test_a_serial_program_beside_a_recipe_named_from_its_folder_stays_a_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write_recipe(tmp_path, '[station]\nserial_command = ["./serial.sh", "-v"]\n')
    station = load_recipe("line.toml").station
    assert station is not None
    assert station.serial_command == ("./serial.sh", "-v")  # never looked up on PATH
