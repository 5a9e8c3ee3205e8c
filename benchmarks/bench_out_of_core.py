"""Can the estimators train on data larger than a memory budget, and what does reading
it lazily cost?

An ``AutoencoderTransformer(n_components=8, max_iter=1, batch_size=1024,
random_state=0)`` (its default 256-64 hidden layers and their mirror) is fitted for one
epoch, then ``transform`` encodes the same rows, on three sources of float32 rows:

- ``memmap``: an ``np.memmap`` of ``--rows`` x ``--features`` (default 2,000,000 x 256:
  2 GB) in a file under ``--tmpdir``, written ``--chunk-rows`` rows at a time so that
  writing it never holds it in memory, then flushed to disk and dropped from the page
  cache (``posix_fadvise``, where available) so that the first pass reads the disk;
- ``dask``: ``dask.array.random.default_rng(seed).random(...)`` of the same shape in
  row chunks of ``--chunk-rows``, generated lazily as it is read and never stored;
- ``in-memory``: a plain NumPy array of ``--in-memory-rows`` rows (default: as many as
  the lazy sources, which fit in this machine's memory), the reference: the
  estimators' usual path, which holds the array and its copy on the device.

Each source runs in a fresh Python process of its own, so that its peak resident
memory is measured alone. The process imports torch, ``sklearn_ae`` and the source's
library, notes its resident size (the baseline: the interpreter and the libraries),
creates or opens the source (the in-memory array is made there, so its peak includes
the array, as it must), fits, transforms, and reports:

- the peak resident size (``VmHWM`` on Linux, ``ru_maxrss`` elsewhere), the peak above
  the baseline, and whether the peak is under ``--budget-gb``. It counts the pages of a
  mapped file that the process has touched while they stay resident (``fit`` lets a
  memmap's pages go once it has copied a block, so they do not pile up). Hence also
- the peak anonymous resident size (``RssAnon``, sampled every 10 ms; Linux only),
  also above its own baseline: the memory that the process itself allocated and
  cannot give back without freeing it, neither the libraries' code nor a mapped file.
- fit and transform throughput in rows per second (fit: ``n_samples * max_iter / fit
  seconds``; the fit includes the estimator's pass over the data after training, for
  the statistics that ``sample`` draws from, and from a lazy source a first pass that
  checks every block: three reads of the data in all).

Memory is in MiB (``MB`` in the tables), the budget in GiB.

Run::

    python benchmarks/bench_out_of_core.py                  # 2 GB: memmap, dask, in memory
    python benchmarks/bench_out_of_core.py --sources memmap --tmpdir /data/tmp --budget-gb 2
    python benchmarks/bench_out_of_core.py --quick          # a smoke run: 20,000 x 32
"""

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

import numpy as np
from _common import (
    MB,
    RESULTS_DIR,
    add_threads_argument,
    command_line,
    environment,
    markdown_table,
    proc_status_kb,
    set_threads,
    write_csv,
)

SOURCES = ("memmap", "dask", "in-memory")
N_COMPONENTS = 8
MAX_ITER = 1
BATCH_SIZE = 1024
DTYPE = np.float32

#: ``(default, --quick)`` of the size options.
SIZES = {
    "rows": (2_000_000, 20_000),
    "features": (256, 32),
    "chunk_rows": (100_000, 5_000),
    # The same rows as the lazy sources: on this 24 GB machine 2 GB fit in memory
    # (twice: the array and its tensor), so throughput compares like with like.
    "in_memory_rows": (2_000_000, 5_000),
}

COLUMNS = [
    "source",
    "n_samples",
    "n_features",
    "chunk_rows",
    "data_MB",
    "data_s",
    "fit_s",
    "fit_rows_per_s",
    "transform_s",
    "transform_rows_per_s",
    "baseline_rss_MB",
    "peak_rss_MB",
    "peak_over_baseline_MB",
    "baseline_anon_MB",
    "peak_anon_MB",
    "peak_anon_over_baseline_MB",
    "budget_MB",
    "under_budget",
]

RESULT_PREFIX = "OUT-OF-CORE-RESULT "


def make_estimator():
    from sklearn_ae import AutoencoderTransformer

    return AutoencoderTransformer(
        n_components=N_COMPONENTS, max_iter=MAX_ITER, batch_size=BATCH_SIZE, random_state=0
    )


# ------------------------------------------------------------------ memory
def peak_rss_kb():
    """The process's resident-memory high-water mark in KiB.

    ``VmHWM`` on Linux: ``ru_maxrss`` there survives ``exec``, so a child
    would report its parent's size if that was larger. ``ru_maxrss`` elsewhere.
    """
    peak = proc_status_kb("VmHWM")
    if peak is not None:
        return peak
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 if sys.platform == "darwin" else peak  # bytes on macOS


class AnonymousPeak:
    """Sample ``RssAnon`` in a background thread; ``peak_kb`` is the highest seen (or None)."""

    def __init__(self, interval=0.01):
        self.interval = interval
        self.peak_kb = proc_status_kb("RssAnon")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.wait(self.interval):
            self._sample()

    def _sample(self):
        value = proc_status_kb("RssAnon")
        if value is not None:
            self.peak_kb = max(self.peak_kb or 0, value)

    def __enter__(self):
        if self.peak_kb is not None:
            self._thread.start()
        return self

    def __exit__(self, *exc):
        if self._thread.is_alive():
            self._stop.set()
            self._thread.join()
        self._sample()


# -------------------------------------------------------------------- data
def write_memmap(path, n_rows, n_features, *, chunk_rows, seed=0):
    """Write ``n_rows`` x ``n_features`` uniform float32 rows to ``path``, a block at a time.

    Plain file writes, so that neither the array nor a mapping of it ever lives in this
    process. The file is then flushed and, where the OS allows, dropped from the page
    cache, so that the reader starts cold.
    """
    needed = n_rows * n_features * np.dtype(DTYPE).itemsize
    free = shutil.disk_usage(Path(path).parent).free
    if needed > free:
        raise SystemExit(
            f"the memmap needs {needed / 2**30:.1f} GiB, {Path(path).parent} has "
            f"{free / 2**30:.1f} GiB free: use --tmpdir or --rows"
        )
    rng = np.random.default_rng(seed)
    with open(path, "wb") as f:
        for start in range(0, n_rows, chunk_rows):
            block = rng.random((min(chunk_rows, n_rows - start), n_features), dtype=DTYPE)
            block.tofile(f)
        f.flush()
        os.fsync(f.fileno())
        if hasattr(os, "posix_fadvise"):
            os.posix_fadvise(f.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
    return Path(path)


def open_source(source, *, n_rows, n_features, chunk_rows, seed=0, path=None):
    """The training data of one source, as the child process reads it."""
    if source == "memmap":
        return np.memmap(path, dtype=DTYPE, mode="r", shape=(n_rows, n_features))
    if source == "dask":
        import dask.array as da

        return da.random.default_rng(seed).random(
            (n_rows, n_features), chunks=(chunk_rows, n_features), dtype=DTYPE
        )
    if source == "in-memory":
        return np.random.default_rng(seed).random((n_rows, n_features), dtype=DTYPE)
    raise ValueError(f"unknown source {source!r}")


# ------------------------------------------------------------------- child
def measure(source, *, n_rows, n_features, chunk_rows, seed=0, path=None, threads=1):
    """Fit and transform one source in this process; the child's result as a dict.

    Meant to run in a fresh process (:func:`run_child`): the peak resident size is the
    process's whole life.
    """
    import torch  # noqa: F401  (the baseline includes the libraries)
    from sklearn.exceptions import ConvergenceWarning

    import sklearn_ae  # noqa: F401

    if source == "dask":
        import dask.array  # noqa: F401

    set_threads(threads)
    baseline_kb = proc_status_kb("VmRSS") or peak_rss_kb()
    baseline_anon_kb = proc_status_kb("RssAnon")
    with AnonymousPeak() as anon:
        start = time.perf_counter()
        X = open_source(
            source,
            n_rows=n_rows,
            n_features=n_features,
            chunk_rows=chunk_rows,
            seed=seed,
            path=path,
        )
        data_s = time.perf_counter() - start
        est = make_estimator()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            start = time.perf_counter()
            est.fit(X)
            fit_s = time.perf_counter() - start
        start = time.perf_counter()
        Z = est.transform(X)
        transform_s = time.perf_counter() - start
    if not isinstance(Z, np.ndarray) or Z.shape != (n_rows, N_COMPONENTS):
        raise TypeError(
            f"transform of a {source} source returned {type(Z).__name__} "
            f"of shape {getattr(Z, 'shape', None)}, not a NumPy array ({n_rows}, {N_COMPONENTS})"
        )
    return {
        "source": source,
        "n_samples": n_rows,
        "n_iter": int(est.n_iter_),
        "data_s": data_s,
        "fit_s": fit_s,
        "transform_s": transform_s,
        "baseline_rss_kb": baseline_kb,
        "peak_rss_kb": peak_rss_kb(),
        "baseline_anon_kb": baseline_anon_kb,
        "peak_anon_kb": anon.peak_kb,
    }


def run_child(source, *, n_rows, n_features, chunk_rows, seed, path, threads):
    """:func:`measure` in a fresh Python process; its result (JSON on stdout) as a dict."""
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        source,
        "--rows",
        str(n_rows),
        "--features",
        str(n_features),
        "--chunk-rows",
        str(chunk_rows),
        "--seed",
        str(seed),
        "--threads",
        str(threads),
    ]
    if path is not None:
        command += ["--data-path", str(path)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(RESULT_PREFIX):
            return json.loads(line[len(RESULT_PREFIX) :])
    raise RuntimeError(f"the {source} run failed (exit {done.returncode}):\n{done.stderr[-3000:]}")


# ------------------------------------------------------------------ parent
def result_row(child, *, n_features, chunk_rows, budget_gb, data_s=None):
    """One CSV row from a child's result; ``data_s`` replaces the child's (memmap writing)."""
    n = child["n_samples"]
    peak = child["peak_rss_kb"] / 1024
    baseline = child["baseline_rss_kb"] / 1024
    budget = budget_gb * 1024
    anon_base, anon_peak = (
        None if child[key] is None else child[key] / 1024
        for key in ("baseline_anon_kb", "peak_anon_kb")
    )
    return {
        "source": child["source"],
        "n_samples": n,
        "n_features": n_features,
        "chunk_rows": chunk_rows if child["source"] != "in-memory" else None,
        "data_MB": n * n_features * np.dtype(DTYPE).itemsize / MB,
        "data_s": child["data_s"] if data_s is None else data_s,
        "fit_s": child["fit_s"],
        "fit_rows_per_s": n * MAX_ITER / child["fit_s"],
        "transform_s": child["transform_s"],
        "transform_rows_per_s": n / child["transform_s"],
        "baseline_rss_MB": baseline,
        "peak_rss_MB": peak,
        "peak_over_baseline_MB": peak - baseline,
        "baseline_anon_MB": anon_base,
        "peak_anon_MB": anon_peak,
        "peak_anon_over_baseline_MB": None if anon_peak is None else anon_peak - anon_base,
        "budget_MB": budget,
        "under_budget": bool(peak <= budget),
    }


def run(
    sources=SOURCES,
    *,
    n_rows,
    n_features,
    chunk_rows,
    in_memory_rows,
    budget_gb=1.0,
    seed=0,
    threads=1,
    tmpdir=None,
    keep_data=False,
    log=print,
):
    """Measure every source, each in a process of its own; one row per source."""
    rows = []
    if tmpdir is not None:
        Path(tmpdir).mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="bench_out_of_core_", dir=tmpdir))
    try:
        for source in sources:
            path, data_s = None, None
            if source == "memmap":
                path = folder / f"X_{n_rows}x{n_features}_float32.bin"
                log(f"writing {n_rows:,} x {n_features} float32 rows to {path} ...")
                start = time.perf_counter()
                write_memmap(path, n_rows, n_features, chunk_rows=chunk_rows, seed=seed)
                data_s = time.perf_counter() - start
            n = in_memory_rows if source == "in-memory" else n_rows
            log(f"{source}: fit and transform of {n:,} x {n_features} in a fresh process ...")
            child = run_child(
                source,
                n_rows=n,
                n_features=n_features,
                chunk_rows=chunk_rows,
                seed=seed,
                path=path,
                threads=threads,
            )
            if child["n_iter"] != MAX_ITER:
                raise RuntimeError(f"{source}: {child['n_iter']} epochs, not {MAX_ITER}")
            rows.append(
                result_row(
                    child,
                    n_features=n_features,
                    chunk_rows=chunk_rows,
                    budget_gb=budget_gb,
                    data_s=data_s,
                )
            )
            if path is not None and not keep_data:
                path.unlink()
    finally:
        if keep_data:
            log(f"data kept in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    return rows


TABLE = {
    "source": ("source", "{}"),
    "n_samples": ("rows", "{:,}"),
    "data_MB": ("data (MB)", "{:,.0f}"),
    "fit_s": ("fit (s)", "{:.1f}"),
    "fit_rows_per_s": ("fit (rows/s)", "{:,.0f}"),
    "transform_rows_per_s": ("transform (rows/s)", "{:,.0f}"),
    "baseline_rss_MB": ("baseline RSS (MB)", "{:,.0f}"),
    "peak_rss_MB": ("peak RSS (MB)", "{:,.0f}"),
    "peak_over_baseline_MB": ("peak - baseline (MB)", "{:,.0f}"),
    "peak_anon_over_baseline_MB": ("anonymous peak - baseline (MB)", "{:,.0f}"),
    "under_budget": ("under budget", "{}"),
}


def comparison(rows):
    """A sentence comparing each lazy source's throughput with the in-memory one's."""
    reference = next((r for r in rows if r["source"] == "in-memory"), None)
    lazy = [r for r in rows if r["source"] != "in-memory"]
    if reference is None or not lazy:
        return "No in-memory run beside a lazy one here: no throughput ratio."
    parts = [
        f"{r['source']} {r['fit_rows_per_s'] / reference['fit_rows_per_s']:.2f}x in fit and "
        f"{r['transform_rows_per_s'] / reference['transform_rows_per_s']:.2f}x in transform"
        for r in lazy
    ]
    return (
        "Throughput of the lazy sources relative to the in-memory array (rows/s over "
        f"in-memory rows/s; above 1 is faster): {'; '.join(parts)}."
    )


def write_report(rows, out, *, budget_gb, settings="", elapsed=None):
    """Write ``out_of_core.csv`` and ``out_of_core.md``; return their paths."""
    out = Path(out)
    paths = {"csv": write_csv(rows, out / "out_of_core.csv", COLUMNS)}
    table_rows = [{**r, "under_budget": "yes" if r["under_budget"] else "no"} for r in rows]
    text = [
        "# Out-of-core training: memmap and dask sources against an in-memory array\n",
        f"Command: `{command_line()}`\n",
        f"Estimator: `AutoencoderTransformer(n_components={N_COMPONENTS}, "
        f"max_iter={MAX_ITER}, batch_size={BATCH_SIZE}, random_state=0)`, float32 uniform "
        f"rows. {settings}\n",
        f"Environment: {environment()}"
        + (f"; {elapsed:.0f} s in all" if elapsed is not None else "")
        + ".\n",
        f"Each source ran in a fresh process. Baseline: the resident size after importing "
        f"torch, sklearn_ae and the source's library. Peak: the process's resident "
        f"high-water mark (`VmHWM`), which counts the touched pages of a mapped file "
        f"while they stay resident; anonymous: `RssAnon` (sampled every 10 ms at the "
        f"peak), the memory the process allocated itself, not the libraries' code nor a "
        f"mapped file. Budget: {budget_gb:g} GiB on the peak. "
        f"Fit rows/s: rows x {MAX_ITER} epoch / fit time. The fit includes its pass "
        f"over the data for the model statistics after training, and, from a lazy "
        f"source, a first pass that checks every block and fits the data statistics: "
        f"three reads of the data in all.\n",
        comparison(rows) + "\n",
        markdown_table(
            table_rows,
            list(TABLE),
            [h for h, _ in TABLE.values()],
            {k: f for k, (_, f) in TABLE.items()},
        ),
    ]
    paths["md"] = out / "out_of_core.md"
    paths["md"].write_text("\n".join(text))
    return paths


def _sources(values):
    names = [name for value in values for name in value.split(",") if name]
    unknown = sorted(set(names) - set(SOURCES))
    if unknown:
        raise SystemExit(f"unknown source(s) {', '.join(unknown)}: choose from {SOURCES}")
    return list(dict.fromkeys(names))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sources",
        nargs="+",
        default=list(SOURCES),
        help=f"a subset of {', '.join(SOURCES)}, space- or comma-separated (default: all)",
    )
    size_help = {
        "rows": "rows of the memmap and dask sources",
        "features": "columns of every source",
        "chunk_rows": "rows per dask chunk and per block written to the memmap",
        "in_memory_rows": "rows of the in-memory reference",
    }
    for name, (default, quick) in SIZES.items():
        parser.add_argument(
            "--" + name.replace("_", "-"),
            type=int,
            default=None,
            help=f"{size_help[name]} (default {default:,}; --quick: {quick:,})",
        )
    parser.add_argument(
        "--budget-gb",
        type=float,
        default=1.0,
        help="memory budget, in GiB, on each run's peak RSS (default 1.0)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the random data (default 0)")
    parser.add_argument(
        "--tmpdir", default=None, help="folder for the memmap file (default: the system's)"
    )
    parser.add_argument(
        "--keep-data", action="store_true", help="keep the memmap file instead of deleting it"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smoke run on small data: the --quick sizes above, unless given",
    )
    add_threads_argument(parser, default=1)
    parser.add_argument(
        "--out", default=str(RESULTS_DIR), help="folder for out_of_core.csv and .md"
    )
    # Internal: one measurement in this process (the parent starts these).
    parser.add_argument("--child", choices=SOURCES, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--data-path", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sizes = {
        name: getattr(args, name)
        if getattr(args, name) is not None
        else values[1 if args.quick else 0]
        for name, values in SIZES.items()
    }

    if args.child is not None:
        result = measure(
            args.child,
            n_rows=sizes["rows"],
            n_features=sizes["features"],
            chunk_rows=sizes["chunk_rows"],
            seed=args.seed,
            path=args.data_path,
            threads=args.threads,
        )
        print("\n" + RESULT_PREFIX + json.dumps(result))
        return result

    sources = _sources(args.sources)
    set_threads(args.threads)
    print(environment())
    start = time.perf_counter()
    rows = run(
        sources,
        n_rows=sizes["rows"],
        n_features=sizes["features"],
        chunk_rows=sizes["chunk_rows"],
        in_memory_rows=sizes["in_memory_rows"],
        budget_gb=args.budget_gb,
        seed=args.seed,
        threads=args.threads,
        tmpdir=args.tmpdir,
        keep_data=args.keep_data,
    )
    settings = (
        f"Lazy sources: {sizes['rows']:,} x {sizes['features']}, the dask array in "
        f"chunks of {sizes['chunk_rows']:,} rows (its blocks), the memmap read in blocks "
        f"of about 64 MiB; in-memory: {sizes['in_memory_rows']:,} rows."
    )
    if args.quick:
        settings += " Quick smoke run: not a measurement."
    paths = write_report(
        rows,
        args.out,
        budget_gb=args.budget_gb,
        settings=settings,
        elapsed=time.perf_counter() - start,
    )
    print(paths["md"].read_text())
    print("written: " + ", ".join(str(p) for p in paths.values()))
    return rows


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
