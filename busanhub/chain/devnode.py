"""Runs a local anvil node from the npm package @foundry-rs/anvil (dev, tests, benchmarks)."""

import glob
import json
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def anvil_binary() -> str:
    """The native anvil binary that npm installed (`make` runs `npm ci`)."""
    for candidate in sorted(glob.glob(str(ROOT / "node_modules/@foundry-rs/anvil-*/bin/anvil"))):
        return candidate
    wrapper = ROOT / "node_modules/.bin/anvil"
    if wrapper.exists():
        return str(wrapper)
    found = shutil.which("anvil")
    if found:
        return found
    raise FileNotFoundError("anvil not found: run `npm ci` (package.json pins @foundry-rs/anvil)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rpc(url: str, method: str, params: list | None = None, timeout: float = 5):
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []})
    if not url.startswith(("http://", "https://")):
        raise ValueError("an RPC URL is http(s)")
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        url, data=body.encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - local node
        answer = json.loads(response.read())
    if "error" in answer:
        raise RuntimeError(f"{method}: {answer['error']}")
    return answer["result"]


class Anvil:
    """A running anvil process. `stop()` and `start()` again on the same port (tests of an
    unreachable node); `state_path` persists the chain across restarts (dev)."""

    def __init__(
        self,
        *,
        port: int | None = None,
        state_path: str | None = None,
        block_time: float | None = None,
        extra_args: list[str] | None = None,
    ):
        self.port = port or free_port()
        self.state_path = state_path
        self.block_time = block_time
        self.extra_args = extra_args or []
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        args = [anvil_binary(), "--host", "127.0.0.1", "--port", str(self.port), "--silent"]
        if self.state_path:
            args += ["--state", self.state_path]
        if self.block_time:
            args += ["--block-time", str(self.block_time)]
        return args + self.extra_args

    def start(self, timeout: float = 30) -> "Anvil":
        self.process = subprocess.Popen(
            self.command(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"anvil exited with {self.process.returncode}")
            try:
                rpc(self.url, "eth_chainId", timeout=1)
                return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise TimeoutError("anvil did not answer in time")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def call(self, method: str, *params):
        return rpc(self.url, method, list(params))


def main(argv: list[str] | None = None) -> None:
    """`python -m busanhub.chain.devnode --state var/chain-state.json`: anvil in the foreground."""
    import argparse
    import os

    parser = argparse.ArgumentParser(description="Run the local anvil node of BusanHub.")
    parser.add_argument("--port", type=int, default=8545)
    parser.add_argument("--state", help="file the chain is loaded from and saved to")
    parser.add_argument("--block-time", type=float, help="mine a block every N seconds")
    parser.add_argument("--verbose", action="store_true", help="print anvil's banner and logs")
    args = parser.parse_args(argv)
    node = Anvil(port=args.port, state_path=args.state, block_time=args.block_time)
    command = [arg for arg in node.command() if args.verbose is False or arg != "--silent"]
    os.execv(command[0], command)  # noqa: S606 - the pinned npm binary, our own arguments


if __name__ == "__main__":
    main()
