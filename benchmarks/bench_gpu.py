"""The GPU check in one command: the CUDA tests, training against hand-written loops, inference.

On a machine with CUDA it

1. runs the test suite's ``cuda``-marked tests (``pytest -m cuda``) and records how
   many passed;
2. trains ``AutoencoderTransformer`` and the hand-written loops of
   ``bench_overhead.py`` (plain Adam, and ``Adam(fused=True)``) on the GPU, on the
   first 8,000 MNIST digits, for the MLP (784-512-128-10 and its mirror) and the
   ``ConvNet``, at batch 128 and 1024, eager and with ``compile=True``: the median
   of paired repeats of whole-``fit`` time ratios, as that script computes them;
3. measures ``transform`` throughput (rows per second, the host-to-device copies and
   back included) against a hand-written batched encoder loop over the same rows;

and writes ``gpu_training.csv``, ``gpu_transform.csv`` and ``gpu.md`` to ``--out``.
On a machine without CUDA it says so and exits 0, having measured nothing.

Run::

    python benchmarks/bench_gpu.py                          # all, to benchmarks/results
    python benchmarks/bench_gpu.py --out docs/benchmarks     # the published copy
    python benchmarks/bench_gpu.py --skip-tests --repeats 3  # the measurements only, quicker
"""

import argparse
import re
import statistics
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import torch
from _common import (
    RESULTS_DIR,
    command_line,
    environment,
    markdown_table,
    mnist_or_random,
    synchronize,
    timed,
    write_csv,
)
from bench_overhead import NETWORKS, make_estimator, run
from sklearn.exceptions import ConvergenceWarning

REPOSITORY = Path(__file__).resolve().parents[1]
BATCH_SIZES = (128, 1024)
#: Rows per batch of the hand-written inference loop.
HAND_BATCH_ROWS = 4096

TRAINING_COLUMNS = [
    "network",
    "batch_size",
    "compile",
    "estimator_s",
    "loop_s",
    "loop_fused_s",
    "ratio",
    "ratio_fused_loop",
    "compile_s",
    "repeats",
]
TRANSFORM_COLUMNS = [
    "network",
    "n_rows",
    "estimator_rows_per_s",
    "loop_rows_per_s",
    "ratio",
]


def run_cuda_tests(paths=(REPOSITORY / "tests",)):
    """``(returncode, summary line)`` of ``pytest -m cuda`` over ``paths`` (the whole suite)."""
    command = [sys.executable, "-m", "pytest", "-m", "cuda", "-q", "-p", "no:cacheprovider"]
    done = subprocess.run(
        [*command, *map(str, paths)],
        capture_output=True,
        text=True,
        cwd=REPOSITORY,
    )
    summary = re.compile(r"\d+ (passed|failed|skipped|deselected|error)")
    lines = [line for line in done.stdout.splitlines() if summary.search(line)]
    if done.returncode not in (0, 5):  # 5: no test collected
        print(done.stdout[-4000:], done.stderr[-4000:], sep="\n")
    return done.returncode, (lines[-1].strip("= ") if lines else "no test ran")


def measure_training(
    X,
    *,
    device,
    epochs,
    repeats,
    networks=tuple(NETWORKS),
    batch_sizes=BATCH_SIZES,
    compiles=(False, True),
    log=print,
):
    """One row per network, batch size and compile setting: median ratios of paired fits."""
    rows = []
    for network in networks:
        architecture = NETWORKS[network]
        for batch_size in batch_sizes:
            for compile in compiles:
                log(f"-- {network}, batch {batch_size}, compile={compile}")
                runs = run(
                    X,
                    epochs=epochs,
                    repeats=repeats,
                    device=device,
                    architecture=architecture,
                    batch_size=batch_size,
                    compile=compile,
                    log=log,
                )
                rows.append(
                    {
                        "network": network,
                        "batch_size": batch_size,
                        "compile": compile,
                        "repeats": repeats,
                        "compile_s": runs[0]["compile_s"],
                        **{
                            key: statistics.median(r[key] for r in runs)
                            for key in (
                                "estimator_s",
                                "loop_s",
                                "loop_fused_s",
                                "ratio",
                                "ratio_fused_loop",
                            )
                        },
                    }
                )
    return rows


def hand_written_transform(module, X, device, batch_rows):
    """Codes of ``X`` by a plain loop: copy a batch over, encode it, copy the codes back."""
    parts = []
    with torch.inference_mode():
        for start in range(0, len(X), batch_rows):
            batch = torch.from_numpy(X[start : start + batch_rows]).to(device)
            parts.append(module.encode(batch).cpu().numpy())
    return np.concatenate(parts)


def measure_transform(X, *, device, repeats, n_rows, networks=tuple(NETWORKS), epochs=1, log=print):
    """Rows per second of ``transform`` and of a hand-written loop, per network."""
    rows = []
    X = X[np.arange(n_rows) % len(X)]
    for network in networks:
        architecture = NETWORKS[network]
        est = make_estimator(epochs=epochs, device=device, architecture=architecture)
        est.fit(X[:2000])
        module = est.net_.module_.eval()

        def ours(est=est):
            return est.transform(X)

        def theirs(module=module):
            return hand_written_transform(module, X, device, HAND_BATCH_ROWS)

        np.testing.assert_allclose(ours(), theirs(), rtol=1e-4, atol=1e-4)
        times = {"estimator": [], "loop": []}
        for r in range(repeats):
            order = [("estimator", ours), ("loop", theirs)][:: 1 if r % 2 == 0 else -1]
            for name, fn in order:
                times[name].append(timed(fn, device)[1])
        t_est, t_loop = (statistics.median(times[k]) for k in ("estimator", "loop"))
        row = {
            "network": network,
            "n_rows": n_rows,
            "estimator_rows_per_s": n_rows / t_est,
            "loop_rows_per_s": n_rows / t_loop,
            "ratio": t_loop / t_est,
        }
        log(
            f"transform {network}: {row['estimator_rows_per_s']:,.0f} rows/s "
            f"vs {row['loop_rows_per_s']:,.0f} rows/s by hand"
        )
        rows.append(row)
    return rows


def write_report(out, *, tests, training, transform, source, epochs, device):
    out = Path(out)
    write_csv(training, out / "gpu_training.csv", TRAINING_COLUMNS)
    write_csv(transform, out / "gpu_transform.csv", TRANSFORM_COLUMNS)
    three = {c: "{:.3f}" for c in TRAINING_COLUMNS if c.endswith(("_s", "ratio", "_loop"))}
    rates = {c: "{:,.0f}" for c in TRANSFORM_COLUMNS if c.endswith("_per_s")}
    text = [
        "# On the GPU: `AutoencoderTransformer` against hand-written PyTorch\n",
        f"Command: `{command_line()}`\n",
        f"Environment: {environment()}; device {device}.\n",
        f"CUDA tests (`pytest -m cuda`): {tests}.\n",
        "## Training\n",
        f"Data: {source}, {epochs} epochs; whole `fit` against the plain loop (`ratio`, "
        "below 1 means the estimator is faster) and the loop with `Adam(fused=True)` "
        "(`ratio_fused_loop`); medians of paired repeats. `compile_s` is the warm-up "
        "fit that compiled the step.\n",
        markdown_table(training, TRAINING_COLUMNS, formats=three),
        "## Transform\n",
        "Rows per second of `transform` (NumPy in, NumPy out) and of a hand-written "
        "loop of 4096-row batches; `ratio` above 1 means the estimator is faster.\n",
        markdown_table(transform, TRANSFORM_COLUMNS, formats=rates | {"ratio": "{:.3f}"}),
    ]
    path = out / "gpu.md"
    path.write_text("\n".join(text))
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--n-samples", type=int, default=8000)
    parser.add_argument("--transform-rows", type=int, default=200_000)
    parser.add_argument("--skip-tests", action="store_true", help="do not run pytest -m cuda")
    parser.add_argument("--out", default=str(RESULTS_DIR))
    args = parser.parse_args(argv)
    if not torch.cuda.is_available():
        print(
            "bench_gpu: no CUDA device on this machine (torch.cuda.is_available() is "
            "False), so there is nothing to measure. Run it on a machine with an NVIDIA "
            "GPU and a CUDA build of torch."
        )
        return 0
    device = "cuda"
    tests = "not run (--skip-tests)"
    status = 0
    if not args.skip_tests:
        status, tests = run_cuda_tests()
        print(f"pytest -m cuda: {tests}")
    X, source = mnist_or_random(args.n_samples)
    warnings.simplefilter("ignore", ConvergenceWarning)
    training = measure_training(X, device=device, epochs=args.epochs, repeats=args.repeats)
    transform = measure_transform(
        X, device=device, repeats=args.repeats, n_rows=args.transform_rows
    )
    synchronize(device)
    path = write_report(
        args.out,
        tests=tests,
        training=training,
        transform=transform,
        source=source,
        epochs=args.epochs,
        device=device,
    )
    print(f"written to {path}")
    return 0 if status in (0, 5) else 1


if __name__ == "__main__":
    sys.exit(main())
