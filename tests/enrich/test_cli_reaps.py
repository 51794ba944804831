"""`enrich index` with worker processes returns with none of its processes left:
the pool's workers are joined and multiprocessing's resource tracker is stopped and
waited for before the command exits (issue 17)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def _session_members(session: int) -> list[str]:
    """``pid (name) state`` of every process whose session is ``session``."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        name_end = stat.rindex(")")
        fields = stat[name_end + 2:].split()  # state ppid pgrp session ...
        if int(fields[3]) == session:
            found.append(stat[:name_end + 3])
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_index_with_workers_leaves_no_process_behind(tmp_path, corpus):
    # its own session: every process it starts, re-parented or not, is found by it
    command = [sys.executable, "-m", "enrich", "index", str(corpus), "--data",
               str(tmp_path / "data"), "--workers", "2"]
    process = subprocess.Popen(command, start_new_session=True, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT,
                               env={**os.environ, "OMP_THREAD_LIMIT": "1"})
    output, _ = process.communicate(timeout=600)
    left = _session_members(process.pid)
    assert process.returncode == 0, output.decode()[-2000:]
    assert left == [], left
    assert b"leaked" not in output, output.decode()[-2000:]
