"""Does training time grow linearly with the data, and does transform's memory stay bounded?

An ``AutoencoderTransformer`` (784-512-128-10 and its mirror, batch 128) is fitted on
1,000 to 100,000 MNIST rows (the repository's digits, resampled) for a couple of
epochs. Reported per size:

- seconds per epoch (the median of skorch's per-epoch durations) and per 1,000 rows,
  which stays flat when the cost is linear in ``n_samples``; the whole ``fit`` too;
- the peak memory that ``transform`` allocates (its output included), which stays
  bounded because the estimator encodes in batches of 4,096 rows; beside it PCA's
  (bounded too: it projects first and centres the projection) and PPCA's;
- transform throughput (median of 3 calls) of all three, and the fit time of PCA and
  PPCA for scale.

Run::

    python benchmarks/bench_scaling.py                          # ~5 minutes on 2 cores
    python benchmarks/bench_scaling.py --sizes 1000 10000 --epochs 1
"""

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from _common import (
    RESULTS_DIR,
    add_threads_argument,
    command_line,
    environment,
    markdown_table,
    median_time,
    mnist_or_random,
    peak_memory,
    progress,
    pyplot,
    resolve_device,
    run_probe,
    set_threads,
    timed,
    write_csv,
)
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning

from sklearn_ae import PPCA, AutoencoderTransformer

SIZES = (1_000, 3_000, 10_000, 30_000, 100_000)
HIDDEN = (512, 128)
N_COMPONENTS = 10
BATCH_SIZE = 128

TIME_COLUMNS = [
    "n_samples",
    "epochs",
    "epoch_s",
    "epoch_s_per_1k_rows",
    "fit_s",
    "ae_transform_rows_per_s",
    "pca_fit_s",
    "pca_transform_rows_per_s",
    "ppca_fit_s",
    "ppca_transform_rows_per_s",
    "input_MB",
    "output_MB",
]
MEMORY_COLUMNS = [
    f"{model}_{phase}_peak_{kind}_MB"
    for model in ("ae", "pca", "ppca")
    for phase in ("fit", "transform")
    for kind in ("rss", "python", "cuda")
    if not (kind == "cuda" and model != "ae")
]
COLUMNS = TIME_COLUMNS + MEMORY_COLUMNS


def _autoencoder(epochs, device, hidden, n_components, batch_size, random_state):
    return AutoencoderTransformer(
        n_components=n_components,
        hidden_layer_sizes=hidden,
        batch_size=batch_size,
        max_iter=epochs,
        tol=0.0,
        n_iter_no_change=10**9,
        device=device,
        random_state=random_state,
    )


def _linear_models(n_components, random_state):
    return [("pca", PCA(n_components, random_state=random_state)), ("ppca", PPCA(n_components))]


def measure_size(
    X,
    *,
    epochs=2,
    device="cpu",
    hidden=HIDDEN,
    n_components=N_COMPONENTS,
    batch_size=BATCH_SIZE,
    random_state=0,
):
    """Time fit and transform at one size; one result row (memory apart)."""
    ae = _autoencoder(epochs, device, hidden, n_components, batch_size, random_state)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        _, fit_s = timed(lambda: ae.fit(X), device)
    epoch_s = statistics.median(ae.net_.history[:, "dur"])
    row = {
        "n_samples": len(X),
        "epochs": ae.n_iter_,
        "epoch_s": epoch_s,
        "epoch_s_per_1k_rows": 1000 * epoch_s / len(X),
        "fit_s": fit_s,
        "ae_transform_rows_per_s": len(X)
        / median_time(lambda: ae.transform(X), device=device, repeats=3),
        "input_MB": X.nbytes / 2**20,
        "output_MB": len(X) * n_components * X.itemsize / 2**20,
    }
    for prefix, linear in _linear_models(n_components, random_state):
        _, row[f"{prefix}_fit_s"] = timed(lambda linear=linear: linear.fit(X))
        row[f"{prefix}_transform_rows_per_s"] = len(X) / median_time(
            lambda linear=linear: linear.transform(X), repeats=3
        )
    return row


def _data(max_size, mnist_path=None, n_features=None):
    X_all, source = mnist_or_random(max_size, mnist_path=mnist_path)
    if n_features is not None:  # smoke tests: narrower rows, from the image's centre
        start = (X_all.shape[1] - n_features) // 2
        X_all = np.ascontiguousarray(X_all[:, start : start + n_features])
    return X_all, source


def memory_pass(
    sizes,
    *,
    mnist_path=None,
    n_features=None,
    device="cpu",
    hidden=HIDDEN,
    n_components=N_COMPONENTS,
    batch_size=BATCH_SIZE,
    random_state=0,
    threads=0,
):
    """Peak memory of a one-epoch fit and of transform at every size, for the three models.

    Meant to run in a process of its own (:func:`_common.run_probe`); see
    :func:`_common.peak_memory`.
    """
    set_threads(threads)
    X_all, _ = _data(max(sizes), mnist_path, n_features)
    # One-off costs of a first fit (libraries paged in, kernels) belong to no size.
    warm_up = _autoencoder(1, device, hidden, n_components, batch_size, random_state)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for model in (warm_up, *dict(_linear_models(n_components, random_state)).values()):
            model.fit(X_all[: min(sizes)]).transform(X_all[: min(sizes)])
    del warm_up, model
    results = []
    for n in sorted(sizes):
        X = np.ascontiguousarray(X_all[:n])
        row = {"n_samples": n}
        models = [("ae", _autoencoder(1, device, hidden, n_components, batch_size, random_state))]
        for prefix, model in models + _linear_models(n_components, random_state):
            model_device = device if prefix == "ae" else "cpu"
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                with peak_memory(model_device) as fit_mem:
                    model.fit(X)
            with peak_memory(model_device) as transform_mem:
                model.transform(X)
            for phase, mem in (("fit", fit_mem), ("transform", transform_mem)):
                for kind, value in mem.items():
                    row[f"{prefix}_{phase}_peak_{kind}"] = value
        results.append(row)
    return results


def run(
    sizes=SIZES,
    *,
    epochs=2,
    device="cpu",
    mnist_path=None,
    n_features=None,
    show_progress=True,
    memory="probe",
    threads=0,
    log=print,
    **kwargs,
):
    """Measure every size, smallest first; return ``(rows, data source)``.

    ``memory``: ``"probe"`` measures peak memory in a fresh process set up for it,
    ``"here"`` in this one (only tracemalloc's numbers are reliable then), None skips.
    """
    X_all, source = _data(max(sizes), mnist_path, n_features)
    # A throw-away fit, so that one-off costs do not land on the smallest size.
    measure_size(X_all[: min(sizes)], epochs=1, device=device, **kwargs)
    rows = []
    for n in progress(sorted(sizes), desc="bench_scaling", unit="size", disable=not show_progress):
        X = np.ascontiguousarray(X_all[:n])
        rows.append(measure_size(X, epochs=epochs, device=device, **kwargs))
    if memory is not None:
        probe_kwargs = {
            "sizes": list(sizes),
            "mnist_path": mnist_path,
            "n_features": n_features,
            "device": device,
            "threads": threads,
            **kwargs,
        }
        if memory == "probe":
            log("measuring peak memory in a separate process (one-epoch fits) ...")
            measured = run_probe("bench_scaling", "memory_pass", probe_kwargs)
        else:
            measured = memory_pass(**probe_kwargs)
        by_size = {m["n_samples"]: m for m in measured}
        for row in rows:
            row.update({c: by_size[row["n_samples"]].get(c) for c in MEMORY_COLUMNS})
    return rows, source


TABLE = {
    "n_samples": ("rows", "{:,}"),
    "epoch_s": ("s / epoch", "{:.2f}"),
    "epoch_s_per_1k_rows": ("s / epoch / 1k rows", "{:.3f}"),
    "fit_s": ("fit (s)", "{:.1f}"),
    "ae_fit_peak_MB": ("AE fit peak (MB)", "{:.0f}"),
    "ae_transform_peak_MB": ("AE transform peak (MB)", "{:.1f}"),
    "pca_transform_peak_MB": ("PCA transform peak (MB)", "{:.1f}"),
    "ppca_transform_peak_MB": ("PPCA transform peak (MB)", "{:.1f}"),
    "input_MB": ("input (MB)", "{:.1f}"),
    "output_MB": ("output (MB)", "{:.1f}"),
    "ae_transform_rows_per_s": ("AE transform (rows/s)", "{:,.0f}"),
    "pca_transform_rows_per_s": ("PCA transform (rows/s)", "{:,.0f}"),
    "ppca_transform_rows_per_s": ("PPCA transform (rows/s)", "{:,.0f}"),
    "pca_fit_s": ("PCA fit (s)", "{:.2f}"),
    "ppca_fit_s": ("PPCA fit (s)", "{:.2f}"),
    "pca_fit_peak_MB": ("PCA fit peak (MB)", "{:.0f}"),
    "ppca_fit_peak_MB": ("PPCA fit peak (MB)", "{:.0f}"),
}


def _peak(row, prefix, phase, device="cpu"):
    if str(device).startswith("cuda") and prefix == "ae":
        return row.get(f"ae_{phase}_peak_cuda_MB")
    values = [row.get(f"{prefix}_{phase}_peak_{kind}_MB") for kind in ("python", "rss")]
    values = [v for v in values if v is not None and np.isfinite(v)]
    return max(values) if values else None


def write_report(rows, out, *, source, device="cpu", settings="", elapsed=None):
    """Write ``scaling.csv`` (first), ``scaling.md`` and ``scaling.png``; return the paths."""
    out = Path(out)
    paths = {"csv": write_csv(rows, out / "scaling.csv", COLUMNS)}
    table_rows = [
        {
            **r,
            **{
                f"{prefix}_{phase}_peak_MB": _peak(r, prefix, phase, device)
                for prefix in ("ae", "pca", "ppca")
                for phase in ("fit", "transform")
            },
        }
        for r in rows
    ]
    per_1k = [r["epoch_s_per_1k_rows"] for r in rows]
    spread = max(per_1k) / min(per_1k) if rows else float("nan")
    text = [
        "# Scaling with n_samples: training time and transform memory\n",
        f"Command: `{command_line()}`\n",
        f"Data: {source}, 784 features. {settings}\n",
        f"Environment: {environment()}; device {device}"
        + (f"; {elapsed:.0f} s in all" if elapsed is not None else "")
        + ".\n",
        "Seconds per epoch: median of skorch's per-epoch durations; constant seconds per "
        "epoch per 1,000 rows means linear scaling (largest / smallest here: "
        f"{spread:.2f}). Peak memory: the rise of the resident-memory high-water mark "
        "(or tracemalloc's Python/NumPy peak, if larger) during one `fit` or `transform`, "
        "measured in a separate process that gives every allocation of 64 KiB or more its "
        "own mmap, so that what is freed and allocated again counts; the autoencoder's fit "
        "there runs one epoch and includes the float32 copy of the training data that it "
        "keeps on the device. Transform peaks include the output.\n",
        markdown_table(
            table_rows,
            list(TABLE),
            [h for h, _ in TABLE.values()],
            {k: f for k, (_, f) in TABLE.items()},
        ),
    ]
    paths["md"] = out / "scaling.md"
    paths["md"].write_text("\n".join(text))
    png = plot(table_rows, out / "scaling.png", source=source)
    if png is not None:
        paths["png"] = png
    return paths


AE_COLOR, PPCA_COLOR = "tab:blue", "tab:green"


def plot(rows, path, *, source=""):
    plt = pyplot()
    if plt is None:
        return None
    n = np.array([r["n_samples"] for r in rows], dtype=float)
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2), constrained_layout=True)
    epoch = np.array([r["epoch_s"] for r in rows])
    left.loglog(n, epoch, "o-", color=AE_COLOR, label="autoencoder: s / epoch")
    left.loglog(
        n, [r["fit_s"] for r in rows], "s--", color=AE_COLOR, label="autoencoder: whole fit"
    )
    left.loglog(n, [r["pca_fit_s"] for r in rows], "^-", color="black", label="PCA fit")
    left.loglog(n, [r["ppca_fit_s"] for r in rows], "v-", color=PPCA_COLOR, label="PPCA fit")
    # A line of slope one through the largest size: linear time.
    left.loglog(n, epoch[-1] * n / n[-1], ":", color="gray", label="linear in n")
    left.set_xlabel("n_samples")
    left.set_ylabel("seconds")
    left.set_title("training time")
    left.legend()
    right.loglog(
        n,
        [r["ae_transform_peak_MB"] or np.nan for r in rows],
        "o-",
        color=AE_COLOR,
        label="autoencoder transform (batched)",
    )
    right.loglog(
        n,
        [r["pca_transform_peak_MB"] or np.nan for r in rows],
        "^-",
        color="black",
        label="PCA transform",
    )
    right.loglog(
        n,
        [r["ppca_transform_peak_MB"] or np.nan for r in rows],
        "v-",
        color=PPCA_COLOR,
        label="PPCA transform",
    )
    right.loglog(n, [r["input_MB"] for r in rows], ":", color="gray", label="size of the input")
    right.set_xlabel("n_samples")
    right.set_ylabel("peak memory allocated (MB)")
    right.set_title("transform memory")
    right.legend()
    fig.suptitle(f"Scaling on {source} (784 features)")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    parser.add_argument(
        "--mnist-path",
        default=None,
        help="folder with MNIST's IDX files (default: $SKLEARN_AE_MNIST, "
        "else the repository's data/mnist)",
    )
    add_threads_argument(parser, default=1)
    parser.add_argument(
        "--memory",
        choices=["probe", "here", "off"],
        default="probe",
        help="where peak memory is measured: in a separate process set up "
        "for it (accurate), in this one (only tracemalloc's numbers are "
        "reliable), or not at all",
    )
    parser.add_argument("--out", default=str(RESULTS_DIR))
    args = parser.parse_args(argv)
    set_threads(args.threads)
    device = resolve_device(args.device)

    print(f"{environment()}; device {device}")
    start = time.perf_counter()
    rows, source = run(
        args.sizes,
        epochs=args.epochs,
        device=device,
        mnist_path=args.mnist_path,
        threads=args.threads,
        memory=None if args.memory == "off" else args.memory,
    )
    settings = (
        f"Autoencoder 784-{'-'.join(map(str, HIDDEN))}-{N_COMPONENTS} + mirror, batch "
        f"{BATCH_SIZE}, {args.epochs} epochs per size; PCA with {N_COMPONENTS} components."
    )
    paths = write_report(
        rows,
        args.out,
        source=source,
        device=device,
        settings=settings,
        elapsed=time.perf_counter() - start,
    )
    print(paths["md"].read_text())
    print("written: " + ", ".join(str(p) for p in paths.values()))
    return rows


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
