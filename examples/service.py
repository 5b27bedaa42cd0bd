"""The library inside a long-running asyncio web service (Starlette on uvicorn).

    python examples/service.py                       # 4 mock boards, started here
    python examples/service.py --device 192.168.35.2 --ca device-ca.pem --port 8080

    curl http://127.0.0.1:8080/boards                # every board's status, asked at once
    curl -X POST http://127.0.0.1:8080/deployments -d '{"image": "blink"}'
    curl http://127.0.0.1:8080/deployments/1         # progress per board, then results

The service keeps one :class:`~azsphere_async.Fleet` (one kept-alive connection per board)
open for its whole life, shared by every request. Deployments run in a task group owned by
the service, so a request returns at once and Ctrl-C (or SIGTERM) cancels what is still
running, closes every board's connection and exits cleanly. It listens on loopback only.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, ExitStack, asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import anyio
import uvicorn
from anyio.abc import TaskGroup
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from azsphere_async import DeviceClient, Fleet, StageProgress
from azsphere_async.tls import CAInput


def parse_args() -> argparse.Namespace:
    """Where to listen, which boards, and the image packages the service may deploy."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=8080, help="0: any free port")
    parser.add_argument("--device", action="append", default=[], help="a board's address")
    parser.add_argument("--ca", help="PEM file of the CA the boards' certificates chain to")
    parser.add_argument(
        "--image",
        action="append",
        default=[],
        metavar="NAME=PATH",
        help="an image package clients may deploy by NAME (blink is always there)",
    )
    parser.add_argument("--boards", type=int, default=4, help="mock boards when no --device")
    return parser.parse_args()


class Deployment:
    """One deployment the service runs: per-board progress, then per-board results."""

    def __init__(self, number: int, image: str, addresses: tuple[str, ...]) -> None:
        self.number = number
        self.image = image
        self.state = "running"
        self.boards: dict[str, dict[str, Any]] = {
            address: {"bytes_sent": 0, "total_bytes": None, "ok": None, "error": None}
            for address in addresses
        }

    def progress(self, address: str, update: StageProgress) -> None:
        """The library's progress callback."""
        self.boards[address].update(bytes_sent=update.bytes_sent, total_bytes=update.total_bytes)

    def to_json(self) -> dict[str, Any]:
        """The deployment as the API shows it."""
        return {"id": self.number, "image": self.image, "state": self.state, "boards": self.boards}


class Service:
    """The service's long-lived state: the fleet, the image catalog and the deployments."""

    def __init__(self, fleet: Fleet, images: dict[str, Path], tasks: TaskGroup) -> None:
        self.fleet = fleet
        self.images = images
        self.tasks = tasks
        self.deployments: dict[int, Deployment] = {}
        self._numbers = itertools.count(1)

    async def board_status(self, device: DeviceClient) -> dict[str, Any]:
        """One board's status, asked over the fleet's kept-alive connection."""
        status = await device.device.get_status()
        os_version = await device.device.get_os_version()
        return {"uptime": status.uptime, "os_version": os_version.os_version}

    def start_deployment(self, image: str) -> Deployment:
        """Number a deployment of the catalog's ``image`` and start it in the service's tasks."""
        deployment = Deployment(next(self._numbers), image, self.fleet.addresses)
        self.deployments[deployment.number] = deployment
        self.tasks.start_soon(self.run_deployment, deployment, self.images[image])
        return deployment

    async def run_deployment(self, deployment: Deployment, image: Path) -> None:
        """Deploy to every board; record each board's outcome."""
        try:
            results = await self.fleet.deploy(image, progress=deployment.progress, timeout=600)
            for result in results:
                board = deployment.boards[result.address]
                board["ok"] = result.ok
                if result.ok:
                    state = result.unwrap().app_state
                    board["app_state"] = state.value if state is not None else None
                else:
                    board["error"] = str(result.error)
            deployment.state = "done"
        finally:
            if deployment.state == "running":
                deployment.state = "cancelled"


async def health(request: Request) -> JSONResponse:
    """``GET /health``."""
    service: Service = request.app.state.service
    return JSONResponse({"ok": True, "boards": len(service.fleet)})


async def boards(request: Request) -> JSONResponse:
    """``GET /boards``: every board's status, all asked at once."""
    service: Service = request.app.state.service
    results = await service.fleet.run(service.board_status, timeout=10)
    return JSONResponse(
        {
            result.address: result.value if result.ok else {"error": str(result.error)}
            for result in results
        }
    )


async def start_deployment(request: Request) -> JSONResponse:
    """``POST /deployments`` with ``{"image": NAME}``: starts at once, answers 202.

    A body that is not a JSON object naming a known image is the client's mistake: 400, with
    a JSON error that says what was expected.
    """
    service: Service = request.app.state.service
    expected = f'a JSON object such as {{"image": "blink"}}; known images: {sorted(service.images)}'
    try:
        body = await request.json()
    except ValueError:  # not JSON at all (json.JSONDecodeError, UnicodeDecodeError)
        return JSONResponse({"error": f"the body is not JSON; expected {expected}"}, 400)
    name = body.get("image") if isinstance(body, dict) else None
    if not isinstance(name, str) or name not in service.images:
        return JSONResponse({"error": f"unknown or missing image; expected {expected}"}, 400)
    deployment = service.start_deployment(name)
    return JSONResponse({"id": deployment.number, "url": f"/deployments/{deployment.number}"}, 202)


async def show_deployment(request: Request) -> JSONResponse:
    """``GET /deployments/{id}``: progress, then results."""
    service: Service = request.app.state.service
    deployment = service.deployments.get(int(request.path_params["number"]))
    if deployment is None:
        return JSONResponse({"error": "no such deployment"}, 404)
    return JSONResponse(deployment.to_json())


def make_app(addresses: list[str], ca: CAInput | None, images: dict[str, Path]) -> Starlette:
    """The web application; its lifespan owns the fleet and the deployments' task group."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with Fleet(addresses, ca=ca) as fleet, anyio.create_task_group() as tasks:
            app.state.service = Service(fleet, images, tasks)
            print(f"serving {len(fleet)} boards", flush=True)
            yield
            tasks.cancel_scope.cancel()  # shutting down: stop deployments still running
        print("closed every board's connection", flush=True)

    return Starlette(
        routes=[
            Route("/health", health),
            Route("/boards", boards),
            Route("/deployments", start_deployment, methods=["POST"]),
            Route("/deployments/{number:int}", show_deployment),
        ],
        lifespan=lifespan,
    )


async def main(args: argparse.Namespace, images: dict[str, Path]) -> None:
    """Start mock boards if none are given, then serve until Ctrl-C or SIGTERM."""
    async with AsyncExitStack() as stack:
        addresses: list[str] = args.device
        ca: CAInput | None = args.ca
        if not addresses:
            from azsphere_async.mock import MockFleet  # only for the no-hardware run

            mock = await stack.enter_async_context(MockFleet(args.boards))
            addresses, ca = mock.addresses, mock.ca_pem
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", args.port))
        host, port = listener.getsockname()
        print(f"listening on http://{host}:{port}", flush=True)
        config = uvicorn.Config(make_app(addresses, ca, images), log_level="warning")
        await uvicorn.Server(config).serve(sockets=[listener])


if __name__ == "__main__":
    arguments = parse_args()
    with ExitStack() as files:
        blink = resources.files("azsphere_async") / "data/demo/azure_sphere_blink.imagepackage"
        catalog = {"blink": files.enter_context(resources.as_file(blink))}
        for item in arguments.image:
            name, _, path = item.partition("=")
            catalog[name] = Path(path)
        # uvicorn shuts down cleanly on Ctrl-C, then passes the interrupt on: that is the stop.
        with contextlib.suppress(KeyboardInterrupt):
            anyio.run(main, arguments, catalog)
    print("stopped", flush=True)
    sys.exit(0)
