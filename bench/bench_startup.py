"""Benchmark: how fast ``mfa check wuhai`` starts and ends (issue 13 item 3: under 0.5 s).

Each figure is a fresh process, as a user meets it, with mfa's bytecode cached as an installed package has it
(``PYTHONDONTWRITEBYTECODE`` is removed from the environment and one warm-up run writes the cache). Timed in
alternation, ``runs`` times each, in the same minute:

* ``mfa check wuhai`` — the command (its console entry point, ``mfa.cli:console``);
* ``python -c "import pandas"`` — the floor: mfa reads and checks with pandas;
* ``python -c "import pandas, scipy.sparse"`` — pandas plus the solver's sparse matrices.

Wall time (``time.perf_counter`` around ``subprocess.run``) and the child's CPU time (``os.wait4``); median and
minimum of each, and the command's median over the floor's. On a shared machine the CPU figures repeat better
than the wall figures; the load average is printed.

Run from the repository root: ``python -m bench.bench_startup [runs]``.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time

TARGET = 0.5


def _timed(cmd: list[str], env: dict) -> tuple[float, float]:
    """Wall and CPU seconds of one run of ``cmd`` in a fresh process (its output discarded)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} exited with {proc.returncode}")
    return wall, usage.ru_utime + usage.ru_stime


def main(runs: int = 15) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    mfa_cmd = shutil.which("mfa", path=os.path.dirname(sys.executable)) or shutil.which("mfa")
    check = [mfa_cmd, "check", "wuhai"] if mfa_cmd else [sys.executable, "-m", "mfa", "check", "wuhai"]
    cases = {"mfa check wuhai": check,
             "import pandas": [sys.executable, "-c", "import pandas"],
             "import pandas, scipy.sparse": [sys.executable, "-c", "import pandas, scipy.sparse"]}
    for cmd in cases.values():
        _timed(cmd, env)  # writes the bytecode cache, warms the file cache
    times: dict[str, list[tuple[float, float]]] = {k: [] for k in cases}
    load0 = os.getloadavg()[0]
    for _ in range(runs):
        for name, cmd in cases.items():
            times[name].append(_timed(cmd, env))
    load1 = os.getloadavg()[0]
    print(f"fresh processes, {runs} runs each in alternation, load average {load0:.1f} → {load1:.1f} "
          f"on {os.cpu_count()} CPUs")
    print(f"  {'':30s} {'wall median':>11s} {'wall min':>9s} {'CPU median':>11s} {'CPU min':>8s}")
    med = {}
    for name, t in times.items():
        wall, cpu = [w for w, _ in t], [c for _, c in t]
        med[name] = (statistics.median(wall), statistics.median(cpu))
        print(f"  {name:30s} {med[name][0]:10.3f}s {min(wall):8.3f}s {med[name][1]:10.3f}s {min(cpu):7.3f}s")
    ck, pd_ = med["mfa check wuhai"], med["import pandas"]
    print(f"  mfa check wuhai / import pandas: wall {ck[0] / pd_[0]:.2f}×, CPU {ck[1] / pd_[1]:.2f}×")
    print(f"  target: mfa check wuhai < {TARGET} s — median wall {ck[0]:.3f} s: "
          + ("met" if ck[0] < TARGET else "NOT met") + f" (CPU {ck[1]:.3f} s)")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:2]))
