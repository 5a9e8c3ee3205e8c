"""How much better than PCA and PPCA does each autoencoder do, and at what cost?

For every model and every code width ``n_components`` it fits on a training split and
measures on held-out rows:

- reconstruction error: mean squared error of ``inverse_transform(transform(X))``,
  per feature;
- log-likelihood, in nats per sample, for the models that define one under the same
  Gaussian data model: PCA and PPCA exactly, the VAEs by importance sampling
  (``score_samples``);
- downstream accuracy: a logistic regression (on standardised codes) trained on the
  training codes, scored on the held-out codes;
- cost: fit time, transform throughput (median of repeated calls), and peak memory of
  ``fit`` and ``transform`` (measured afterwards in a separate process set up for it,
  with one-epoch fits, so that measuring memory does not slow the timed runs).

Threads: one by default (``--threads``), the fastest and steadiest setting for these
small networks on a small or shared machine.

scikit-learn's PCA is the reference row. Results go to a CSV (written first), a
Markdown table (also printed) and a PNG with one line per model.

Run::

    python benchmarks/bench_pca.py                       # digits, a few minutes on 2 cores
    python benchmarks/bench_pca.py --data mnist --n-components 2 5 10 20 50
    python benchmarks/bench_pca.py --data my_data.npy --labels my_labels.npy
"""

import argparse
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import sklearn
from _common import (
    RESULTS_DIR,
    add_threads_argument,
    command_line,
    environment,
    markdown_table,
    median_time,
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
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from sklearn_ae import (
    PPCA,
    AutoencoderTransformer,
    ConditionalVAE,
    ContractiveAE,
    DenoisingAE,
    SparseAE,
    VAETransformer,
)

# name -> (estimator class, short alias, has a likelihood)
MODELS = {
    "PCA": (PCA, "pca", True),
    "PPCA": (PPCA, "ppca", True),
    "AutoencoderTransformer": (AutoencoderTransformer, "ae", False),
    "DenoisingAE": (DenoisingAE, "dae", False),
    "SparseAE": (SparseAE, "sae", False),
    "ContractiveAE": (ContractiveAE, "cae", False),
    "VAETransformer": (VAETransformer, "vae", True),
    "ConditionalVAE": (ConditionalVAE, "cvae", True),
}
NEEDS_LABELS = {"ConditionalVAE"}

COLUMNS = [
    "data",
    "model",
    "n_components",
    "n_iter",
    "recon_mse",
    "loglik",
    "accuracy",
    "fit_s",
    "transform_rows_per_s",
    "fit_peak_rss_MB",
    "fit_peak_python_MB",
    "transform_peak_rss_MB",
    "transform_peak_python_MB",
    "fit_peak_cuda_MB",
    "transform_peak_cuda_MB",
]


# -------------------------------------------------------------------- data
@dataclass
class Dataset:
    name: str
    description: str
    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray = None
    y_test: np.ndarray = None
    #: the arguments of :func:`load_data` that rebuild it (in a memory probe)
    source: dict = field(default_factory=dict)

    @property
    def n_features(self):
        return self.X_train.shape[1]


def load_data(
    data="digits",
    *,
    mnist_path=None,
    labels=None,
    n_train=None,
    scale=None,
    test_size=0.3,
    random_state=0,
):
    """The benchmark's data: ``"digits"``, ``"mnist"``, or the path of a ``.npy`` array.

    Everything ends as float32. digits are divided by 16 (pixels in [0, 1]); MNIST is
    already in [0, 1] and uses the project's split (first 8,000 rows train, last 2,000
    held out). A user array is split ``test_size`` at random and min-max scaled on the
    training part unless ``scale`` says otherwise (``"minmax"``, ``"standard"``,
    ``"none"``). ``n_train`` keeps only the first rows of the training part
    (smoke tests).
    """
    if data == "digits":
        from sklearn.datasets import load_digits

        X, y = load_digits(return_X_y=True)
        X_train, X_test, y_train, y_test = train_test_split(
            X / 16.0, y, test_size=test_size, random_state=random_state, stratify=y
        )
        description = "scikit-learn digits (8x8, pixels / 16)"
        scale = scale or "none"
    elif data == "mnist":
        from sklearn_ae.datasets import mnist_split

        X_train, X_test, y_train, y_test = mnist_split(mnist_path)
        description = "MNIST test set (28x28, pixels / 255; first 8,000 train, last 2,000 held out)"
        scale = scale or "none"
    else:
        path = Path(data)
        if path.suffix != ".npy" or not path.exists():
            raise SystemExit(f"--data must be digits, mnist or an existing .npy file; got {data}")
        X = np.load(path, allow_pickle=False)
        if X.ndim != 2:
            X = X.reshape(len(X), -1)
        y = np.load(labels, allow_pickle=False) if labels is not None else None
        if y is not None and len(y) != len(X):
            raise SystemExit(f"{labels} has {len(y)} labels for {len(X)} rows of {data}")
        arrays = (X,) if y is None else (X, y)
        parts = train_test_split(*arrays, test_size=test_size, random_state=random_state)
        X_train, X_test = parts[0], parts[1]
        y_train, y_test = (parts[2], parts[3]) if y is not None else (None, None)
        description = f"{path.name} ({X.shape[0]} x {X.shape[1]})"
        scale = scale or "minmax"
    if scale == "minmax":
        scaler = MinMaxScaler().fit(X_train)
        X_train, X_test = scaler.transform(X_train), np.clip(scaler.transform(X_test), 0, 1)
        description += ", min-max scaled on the training split"
    elif scale == "standard":
        scaler = StandardScaler().fit(X_train)
        X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
        description += ", standardised on the training split"
    elif scale != "none":
        raise SystemExit(f"--scale must be minmax, standard or none; got {scale}")
    if n_train is not None:
        X_train = X_train[:n_train]
        y_train = y_train[:n_train] if y_train is not None else None
    name = data if data in ("digits", "mnist") else Path(data).stem
    source = {
        "data": str(data),
        "mnist_path": None if mnist_path is None else str(mnist_path),
        "labels": None if labels is None else str(labels),
        "n_train": n_train,
        "scale": scale,
        "test_size": test_size,
        "random_state": random_state,
    }
    return Dataset(
        source=source,
        name=name,
        description=f"{description}; {len(X_train)} train, {len(X_test)} held-out rows",
        X_train=np.ascontiguousarray(X_train, dtype=np.float32),
        X_test=np.ascontiguousarray(X_test, dtype=np.float32),
        y_train=y_train,
        y_test=y_test,
    )


# ------------------------------------------------------------------ models
def resolve_model_names(requested=None):
    """Canonical names from names or aliases (case-insensitive); all models when None."""
    if not requested:
        return list(MODELS)
    lookup = {}
    for name, (_, alias, _) in MODELS.items():
        lookup[name.lower()] = lookup[alias] = name
    names = []
    for item in requested:
        if item.lower() not in lookup:
            raise SystemExit(
                f"unknown model {item!r}; choose from "
                + ", ".join(f"{n} ({a})" for n, (_, a, _) in MODELS.items())
            )
        names.append(lookup[item.lower()])
    return list(dict.fromkeys(names))


def make_model(
    cls, n_components, *, max_iter=100, hidden_layer_sizes=None, device="cpu", random_state=0
):
    """An estimator with the benchmark's settings, for whichever of them it takes."""
    settings = {
        "n_components": n_components,
        "max_iter": max_iter,
        "device": device,
        "random_state": random_state,
    }
    if hidden_layer_sizes is not None:
        settings["hidden_layer_sizes"] = tuple(hidden_layer_sizes)
    if cls is PCA:
        settings = {"n_components": n_components, "random_state": random_state}
    model = cls()
    accepted = model.get_params()
    return model.set_params(**{k: v for k, v in settings.items() if k in accepted})


def _skip_reason(name, n_components, data):
    n_train, d = data.X_train.shape
    if name == "PPCA" and n_components >= d:
        return f"PPCA needs n_components < n_features ({d})"
    if name in ("PCA", "PPCA") and n_components > min(n_train, d):
        return f"n_components > min(n_samples, n_features) = {min(n_train, d)}"
    if name in NEEDS_LABELS and data.y_train is None:
        return "needs labels (--labels)"
    return None


def downstream_accuracy(Z_train, y_train, Z_test, y_test, random_state=0):
    """Held-out accuracy of a logistic regression on standardised codes."""
    clf = make_pipeline(
        StandardScaler(), LogisticRegression(max_iter=2000, random_state=random_state)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(Z_train, y_train)
    return float(clf.score(Z_test, y_test))


def _fit(name, model, data):
    fit_args = (data.X_train, data.y_train) if name in NEEDS_LABELS else (data.X_train,)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(*fit_args)


def evaluate(name, model, data, *, device="cpu", has_loglik=False, min_seconds=0.2):
    """Fit ``model`` on ``data`` and measure it; one result row (memory apart)."""
    X_train, X_test = data.X_train, data.X_test
    _, fit_s = timed(lambda: _fit(name, model, data), device)
    transform_s = median_time(
        lambda: model.transform(X_test), device=device, repeats=3, min_seconds=min_seconds
    )
    Z_test = model.transform(X_test)
    recon = model.inverse_transform(Z_test)
    row = {
        "data": data.name,
        "model": name,
        "n_components": int(model.n_components),
        "n_iter": getattr(model, "n_iter_", None) if name != "PCA" else None,
        "recon_mse": float(np.mean((np.asarray(recon, dtype=np.float64) - X_test) ** 2)),
        "loglik": float(np.mean(model.score_samples(X_test))) if has_loglik else None,
        "accuracy": None,
        "fit_s": fit_s,
        "transform_rows_per_s": len(X_test) / transform_s,
    }
    if data.y_train is not None:
        row["accuracy"] = downstream_accuracy(
            model.transform(X_train), data.y_train, Z_test, data.y_test
        )
    return row


def warm_up(data, device):
    """A throw-away fit, so that one-off costs (kernels, allocator) hit no measured model."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        make_model(AutoencoderTransformer, 2, max_iter=1, device=device).fit(data.X_train[:256])
    PCA(2).fit(data.X_train[:256]).transform(data.X_test[:256])


MEMORY_COLUMNS = [
    "fit_peak_rss_MB",
    "fit_peak_python_MB",
    "transform_peak_rss_MB",
    "transform_peak_python_MB",
    "fit_peak_cuda_MB",
    "transform_peak_cuda_MB",
]


def memory_pass(source, grid, *, hidden_layer_sizes=None, device="cpu", random_state=0, threads=0):
    """Peak memory of a one-epoch ``fit`` and of ``transform``, for each (model, q).

    Meant to run in a process of its own (:func:`_common.run_probe`): see
    :func:`_common.peak_memory`. Memory does not depend on the number of epochs,
    so one is enough. ``source`` holds the arguments of :func:`load_data`.
    """
    set_threads(threads)
    data = load_data(**source)
    # One-off costs of a first fit (libraries paged in, kernels) belong to no model.
    warm_up(data, device)
    results = []
    for name, q in grid:
        model = make_model(
            MODELS[name][0],
            q,
            max_iter=1,
            hidden_layer_sizes=hidden_layer_sizes,
            device=device,
            random_state=random_state,
        )
        with peak_memory(device) as fit_mem:
            _fit(name, model, data)
        with peak_memory(device) as transform_mem:
            model.transform(data.X_test)
        results.append(
            {
                "model": name,
                "n_components": q,
                **{f"fit_peak_{k}": v for k, v in fit_mem.items()},
                **{f"transform_peak_{k}": v for k, v in transform_mem.items()},
            }
        )
        del model
    return results


def _merge_memory(rows, memory):
    by_key = {(m["model"], m["n_components"]): m for m in memory}
    for row in rows:
        found = by_key.get((row["model"], row["n_components"]), {})
        row.update({c: found.get(c) for c in MEMORY_COLUMNS})


def run_benchmark(
    data,
    model_names=None,
    n_components=(2, 5, 10, 20),
    *,
    max_iter=100,
    hidden_layer_sizes=None,
    device="cpu",
    random_state=0,
    log=print,
    show_progress=True,
    on_row=None,
    min_seconds=0.2,
    memory="probe",
    threads=0,
):
    """Fit and measure every (model, n_components); return the rows, PCA's first.

    ``memory`` is where peak memory is measured: ``"probe"`` in a fresh process set
    up for it (the accurate way), ``"here"`` in this one (only the tracemalloc
    numbers are reliable then), None not at all.
    """
    names = resolve_model_names(model_names)
    grid = [(name, q) for name in names for q in n_components]
    rows = []
    if any(name not in ("PCA", "PPCA") for name in names):
        warm_up(data, device)
    bar = progress(grid, desc="bench_pca", unit="fit", disable=not show_progress)
    for name, q in bar:
        if hasattr(bar, "set_postfix_str"):
            bar.set_postfix_str(f"{name} n_components={q}")
        reason = _skip_reason(name, q, data)
        if reason is not None:
            log(f"note: {name} with n_components={q} skipped: {reason}.")
            continue
        model = make_model(
            MODELS[name][0],
            q,
            max_iter=max_iter,
            hidden_layer_sizes=hidden_layer_sizes,
            device=device,
            random_state=random_state,
        )
        row = evaluate(
            name, model, data, device=device, has_loglik=MODELS[name][2], min_seconds=min_seconds
        )
        rows.append(row)
        if on_row is not None:
            on_row(rows)
    if memory is not None and rows:
        grid = [(r["model"], r["n_components"]) for r in rows]
        kwargs = {
            "source": data.source,
            "grid": grid,
            "hidden_layer_sizes": hidden_layer_sizes,
            "device": device,
            "random_state": random_state,
            "threads": threads,
        }
        if memory == "probe":
            log("measuring peak memory in a separate process (one-epoch fits) ...")
            measured = run_probe("bench_pca", "memory_pass", kwargs)
        else:
            measured = memory_pass(**kwargs)
        _merge_memory(rows, measured)
        if on_row is not None:
            on_row(rows)
    return rows


def raw_accuracy(data):
    """Accuracy of the same classifier on all the features: the ceiling of the codes."""
    if data.y_train is None:
        return None
    return downstream_accuracy(data.X_train, data.y_train, data.X_test, data.y_test)


# ------------------------------------------------------------------ output
TABLE_COLUMNS = [
    "model",
    "n_components",
    "n_iter",
    "recon_mse",
    "loglik",
    "accuracy",
    "fit_s",
    "transform_rows_per_s",
    "fit_peak_MB",
    "transform_peak_MB",
]
TABLE_HEADERS = [
    "model",
    "n_components",
    "epochs",
    "held-out MSE",
    "log-lik (nats)",
    "accuracy",
    "fit (s)",
    "transform (rows/s)",
    "fit peak (MB)",
    "transform peak (MB)",
]
TABLE_FORMATS = {
    "n_iter": "{}",
    "recon_mse": "{:.5f}",
    "loglik": "{:.1f}",
    "accuracy": "{:.3f}",
    "fit_s": "{:.2f}",
    "transform_rows_per_s": "{:,.0f}",
    "fit_peak_MB": "{:.1f}",
    "transform_peak_MB": "{:.1f}",
}


def _table_rows(rows, device):
    cuda = str(device).startswith("cuda")
    out = []
    for row in sorted(rows, key=lambda r: (r["n_components"], list(MODELS).index(r["model"]))):
        row = dict(row)
        if cuda:
            row["fit_peak_MB"] = row.get("fit_peak_cuda_MB")
            row["transform_peak_MB"] = row.get("transform_peak_cuda_MB")
        else:
            for phase in ("fit", "transform"):
                peaks = [row.get(f"{phase}_peak_rss_MB"), row.get(f"{phase}_peak_python_MB")]
                peaks = [p for p in peaks if p is not None and np.isfinite(p)]
                row[f"{phase}_peak_MB"] = max(peaks) if peaks else None
        out.append(row)
    return out


def write_results(rows, out, data, *, device="cpu", settings="", raw_acc=None, elapsed=None):
    """Write ``bench_pca_<data>.csv`` (first), ``.md`` and ``.png``; return their paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    stem = out / f"bench_pca_{data.name}"
    paths = {"csv": write_csv(rows, stem.with_suffix(".csv"), COLUMNS)}
    memory = (
        "peak GPU memory (`torch.cuda.max_memory_allocated`) above the start of the call"
        if str(device).startswith("cuda")
        else "rise of the process's resident-memory high-water mark during the call (or "
        "tracemalloc's Python/NumPy peak, if larger)"
    ) + (
        ", measured in a separate process that gives every allocation of 64 KiB or more "
        "its own mmap, with a one-epoch fit; fit peak includes the float32 copy of the "
        "training data that the neural models keep on the device"
    )
    lines = [
        f"# PCA, PPCA and the autoencoders on {data.name}\n",
        f"Command: `{command_line()}`\n",
        f"Data: {data.description}. {settings}\n",
        f"Environment: {environment()}; device {device}; scikit-learn {sklearn.__version__}"
        + (f"; {elapsed:.0f} s in all" if elapsed is not None else "")
        + ".\n",
        "Held-out MSE: mean squared error per feature of `inverse_transform(transform(X))`. "
        "Log-lik: mean held-out log-likelihood in nats per sample (PCA and PPCA exact, "
        "VAEs importance-weighted, all Gaussian data models); — where a model has none. "
        "Accuracy: logistic regression on standardised codes"
        + (f" (on all {data.n_features} raw features: {raw_acc:.3f})" if raw_acc else "")
        + f". Memory: {memory}.\n",
        markdown_table(_table_rows(rows, device), TABLE_COLUMNS, TABLE_HEADERS, TABLE_FORMATS),
    ]
    markdown = "\n".join(lines)
    paths["md"] = stem.with_suffix(".md")
    paths["md"].write_text(markdown)
    png = plot_results(rows, stem.with_suffix(".png"), title=data.name, raw_acc=raw_acc)
    if png is not None:
        paths["png"] = png
    return paths


def plot_results(rows, path, *, title="", raw_acc=None):
    """Error, accuracy, log-likelihood and fit time against n_components, a line per model."""
    plt = pyplot()
    if plt is None:
        return None
    panels = [
        ("recon_mse", "held-out reconstruction MSE", True),
        ("accuracy", "logistic-regression accuracy on codes", False),
        ("loglik", "held-out log-likelihood (nats/sample)", False),
        ("fit_s", "fit time (s)", True),
    ]
    grid = sorted({r["n_components"] for r in rows})
    # One colour per model in every panel, whichever models a panel has.
    colors = {name: plt.cm.tab10(i % 10) for i, name in enumerate(MODELS)}
    colors["PCA"] = "black"
    fig, axes = plt.subplots(2, 2, figsize=(11, 8), constrained_layout=True)
    for ax, (key, label, log_y) in zip(axes.flat, panels, strict=True):
        for name in MODELS:
            points = [
                (r["n_components"], r[key])
                for r in rows
                if r["model"] == name and r.get(key) is not None and np.isfinite(r[key])
            ]
            if not points:
                continue
            qs, values = zip(*sorted(points), strict=True)
            # PPCA's curves mostly lie on PCA's: thick PCA below, dashed PPCA over it.
            ax.plot(
                qs,
                values,
                marker="o",
                label=name,
                color=colors[name],
                linewidth=2.5 if name == "PCA" else 1.5,
                linestyle="--" if name == "PPCA" else "-",
                zorder=3 if name == "PPCA" else 2,
            )
        if key == "accuracy" and raw_acc:
            ax.axhline(raw_acc, color="gray", linestyle=":", label="raw features")
        ax.set_xscale("log")
        ax.set_xticks(grid, [str(q) for q in grid])
        ax.minorticks_off()
        if log_y:
            ax.set_yscale("log")
        ax.set_xlabel("n_components")
        ax.set_title(label)
        ax.grid(alpha=0.3)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    extra = axes.flat[1].get_legend_handles_labels()
    for h, lab in zip(*extra, strict=True):
        if lab not in labels:
            handles.append(h)
            labels.append(lab)
    fig.legend(handles, labels, loc="outside right center")
    fig.suptitle(f"PCA, PPCA and autoencoders on {title}")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--data", default="digits", help="digits, mnist, or PATH.npy")
    parser.add_argument("--labels", default=None, help="PATH.npy of labels for a .npy --data")
    parser.add_argument(
        "--mnist-path",
        default=None,
        help="folder with MNIST's IDX files (default: $SKLEARN_AE_MNIST, "
        "else the repository's data/mnist)",
    )
    parser.add_argument(
        "--scale",
        choices=["minmax", "standard", "none"],
        default=None,
        help="scaling of a .npy --data (default minmax; digits and mnist are already in [0, 1])",
    )
    parser.add_argument("--n-components", type=int, nargs="+", default=[2, 5, 10, 20])
    parser.add_argument(
        "--models",
        nargs="+",
        default=None,
        help="names or aliases: " + " ".join(a for _, a, _ in MODELS.values()),
    )
    parser.add_argument("--max-iter", type=int, default=100, help="epochs of the neural models")
    parser.add_argument(
        "--hidden-layer-sizes",
        type=int,
        nargs="+",
        default=None,
        help="encoder widths of the neural models (default: theirs, 256 64)",
    )
    parser.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    parser.add_argument("--random-state", type=int, default=0)
    add_threads_argument(parser, default=1)
    parser.add_argument(
        "--memory",
        choices=["probe", "here", "off"],
        default="probe",
        help="where peak memory is measured: in a separate process set up "
        "for it (accurate), in this one (only tracemalloc's numbers are "
        "reliable), or not at all",
    )
    parser.add_argument("--out", default=str(RESULTS_DIR), help="folder for CSV, .md, .png")
    args = parser.parse_args(argv)
    set_threads(args.threads)

    device = resolve_device(args.device)
    data = load_data(
        args.data,
        mnist_path=args.mnist_path,
        labels=args.labels,
        scale=args.scale,
        random_state=args.random_state,
    )
    hidden = args.hidden_layer_sizes
    settings = (
        f"Neural models: at most {args.max_iter} epochs (their default tol and patience), "
        f"hidden layers {tuple(hidden) if hidden else 'default (256, 64)'}, "
        f"random_state={args.random_state}, other parameters at their defaults."
    )
    print(f"{data.description}\n{environment()}; device {device}")
    start = time.perf_counter()

    def save_partial(rows):
        write_csv(rows, Path(args.out) / f"bench_pca_{data.name}.csv", COLUMNS)

    rows = run_benchmark(
        data,
        args.models,
        args.n_components,
        max_iter=args.max_iter,
        hidden_layer_sizes=hidden,
        device=device,
        random_state=args.random_state,
        log=print,
        on_row=save_partial,
        threads=args.threads,
        memory=None if args.memory == "off" else args.memory,
    )
    raw_acc = raw_accuracy(data)
    paths = write_results(
        rows,
        args.out,
        data,
        device=device,
        settings=settings,
        raw_acc=raw_acc,
        elapsed=time.perf_counter() - start,
    )
    print()
    print(paths["md"].read_text())
    print("written: " + ", ".join(str(p) for p in paths.values()))
    return rows


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
