"""CPU seconds of processes on this machine, read from /proc: the benches' "CPU per operation"
(their own process, their PostgreSQL backend) is robust where wall-clock rates are not."""

import os
from pathlib import Path


def proc_cpu_seconds(pid: int, *, reaped: bool = False) -> float | None:
    """User + system CPU seconds process `pid` has used; None where /proc cannot tell (the
    process is gone, or runs on another machine, like a remote database server's backend).
    With `reaped`, also its children's that ended and it waited for (cutime + cstime): a
    gunicorn master's retired workers, a postmaster's closed backends."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    ticks = int(fields[11]) + int(fields[12])  # utime + stime
    if reaped:
        ticks += int(fields[13]) + int(fields[14])  # cutime + cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def proc_parent(pid: int) -> int | None:
    """The parent's PID of process `pid` (None: gone or not on this machine)."""
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def backend_pid(connection) -> int:
    """The PID of `connection`'s PostgreSQL backend."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def backend_cpu_reader(connection):
    """A function giving the CPU seconds `connection`'s PostgreSQL backend used so far, when the
    server runs on this machine; else one giving NaN."""
    pid = backend_pid(connection)

    def read() -> float:
        seconds = proc_cpu_seconds(pid)
        return float("nan") if seconds is None else seconds

    return read


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (the machine a figure comes from)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return os.uname().machine
