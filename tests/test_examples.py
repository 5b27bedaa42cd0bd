"""The examples, run as a developer would (subprocesses, each starting its own mock boards)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.shared_data import ROOT

EXAMPLES = ROOT / "examples"


def run_example(name: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        check=False,
    )


def test_flash_many(tmp_path: Path) -> None:
    done = run_example("flash_many.py", "--boards", "3", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "3 of 3 boards flashed" in done.stdout
    assert len(re.findall(r" 100% ", done.stdout)) >= 3


def test_factory_line_without_finalizing(tmp_path: Path) -> None:
    done = run_example("factory_line.py", "--boards", "2", "--report-dir", "out", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "2 of 2 boards passed" in done.stdout
    reports = [json.loads(p.read_text()) for p in (tmp_path / "out").glob("*.json")]
    assert len(reports) == 2
    for report in reports:
        assert report["passed"]
        assert report["device_id"]
        assert [(r["kind"], r["outcome"]) for r in report["results"]] == [
            ("install_app", "done"),
            ("add_wifi", "done"),
        ]
        assert "running" in report["results"][0]["detail"]
        assert "a-key-for-mock-boards-only" not in json.dumps(report)


def test_factory_line_finalizes_only_when_told(tmp_path: Path) -> None:
    done = run_example(
        "factory_line.py",
        "--boards",
        "2",
        "--report-dir",
        "out",
        "--os",
        "24.03",
        "--finalize",
        "Module1Complete",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    for path in (tmp_path / "out").glob("*.json"):
        (finalize,) = [r for r in json.loads(path.read_text())["results"] if r["irreversible"]]
        assert finalize["outcome"] == "done"
        assert finalize["target"] == "Module1Complete"


def test_factory_line_sets_aside_a_board_no_action_can_fix(tmp_path: Path) -> None:
    done = run_example(
        "factory_line.py", "--boards", "1", "--report-dir", "out", "--os", "99.1", cwd=tmp_path
    )
    assert done.returncode == 1
    (report,) = [json.loads(p.read_text()) for p in (tmp_path / "out").glob("*.json")]
    assert not report["passed"]
    (problem,) = report["set_aside"]
    assert problem["name"] == "os"
    assert "expected 99.1" in problem["detail"]
    assert "results" not in report  # nothing was changed on it


def test_factory_line_refuses_a_bad_recipe(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text('os_versions = "24.03"\n')
    done = run_example("factory_line.py", "--recipe", "bad.toml", cwd=tmp_path)
    assert done.returncode == 2
    assert "bad.toml:1: os_versions" in done.stderr


def test_service_serves_and_stops_cleanly(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, str(EXAMPLES / "service.py"), "--port", "0", "--boards", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:\d+", line)
        assert match, line
        base = match.group(0)
        with httpx.Client(base_url=base, timeout=10, trust_env=False) as client:
            for _ in range(100):
                try:
                    if client.get("/health").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.05)
            status = client.get("/boards").json()
            assert len(status) == 2
            assert all(board["os_version"] == "24.03" for board in status.values())
            started = client.post("/deployments", json={"image": "blink"})
            assert started.status_code == 202
            url = started.json()["url"]
            for _ in range(100):
                deployment = client.get(url).json()
                if deployment["state"] != "running":
                    break
                time.sleep(0.05)
            assert deployment["state"] == "done"
            assert all(
                b["ok"] and b["app_state"] == "running" for b in deployment["boards"].values()
            )
            assert client.post("/deployments", json={"image": "nope"}).status_code == 400
            for bad in (b"image=blink", b"\xff\xfe", b'["blink"]', b'{"image": ["blink"]}'):
                refused = client.post("/deployments", content=bad)
                assert refused.status_code == 400, bad
                assert "expected a JSON object" in refused.json()["error"]
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, err
    assert "closed every board's connection" in out
    assert out.rstrip().endswith("stopped")
    assert "Traceback" not in err


def test_examples_need_no_network_beyond_loopback() -> None:
    # The guard in tests/_subprocess_guard reaches the examples through PYTHONPATH.
    assert "_subprocess_guard" in os.environ.get("PYTHONPATH", "")
