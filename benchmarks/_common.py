"""Helpers shared by the ``bench_*.py`` scripts: devices, clocks, memory, data, output.

Nothing here is part of the ``sklearn_ae`` API. The scripts import it as a sibling
module (``python benchmarks/bench_pca.py`` puts ``benchmarks/`` on ``sys.path``), and
the smoke tests put the folder on ``sys.path`` themselves.
"""

import csv
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import tracemalloc
from contextlib import contextmanager
from pathlib import Path

import numpy as np

#: Where results go unless ``--out`` says otherwise (git-ignored); the published ones
#: are in ``docs/benchmarks/``.
RESULTS_DIR = Path(__file__).resolve().parent / "results"

MB = 2.0**20


# ----------------------------------------------------------------- devices
def resolve_device(device):
    """The ``--device`` option as the estimators resolve it, as a string (``"auto"`` too).

    :func:`sklearn_ae._utils.resolve_device` does the work; a device that this machine
    does not have ends the script with its message.
    """
    from sklearn_ae._utils import resolve_device as _resolve

    try:
        return str(_resolve(device))
    except ValueError as exc:
        raise SystemExit(str(exc)) from None


def synchronize(device):
    """Wait for queued GPU work, so that a clock read after it measures the work."""
    if str(device).startswith("cuda"):
        import torch

        torch.cuda.synchronize(device)


def set_threads(n_threads):
    """Use ``n_threads`` threads in torch and in NumPy/SciPy's BLAS; 0 keeps the defaults.

    On a small or shared machine one thread is the fastest and by far the steadiest
    setting for small networks: with several, every operator waits at a barrier for
    its slowest thread, and a thread the OS has parked on a busy core stalls them all.
    """
    if not n_threads:
        return
    import torch

    torch.set_num_threads(n_threads)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - installed with scikit-learn
        return
    # Kept for the life of the process: the limits are global to the libraries anyway.
    set_threads.limits = threadpool_limits(n_threads)


def add_threads_argument(parser, default):
    parser.add_argument(
        "--threads",
        type=int,
        default=default,
        help="threads for torch and BLAS (0: the libraries' defaults); one is fastest "
        "for small networks and steadiest on a shared machine",
    )


# ------------------------------------------------------------------ clocks
def timed(fn, device="cpu"):
    """``(result, seconds)`` of one call, with the device synchronised on both sides."""
    synchronize(device)
    start = time.perf_counter()
    result = fn()
    synchronize(device)
    return result, time.perf_counter() - start


def median_time(fn, *, device="cpu", repeats=3, min_seconds=0.0):
    """Median wall time of ``fn()`` over ``repeats`` calls (more while under ``min_seconds``).

    Very fast calls are repeated until ``min_seconds`` of total time has elapsed, so
    that the median is not a measurement of the clock's resolution.
    """
    times = []
    while len(times) < repeats or (sum(times) < min_seconds and len(times) < 1000):
        times.append(timed(fn, device)[1])
    return statistics.median(times)


# ------------------------------------------------------------------ memory
def proc_status_kb(field):
    """A ``/proc/self/status`` field in KiB (``VmRSS``, ``RssAnon``, ...), or None off Linux."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _reset_rss_peak():
    """Reset the kernel's resident-memory high-water mark (Linux >= 4.0); False elsewhere."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


#: Environment of a memory probe: every allocation from 64 KiB up gets its own mmap.
PROBE_ENV = {"MALLOC_MMAP_THRESHOLD_": str(64 * 1024), "MALLOC_TOP_PAD_": "0"}


@contextmanager
def peak_memory(device="cpu"):
    """Measure the peak memory of the block, in MB above what was in use when it started.

    Yields a dict filled on exit with

    - ``python_MB``: peak of Python and NumPy allocations (:mod:`tracemalloc`); torch's
      CPU allocator is invisible to it;
    - ``rss_MB``: rise of the whole process's resident-memory high-water mark, torch's
      CPU tensors included (Linux ``VmHWM`` after resetting it; NaN elsewhere);
    - ``cuda_MB``: ``torch.cuda.max_memory_allocated`` above the start (NaN on the CPU).

    ``rss_MB`` is only meaningful in a process started by :func:`run_probe`. In a
    process that has already freed large blocks, the C allocator hands them out
    again without the resident size moving, or spreads new blocks over pages it had
    returned: the reading can be far too low or too high. Tracing also slows Python
    code, so keep this out of timed code.
    """
    out = {"python_MB": float("nan"), "rss_MB": float("nan"), "cuda_MB": float("nan")}
    cuda = str(device).startswith("cuda")
    if cuda:
        import torch

        synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
        cuda_base = torch.cuda.memory_allocated(device)
    rss_base = proc_status_kb("VmRSS") if _reset_rss_peak() else None
    tracemalloc.start()
    try:
        yield out
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        out["python_MB"] = peak / MB
        if rss_base is not None:
            hwm = proc_status_kb("VmHWM")
            if hwm is not None:
                out["rss_MB"] = max(hwm - rss_base, 0) / 1024
        if cuda:
            synchronize(device)
            out["cuda_MB"] = (torch.cuda.max_memory_allocated(device) - cuda_base) / MB


def run_probe(module, function, kwargs, *, timeout=3600):
    """``module.function(**kwargs)`` in a fresh Python process set up to measure memory.

    Memory is measured apart from the timings, in a process where glibc serves every
    allocation of 64 KiB or more with its own ``mmap`` and returns it on free
    (``MALLOC_MMAP_THRESHOLD_``), so that the resident size follows what is allocated.
    That setting slows allocation-heavy code down, which is why the timed runs do
    not use it. ``kwargs`` and the result travel as JSON.
    """
    code = (
        "import json, sys; sys.path.insert(0, sys.argv[1]); "
        f"from {module} import {function} as f; "
        "print('\\nPROBE-RESULT ' + json.dumps(f(**json.loads(sys.argv[2]))))"
    )
    env = {**os.environ, **PROBE_ENV}
    done = subprocess.run(
        [sys.executable, "-c", code, str(Path(__file__).resolve().parent), json.dumps(kwargs)],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )
    for line in reversed(done.stdout.splitlines()):
        if line.startswith("PROBE-RESULT "):
            return json.loads(line[len("PROBE-RESULT ") :])
    raise RuntimeError(
        f"memory probe {module}.{function} failed (exit {done.returncode}):\n" + done.stderr[-3000:]
    )


def probe_self_check(n_bytes):
    """Allocate and free ``n_bytes`` twice under :func:`peak_memory` (tests the probe)."""
    with peak_memory() as mem:
        for _ in range(2):
            block = np.ones(n_bytes, dtype=np.uint8)
            del block
    return mem


# -------------------------------------------------------------------- data
def mnist_or_random(n_samples=8000, *, mnist_path=None, seed=0, data="mnist"):
    """MNIST-sized training data: the real digits, or uniform noise with ``data="random"``.

    Returns ``(X, source)`` with ``X`` float32 of shape ``(n_samples, 784)``: the first
    ``n_samples`` MNIST digits (the repository's copy unless ``mnist_path`` or
    ``$SKLEARN_AE_MNIST`` say otherwise), resampled (with replacement) when more are
    asked for than MNIST's 10,000. Missing files are an error, never a silent switch
    to noise.
    """
    from sklearn_ae.datasets import load_mnist

    rng = np.random.default_rng(seed)
    if data == "random":
        return rng.random((n_samples, 784), dtype=np.float32), "random uniform [0, 1]"
    X = load_mnist(mnist_path)[0]
    if n_samples <= len(X):
        return np.ascontiguousarray(X[:n_samples]), "MNIST"
    return X[rng.integers(len(X), size=n_samples)], "MNIST resampled"


# ------------------------------------------------------------------ output
def environment():
    """One line that says where the numbers were measured."""
    import torch

    threads = torch.get_num_threads()
    return (
        f"Python {platform.python_version()}, torch {torch.__version__}, "
        f"{os.cpu_count()} CPU cores visible, {threads} torch threads, {platform.machine()}"
        + (f", {torch.cuda.get_device_name()}" if torch.cuda.is_available() else "")
    )


def write_csv(rows, path, columns):
    """Write dicts as CSV with the given column order (missing keys are blank)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _csv_value(row.get(k)) for k in columns})
    return path


def _csv_value(value):
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return value


def markdown_table(rows, columns, headers=None, formats=None):
    """A GitHub-flavoured Markdown table; NaN and None print as an em dash."""
    headers = headers or columns
    formats = formats or {}
    lines = [
        "| " + " | ".join(headers) + " |",
        "|" + "|".join("---:" if _numeric(rows, c) else "---" for c in columns) + "|",
    ]
    for row in rows:
        cells = []
        for c in columns:
            value = row.get(c)
            if value is None or (isinstance(value, float) and np.isnan(value)):
                cells.append("—")
            elif c in formats:
                cells.append(formats[c].format(value))
            else:
                cells.append(str(value))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _numeric(rows, column):
    return any(isinstance(r.get(column), (int, float, np.number)) for r in rows)


def command_line():
    """The command that produced the results, for the result files."""
    args = " ".join(sys.argv[1:])
    script = Path(sys.argv[0]).as_posix()
    if "benchmarks/" in script:
        script = "benchmarks/" + script.split("benchmarks/", 1)[1]
    return f"python {script} {args}".rstrip()


def progress(iterable, **kwargs):
    """A tqdm progress bar on stderr, or the bare iterable when tqdm is absent."""
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover - tqdm is an optional extra
        return iterable
    return tqdm(iterable, **kwargs)


def pyplot():
    """matplotlib's pyplot on a non-interactive backend, or None (with a note) if absent."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib import pyplot as plt
    except ImportError:  # pragma: no cover - matplotlib is an optional extra
        print("matplotlib is not installed: no plots (the CSV and Markdown are written).")
        return None
    return plt
