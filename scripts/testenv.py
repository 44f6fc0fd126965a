"""Provision the real components the tests need, run a command with them, and clean up.

PostgreSQL + PostGIS: use the server at GONGWU_TEST_PGHOST:GONGWU_TEST_PGPORT (default 127.0.0.1:5432, user
postgres, trust) when it answers, installing Debian's PostGIS package for its version if the extension is
missing; otherwise install PostgreSQL and PostGIS and start a throwaway cluster on a free loopback port.
Redis: use 127.0.0.1:6379 when it answers, otherwise start a throwaway redis-server on a free port.
The command runs with GONGWU_TEST_DATABASE_URL and GONGWU_TEST_REDIS_URL set. Never asks a person anything.

    python scripts/testenv.py -- pytest -q
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APT = str(ROOT / "scripts" / "apt-ensure")


def log(message: str) -> None:
    print(f">> {message}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _pg_probe(host: str, port: int) -> tuple[int, bool] | None:
    import asyncpg

    try:
        conn = await asyncpg.connect(host=host, port=port, user="postgres", database="postgres", timeout=3)
    except Exception:
        return None
    try:
        version = int(await conn.fetchval("SHOW server_version_num")) // 10000
        postgis = bool(await conn.fetchval("SELECT count(*) FROM pg_available_extensions WHERE name = 'postgis'"))
        return version, postgis
    finally:
        await conn.close()


def pg_probe(host: str, port: int) -> tuple[int, bool] | None:
    return asyncio.run(_pg_probe(host, port))


def run_as_postgres(*args: str) -> None:
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    subprocess.run([*prefix, *args], check=True, stdout=subprocess.DEVNULL)


@contextlib.contextmanager
def postgres() -> Iterator[str]:
    host = os.environ.get("GONGWU_TEST_PGHOST", "127.0.0.1")
    port = int(os.environ.get("GONGWU_TEST_PGPORT", "5432"))
    probe = pg_probe(host, port)
    if probe is not None:
        version, postgis = probe
        if not postgis:
            log(f"PostgreSQL {version} at {host}:{port} has no PostGIS; installing postgresql-{version}-postgis-3")
            subprocess.run([APT, f"postgresql-{version}-postgis-3"], check=True)
        log(f"using PostgreSQL {version} at {host}:{port}")
        yield f"postgresql+asyncpg://postgres@{host}:{port}/gongwu_test"
        return
    subprocess.run([APT, "postgresql", "postgresql-15-postgis-3"], check=True)
    initdb = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))[-1]
    bindir = Path(initdb).parent
    workdir = tempfile.mkdtemp(prefix="gongwu-pg-")
    shutil.chown(workdir, "postgres") if os.geteuid() == 0 else None
    port = free_port()
    log(f"starting a throwaway PostgreSQL on 127.0.0.1:{port}")
    run_as_postgres(str(initdb), "-D", f"{workdir}/data", "-U", "postgres", "--auth=trust", "-E", "UTF8")
    run_as_postgres(
        str(bindir / "pg_ctl"),
        "-D",
        f"{workdir}/data",
        "-w",
        "-l",
        f"{workdir}/log",
        "-o",
        f"-p {port} -k {workdir} -c listen_addresses=127.0.0.1 -c fsync=off",
        "start",
    )
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:{port}/gongwu_test"
    finally:
        run_as_postgres(str(bindir / "pg_ctl"), "-D", f"{workdir}/data", "-m", "immediate", "stop")
        shutil.rmtree(workdir, ignore_errors=True)


class ThrowawayPostgres:
    """A PostgreSQL cluster of our own on a free loopback port, for tests that stop and start the server (the
    shared one must never be restarted). ``start()`` / ``stop(mode)`` / ``remove()``; ``url(database)``."""

    def __init__(self, port: int | None = None) -> None:
        subprocess.run([APT, "postgresql", "postgresql-15-postgis-3"], check=True)
        initdb = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))[-1]
        self.bindir = Path(initdb).parent
        self.workdir = tempfile.mkdtemp(prefix="gongwu-pg-")
        if os.geteuid() == 0:
            shutil.chown(self.workdir, "postgres")
        self.port = port or free_port()
        run_as_postgres(str(initdb), "-D", f"{self.workdir}/data", "-U", "postgres", "--auth=trust", "-E", "UTF8")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.workdir} -c listen_addresses=127.0.0.1 -c fsync=off"
        run_as_postgres(
            str(self.bindir / "pg_ctl"), "-D", f"{self.workdir}/data", "-w", "-l", f"{self.workdir}/log",
            "-o", options, "start",
        )  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        """``fast`` (clean) or ``immediate`` (as after a crash: every connection dropped, recovery on start)."""
        run_as_postgres(str(self.bindir / "pg_ctl"), "-D", f"{self.workdir}/data", "-w", "-m", mode, "stop")

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop("immediate")
        shutil.rmtree(self.workdir, ignore_errors=True)


class ThrowawayRedis:
    """A redis-server of our own on a free loopback port (appendonly, fsync always: a kill loses nothing);
    ``kill()`` it, ``start()`` it again, or ``wipe()`` its files first (a Redis that lost its data)."""

    def __init__(self, port: int | None = None) -> None:
        if shutil.which("redis-server") is None:
            subprocess.run([APT, "redis-server"], check=True)
        self.port = port or free_port()
        self.workdir = tempfile.mkdtemp(prefix="gongwu-redis-")
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.workdir,
             "--save", "", "--appendonly", "yes", "--appendfsync", "always"],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        for _ in range(200):
            if redis_answers(self.port):
                return
            time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on {self.port}")

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
            self.proc = None

    def wipe(self) -> None:
        for entry in Path(self.workdir).iterdir():
            if entry.is_dir():
                shutil.rmtree(entry)
            else:
                entry.unlink()

    def remove(self) -> None:
        self.kill()
        shutil.rmtree(self.workdir, ignore_errors=True)


def redis_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@contextlib.contextmanager
def redis() -> Iterator[str]:
    port = int(os.environ.get("GONGWU_TEST_REDIS_PORT", "6379"))
    if redis_answers(port):
        log(f"using Redis at 127.0.0.1:{port}")
        yield f"redis://127.0.0.1:{port}/15"
        return
    subprocess.run([APT, "redis-server"], check=True)
    port = free_port()
    log(f"starting a throwaway Redis on 127.0.0.1:{port}")
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    for _ in range(100):
        if redis_answers(port):
            break
        time.sleep(0.05)
    try:
        yield f"redis://127.0.0.1:{port}/15"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)


def main(argv: list[str]) -> int:
    if "--" in argv:
        argv = argv[argv.index("--") + 1 :]
    if not argv:
        print(__doc__)
        return 2
    with postgres() as pg_url, redis() as redis_url:
        env = dict(os.environ, GONGWU_TEST_DATABASE_URL=pg_url, GONGWU_TEST_REDIS_URL=redis_url)
        return subprocess.run(argv, env=env).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
