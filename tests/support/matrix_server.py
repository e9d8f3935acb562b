"""A real Synapse homeserver for tests, run from its own virtualenv and driven over HTTP.

Synapse lives in ``.venv-synapse`` (not the project's venv) because its pinned dependencies (Twisted, cryptography,
its Rust extension) must not leak into the project's. This module only uses the standard library plus PyYAML (a
project dependency), so the test process never imports Synapse: it writes a config, starts
``.venv-synapse/bin/python -m synapse.app.homeserver`` as a subprocess and talks to it on 127.0.0.1.

Typical use (see tests/test_matrix_server.py for a pytest fixture)::

    server = SynapseServer(tmp_path / "synapse")
    server.start()
    admin = server.register("admin", admin=True)
    server.request("GET", "/_synapse/admin/v1/rooms", token=admin.access_token)
    server.restart()  # same port, same SQLite database: tokens stay valid
    server.stop()
"""

from __future__ import annotations

import atexit
import base64
import hashlib
import hmac
import json
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
SYNAPSE_PYTHON = ROOT / ".venv-synapse" / "bin" / "python"

# Far above anything a test does: Synapse's defaults (e.g. 10 messages then 0.2/s) would make tests flaky or slow.
_FAST = {"per_second": 100_000, "burst_count": 1_000_000}
RATE_LIMITS: dict[str, Any] = {
    "rc_message": _FAST,
    "rc_registration": _FAST,
    "rc_registration_token_validity": _FAST,
    "rc_login": {"address": _FAST, "account": _FAST, "failed_attempts": _FAST},
    "rc_joins": {"local": _FAST, "remote": _FAST},
    "rc_joins_per_room": _FAST,
    # This Synapse calls the per-sender invite limit ``per_issuer``.
    "rc_invites": {"per_room": _FAST, "per_user": _FAST, "per_issuer": _FAST},
    "rc_third_party_invite": _FAST,
    "rc_admin_redaction": _FAST,
    "rc_3pid_validation": _FAST,
    "rc_room_creation": _FAST,
    "rc_media_create": _FAST,
    "rc_key_requests": _FAST,
    "rc_presence": {"per_user": _FAST},
    "rc_delayed_event_mgmt": _FAST,
    "rc_reports": _FAST,
    "rc_user_directory": _FAST,
    "rc_profile": _FAST,
}


class SynapseError(RuntimeError):
    """Synapse failed to start or stop; the message carries the tail of its logs."""


class MatrixHTTPError(RuntimeError):
    """A non-2xx answer, kept whole so a test can assert on ``status`` and ``errcode``."""

    def __init__(self, method: str, path: str, status: int, body: Any) -> None:
        self.status = status
        self.body = body
        self.errcode = body.get("errcode") if isinstance(body, dict) else None
        super().__init__(f"{method} {path} -> HTTP {status}: {body}")


@dataclass(frozen=True)
class MatrixUser:
    """A registered account, with the access token of the device registration created."""

    user_id: str
    access_token: str
    device_id: str
    password: str


def synapse_available(python: Path = SYNAPSE_PYTHON) -> bool:
    """Whether the Synapse venv exists (tests skip otherwise)."""
    return python.exists()


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (the OS picks it, so parallel runs do not collide)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tail(path: Path, lines: int = 40) -> str:
    if not path.exists():
        return f"({path.name}: missing)"
    text = path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
    return f"--- {path.name} (last {len(text)} lines) ---\n" + "\n".join(text)


class SynapseServer:
    """One Synapse process over one data directory; start/stop/restart keep the port and the SQLite database."""

    def __init__(
        self,
        data_dir: Path,
        *,
        server_name: str = "localhost",
        port: int | None = None,
        python: Path = SYNAPSE_PYTHON,
        extra_config: dict[str, Any] | None = None,
    ) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.server_name = server_name
        self.python = python
        self.extra_config = extra_config or {}
        self.config_path = self.data_dir / "homeserver.yaml"
        self.log_path = self.data_dir / "homeserver.log"
        self.console_path = self.data_dir / "console.log"
        self._proc: subprocess.Popen[bytes] | None = None
        if self.config_path.exists():
            # Reopening an existing data dir (e.g. in a second fixture) keeps its port, secrets and signing key.
            config = yaml.safe_load(self.config_path.read_text(encoding="utf-8"))
            self.port = int(config["listeners"][0]["port"])
            self.shared_secret = str(config["registration_shared_secret"])
        else:
            self.port = port or free_port()
            self.shared_secret = secrets.token_urlsafe(32)

    @property
    def base_url(self) -> str:
        """Homeserver URL for clients (the bot's ``homeserver`` setting)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        """PID of the running Synapse (also its process group id), or None when stopped."""
        return self._proc.pid if self._proc is not None and self._proc.poll() is None else None

    def write_config(self) -> Path:
        """Write homeserver.yaml, the log config and a signing key, once: later calls keep the existing ones."""
        if self.config_path.exists():
            return self.config_path
        self.data_dir.mkdir(parents=True, exist_ok=True)
        signing_key = self.data_dir / "signing.key"
        # Synapse's key file is "ed25519 <key id> <unpadded base64 of a 32-byte seed>": written here, it saves a
        # second Synapse start (``--generate-keys``, about 2 s).
        seed = base64.b64encode(secrets.token_bytes(32)).decode("ascii").rstrip("=")
        signing_key.write_text(f"ed25519 a_{secrets.token_hex(2)} {seed}\n", encoding="utf-8")
        log_config = self.data_dir / "log.config.yaml"
        log_config.write_text(
            yaml.safe_dump(
                {
                    "version": 1,
                    "formatters": {
                        "precise": {"format": "%(asctime)s - %(name)s - %(lineno)d - %(levelname)s - %(message)s"}
                    },
                    "handlers": {
                        "file": {
                            "class": "logging.FileHandler",
                            "formatter": "precise",
                            "filename": str(self.log_path),
                            "encoding": "utf8",
                        }
                    },
                    "root": {"level": "WARNING", "handlers": ["file"]},
                    "disable_existing_loggers": False,
                }
            ),
            encoding="utf-8",
        )
        config: dict[str, Any] = {
            "server_name": self.server_name,
            "public_baseurl": self.base_url + "/",
            # Client API only (the admin API rides on it); no federation listener, no IPv6, no metrics.
            "listeners": [
                {
                    "port": self.port,
                    "bind_addresses": ["127.0.0.1"],
                    "type": "http",
                    "tls": False,
                    "x_forwarded": False,
                    "resources": [{"names": ["client"], "compress": False}],
                }
            ],
            "database": {"name": "sqlite3", "args": {"database": str(self.data_dir / "homeserver.db")}},
            "log_config": str(log_config),
            "media_store_path": str(self.data_dir / "media_store"),
            "enable_media_repo": True,
            "url_preview_enabled": False,
            "signing_key_path": str(signing_key),
            "registration_shared_secret": self.shared_secret,
            "macaroon_secret_key": secrets.token_urlsafe(32),
            "form_secret": secrets.token_urlsafe(32),
            "enable_registration": False,
            "report_stats": False,
            "enable_metrics": False,
            "bcrypt_rounds": 4,
            # Offline: never contact matrix.org or any other server.
            "federation_domain_whitelist": [],
            "trusted_key_servers": [],
            "suppress_key_server_warning": True,
            "presence": {"enabled": False},
            **RATE_LIMITS,
            **self.extra_config,
        }
        self.config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
        return self.config_path

    def start(self, timeout: float = 60.0) -> float:
        """Start Synapse and wait until the client API answers; returns the seconds it took."""
        if self.pid is not None:
            raise SynapseError(f"Synapse already running (pid {self.pid})")
        if not self.python.exists():
            raise SynapseError(f"{self.python} does not exist: create the .venv-synapse virtualenv first")
        self.write_config()
        # The project's venv must not leak into Synapse's interpreter.
        env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"}}
        started = time.monotonic()
        with self.console_path.open("ab") as console:
            self._proc = subprocess.Popen(
                [str(self.python), "-m", "synapse.app.homeserver", "-c", str(self.config_path)],
                cwd=self.data_dir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=console,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # own process group: stop() signals Synapse and nothing else
            )
        atexit.register(self.stop)  # a crashed test run must not leave Synapse behind
        deadline = started + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                code = self._proc.returncode
                self._proc = None
                atexit.unregister(self.stop)
                raise SynapseError(f"Synapse exited with code {code} during start\n{self._logs()}")
            try:
                with urllib.request.urlopen(self.base_url + "/_matrix/client/versions", timeout=2) as response:
                    if response.status == 200:
                        return time.monotonic() - started
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
        self.stop()
        raise SynapseError(f"Synapse not ready on {self.base_url} after {timeout:.0f} s\n{self._logs()}")

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM the process group, then SIGKILL if it has not exited within ``timeout`` seconds."""
        proc, self._proc = self._proc, None
        atexit.unregister(self.stop)
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        except ProcessLookupError:
            proc.wait(timeout=10)

    def restart(self, timeout: float = 60.0) -> float:
        """Stop and start again on the same port and data dir (what a bot sees as a homeserver restart)."""
        started = time.monotonic()
        self.stop()
        self.start(timeout=timeout)
        return time.monotonic() - started

    def peak_rss_kib(self) -> int | None:
        """Peak resident memory of the running Synapse in KiB (Linux /proc VmHWM), or None if unknown."""
        pid = self.pid
        if pid is None:
            return None
        try:
            status = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
        except OSError:
            return None
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        return None

    def request(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        body: Any = None,
        timeout: float = 30.0,
    ) -> Any:
        """One JSON request to the homeserver; raises MatrixHTTPError on a non-2xx answer."""
        data = None if body is None else json.dumps(body).encode("utf-8")
        req = urllib.request.Request(self.base_url + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        if token is not None:
            req.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as err:
            raw = err.read()
            try:
                detail = json.loads(raw)
            except ValueError:
                detail = raw.decode("utf-8", errors="replace")
            raise MatrixHTTPError(method, path, err.code, detail) from None
        return json.loads(raw) if raw else {}

    def register(
        self,
        username: str,
        password: str | None = None,
        *,
        admin: bool = False,
        displayname: str | None = None,
    ) -> MatrixUser:
        """Create an account through the shared-secret admin API (works with ``enable_registration: false``)."""
        password = password or secrets.token_urlsafe(16)
        nonce = self.request("GET", "/_synapse/admin/v1/register")["nonce"]
        mac = hmac.new(self.shared_secret.encode("utf-8"), digestmod=hashlib.sha1)
        role = b"admin" if admin else b"notadmin"
        mac.update(b"\x00".join([nonce.encode(), username.encode(), password.encode(), role]))
        body: dict[str, Any] = {
            "nonce": nonce,
            "username": username,
            "password": password,
            "admin": admin,
            "mac": mac.hexdigest(),
        }
        if displayname is not None:
            body["displayname"] = displayname
        answer = self.request("POST", "/_synapse/admin/v1/register", body=body)
        return MatrixUser(answer["user_id"], answer["access_token"], answer["device_id"], password)

    def __enter__(self) -> SynapseServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _logs(self) -> str:
        return f"{_tail(self.console_path)}\n{_tail(self.log_path)}"
