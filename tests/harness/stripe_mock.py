"""stripe-mock, Stripe's official mock server (github.com/stripe/stripe-mock, a Go module that embeds Stripe's
OpenAPI spec and validates every request against it), started on a free loopback port for a test session.

`make install` builds it into .local/bin with `go install` when Go is present. It is stateless: it answers each
call with the spec's fixture for that resource (so it proves our requests are what Stripe's API accepts, not that
state is kept). Tests that need it skip, naming the install step, when it is absent.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ops.localdb import free_tcp_port

PROJECT_ROOT = Path(__file__).resolve().parents[2]
MISSING = "stripe-mock is not installed: run `make install` with Go on the PATH (it runs `go install` of stripe-mock)"


def stripe_mock_binary() -> Path | None:
    """STRIPE_MOCK_BIN, else .local/bin/stripe-mock, else stripe-mock on the PATH."""
    for candidate in (
        os.environ.get("STRIPE_MOCK_BIN"),
        str(PROJECT_ROOT / ".local" / "bin" / "stripe-mock"),
        shutil.which("stripe-mock"),
    ):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return Path(candidate)
    return None


@contextmanager
def running_stripe_mock(binary: Path, timeout_seconds: float = 30) -> Iterator[str]:
    """Yields the base URL (http://127.0.0.1:<port>) of a running stripe-mock; stops it afterwards."""
    port, tls_port = free_tcp_port(), free_tcp_port()
    # Both addresses given: with only one, it also takes its default port for the other (12111/12112).
    process = subprocess.Popen(
        [str(binary), "-http-addr", f"127.0.0.1:{port}", "-https-addr", f"127.0.0.1:{tls_port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_answering(url, process, timeout_seconds)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_answering(url: str, process: subprocess.Popen[bytes], timeout_seconds: float) -> None:
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
            raise RuntimeError(f"stripe-mock exited ({process.returncode}): {stderr[-2000:]}")
        try:
            # Any HTTP answer (401 without a key) means it is serving.
            with urllib.request.urlopen(f"{url}/v1/customers", timeout=1):
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"stripe-mock did not answer on {url} within {timeout_seconds}s")
