"""Kill mfa while it writes: a forked child of a warm interpreter runs ``convert`` (to a CSV folder),
``reconcile -o`` or ``report`` over and over, alternating two parks, and is killed with SIGKILL after a
random (seeded) delay; the target must then be the complete output of one park or of the other, never a
mix, a part or nothing. Then two writers race to one folder: both must succeed.

    python -m tests.killer DIR SEED KILLS    # prints one JSON document
"""

from __future__ import annotations

import json
import os
import random
import signal
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.conftest import FLOWS, write_park  # noqa: E402


def _content(path: Path) -> object:
    if path.is_dir():
        return {p.name: p.read_bytes() for p in sorted(path.iterdir())}
    return path.read_bytes() if path.exists() else None


def _quiet_main(argv: list[str]) -> int:
    import contextlib
    import io

    import mfa.cli

    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return mfa.cli.main(argv)


def _loop_child(argvs: list[list[str]], go_fd: int | None = None) -> None:
    """The child: run the commands in turn until killed (or once each, in a race)."""
    try:
        if go_fd is not None:
            os.read(go_fd, 1)
            codes = [_quiet_main(a) for a in argvs]
            os._exit(max(codes))
        while True:
            for a in argvs:
                _quiet_main(a)
    finally:
        os._exit(99)


def campaign(root: Path, seed: int, kills: int) -> dict:
    root.mkdir(parents=True, exist_ok=True)
    a = write_park(root / "A")
    b = write_park(root / "B", flows=FLOWS.replace(",100,", ",140,").replace(",50,", ",90,"))
    jobs = {
        "convert": (lambda src, out: ["convert", str(src), str(out)], "out_folder"),
        "reconcile": (lambda src, out: ["reconcile", str(src), "-o", str(out)], "out.yaml"),
        "report": (lambda src, out: ["report", str(src), "-o", str(out)], "report.html"),
    }
    refs: dict[str, list] = {}
    durations: dict[str, float] = {}
    for name, (argv, target) in jobs.items():
        refs[name] = []
        for src in (a, b):
            out = root / "ref" / src.name / target
            out.parent.mkdir(parents=True, exist_ok=True)
            t0 = time.monotonic()
            _quiet_main(argv(src, out))  # in this process: the imports are warm for every child
            t0 = time.monotonic()
            code = _quiet_main(argv(src, out))
            durations[name] = max(durations.get(name, 0.0), time.monotonic() - t0)
            assert code == 0, (name, code)
            refs[name].append(_content(out))
    rng = random.Random(seed)
    outcomes: list[dict] = []
    names = list(jobs)
    for k in range(kills):
        name = names[k % len(names)]
        argv, target = jobs[name]
        out = root / "kill" / name / target
        if not out.exists():  # the target starts as the complete output of A: it must never be lost
            out.parent.mkdir(parents=True, exist_ok=True)
            assert _quiet_main(argv(a, out)) == 0
        pid = os.fork()
        if pid == 0:
            _loop_child([argv(a, out), argv(b, out)])
        # delays spread over two whole runs, so that kills land in reading, computing and writing alike
        time.sleep(rng.uniform(0.05, 2 * durations[name] + 0.05))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        got = _content(out)
        state = "absent" if got is None else "A" if got == refs[name][0] else "B" if got == refs[name][1] else "mixed"
        outcomes.append({"command": name, "state": state})
    # after the kills, one more write succeeds and leaves nothing hidden behind
    leftovers = {}
    for name, (argv, target) in jobs.items():
        out = root / "kill" / name / target
        code = _quiet_main_in_fork(argv(a, out))
        leftovers[name] = {"code": code, "same": _content(out) == refs[name][0],
                           "hidden": sorted(p.name for p in out.parent.iterdir() if p.name.startswith("."))}
    # two writers racing to one folder, started together: both succeed, the folder is one of theirs
    races = []
    for r in range(4):
        out = root / "race" / f"r{r}"
        out.parent.mkdir(parents=True, exist_ok=True)
        if r % 2:  # an existing folder, too
            _quiet_main_in_fork(jobs["convert"][0](a, out))
        rfd, wfd = os.pipe()
        pids = []
        for src in (a, b):
            pid = os.fork()
            if pid == 0:
                os.close(wfd)
                _loop_child([jobs["convert"][0](src, out)] * 3, go_fd=rfd)
            pids.append(pid)
        os.close(rfd)
        os.write(wfd, b"gg")
        os.close(wfd)
        codes = [os.waitstatus_to_exitcode(os.waitpid(p, 0)[1]) for p in pids]
        got = _content(out)
        races.append({"codes": codes, "state": "A" if got == refs["convert"][0] else "B"
                      if got == refs["convert"][1] else "mixed",
                      "hidden": sorted(p.name for p in out.parent.iterdir() if p.name.startswith("."))})
    return {"outcomes": outcomes, "leftovers": leftovers, "races": races, "durations": durations}


def _quiet_main_in_fork(argv: list[str]) -> int:
    pid = os.fork()
    if pid == 0:
        try:
            code = _quiet_main(argv)
        finally:
            os._exit(locals().get("code", 99))
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


if __name__ == "__main__":
    import mfa.cli  # noqa: F401 - warm: the children start at once
    import mfa.io.readers  # noqa: F401

    print(json.dumps(campaign(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))))
