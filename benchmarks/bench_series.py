"""Recurrent, convolutional and dense autoencoders against PCA, on windows of a series.

The data is KDD-TSAD 135 (UCR anomaly archive, "InternalBleeding16", shipped with
aeon): the first 1,200 points are the normal training part, the 6,301 after them
the test part, with one labelled anomaly of 12 points. Both are cut into windows of
64 points (stride 1), standardised with the training part's mean and standard
deviation. ``--data synthetic`` uses a generated series instead (no aeon needed).

At one code size (8 by default), each model is fitted on the training windows:
``AutoencoderTransformer`` with ``RecurrentNet`` (an LSTM), with ``Conv1dNet`` and
with the default MLP, and scikit-learn's ``PCA``. Reported for each:

- point-wise ROC-AUC on the test part: the anomaly score of a window is minus
  ``score_samples`` (its reconstruction error), spread over the window's points by
  ``window_scores_to_points`` (the mean over the windows that hold a point);
- whether the top-scored point lies inside the labelled anomaly (and how far off
  it is when not);
- held-out reconstruction error: the mean squared error per feature of
  ``inverse_transform(transform(X))`` on the test part's windows that hold no
  labelled point (normal windows the models have not seen);
- fit time, and the time to score the test part's windows.

Threads: one by default (``--threads``), the fastest and steadiest setting for these
small networks on a small or shared machine.

Run::

    python benchmarks/bench_series.py                   # KDD-TSAD 135, ~2 minutes on 2 cores
    python benchmarks/bench_series.py --data synthetic  # a generated series, no aeon
    python benchmarks/bench_series.py --models rnn pca --n-components 4 --window 32
"""

import argparse
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from _common import (
    RESULTS_DIR,
    add_threads_argument,
    command_line,
    environment,
    markdown_table,
    progress,
    pyplot,
    resolve_device,
    set_threads,
    timed,
    write_csv,
)
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import roc_auc_score

from sklearn_ae import AutoencoderTransformer
from sklearn_ae.architectures import Conv1dNet, RecurrentNet
from sklearn_ae.series import sliding_windows, window_scores_to_points

# name -> short alias
MODELS = {"RecurrentNet": "rnn", "Conv1dNet": "conv", "MLP": "mlp", "PCA": "pca"}

COLUMNS = [
    "data",
    "model",
    "n_components",
    "window",
    "n_iter",
    "roc_auc",
    "top_point",
    "top_in_anomaly",
    "top_distance",
    "heldout_mse",
    "fit_s",
    "score_s",
]


# -------------------------------------------------------------------- data
@dataclass
class SeriesData:
    """A series split into a normal training part and a labelled test part."""

    name: str
    description: str
    train: np.ndarray  # (n_train,) or (n_train, n_channels)
    test: np.ndarray  # (n_test,) or (n_test, n_channels)
    labels: np.ndarray  # (n_test,), 1 inside an anomaly

    @property
    def n_channels(self):
        return 1 if self.train.ndim == 1 else self.train.shape[1]

    def anomaly_span(self):
        idx = np.flatnonzero(self.labels)
        return int(idx[0]), int(idx[-1])


def synthetic_series(n_train=1200, n_test=3000, *, period=50, seed=0):
    """A noisy periodic series whose test part holds one anomalous stretch.

    Each period is a sine plus its second harmonic; the anomaly replaces half a
    period in the middle of the test part by a sine of three times the frequency,
    within the normal range of values: only a model of the shape finds it.
    """
    rng = np.random.default_rng(seed)
    n = n_train + n_test
    t = np.arange(n)
    phase = 2 * np.pi * t / period
    series = np.sin(phase) + 0.4 * np.sin(2 * phase) + 0.05 * rng.standard_normal(n)
    labels = np.zeros(n, dtype=int)
    start = n_train + n_test // 2
    stretch = slice(start, start + period // 2)
    series[stretch] = np.sin(3 * phase[stretch]) + 0.05 * rng.standard_normal(period // 2)
    labels[stretch] = 1
    return SeriesData(
        "synthetic",
        f"synthetic periodic series (period {period}), {n_train} training points, "
        f"{n_test} test points with an anomaly of {period // 2} points",
        series[:n_train],
        series[n_train:],
        labels[n_train:],
    )


def load_series(data="kdd_tsad_135", *, n_train=1200, n_test=3000, seed=0):
    """``--data``: ``kdd_tsad_135`` (aeon's copy) or ``synthetic`` (sized by n_train, n_test)."""
    if data == "synthetic":
        return synthetic_series(n_train, n_test, seed=seed)
    if data != "kdd_tsad_135":
        raise SystemExit(f"unknown --data {data!r}: kdd_tsad_135 or synthetic")
    try:
        from aeon.datasets import load_kdd_tsad_135
    except ImportError as exc:
        raise SystemExit(
            f"--data kdd_tsad_135 needs aeon (pip install aeon, or the bench extra): {exc}. "
            "Or run with --data synthetic."
        ) from None
    train, _ = load_kdd_tsad_135(split="train")
    # aeon's test split is the whole series, the training part at its start.
    series, labels = load_kdd_tsad_135(split="test")
    test, labels = series[len(train) :], labels[len(train) :]
    return SeriesData(
        "kdd_tsad_135",
        f"KDD-TSAD 135 (UCR InternalBleeding16, from aeon): {len(train)} training points, "
        f"{len(test)} test points with one labelled anomaly of {int(labels.sum())} points",
        train,
        test,
        labels,
    )


def make_windows(data, window, stride=1):
    """Training and test windows, standardised with the training part's statistics."""
    mean, std = data.train.mean(axis=0), data.train.std(axis=0)
    X_train = sliding_windows((data.train - mean) / std, window, stride=stride)
    X_test = sliding_windows((data.test - mean) / std, window)
    return X_train.astype(np.float32), X_test.astype(np.float32)


# ------------------------------------------------------------------ models
def resolve_model_names(requested=None):
    """Model names from names or aliases (case-insensitive), in the table's order."""
    if not requested:
        return list(MODELS)
    lookup = {k.lower(): k for k in MODELS} | {v: k for k, v in MODELS.items()}
    unknown = [r for r in requested if r.lower() not in lookup]
    if unknown:
        raise SystemExit(
            f"unknown model(s) {unknown}; choose from {list(MODELS)} or {list(MODELS.values())}"
        )
    chosen = {lookup[r.lower()] for r in requested}
    return [name for name in MODELS if name in chosen]


def make_model(
    name,
    n_components,
    *,
    window,
    n_channels=1,
    max_iter=100,
    learning_rate_init=0.003,
    batch_size=32,
    hidden_size=64,
    device="cpu",
    random_state=0,
):
    """The estimator benchmarked under ``name``; the neural ones share their training settings."""
    if name == "PCA":
        return PCA(n_components, random_state=random_state)
    architecture = {
        "RecurrentNet": lambda: RecurrentNet(
            input_shape=(window, n_channels), hidden_size=hidden_size
        ),
        "Conv1dNet": lambda: Conv1dNet(input_shape=(window, n_channels)),
        "MLP": lambda: None,  # the estimator's default MLP, hidden layers (256, 64)
    }[name]()
    return AutoencoderTransformer(
        n_components=n_components,
        architecture=architecture,
        max_iter=max_iter,
        learning_rate_init=learning_rate_init,
        batch_size=batch_size,
        device=device,
        random_state=random_state,
    )


def evaluate(name, model, data, X_train, X_test, *, window, device="cpu"):
    """Fit ``model`` and measure it; one result row and the point-wise scores."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        _, fit_s = timed(lambda: model.fit(X_train), device)
    window_scores, score_s = timed(lambda: -model.score_samples(X_test), device)
    points = window_scores_to_points(window_scores, len(data.test), window)
    top = int(np.argmax(points))
    first, last = data.anomaly_span()
    # Normal held-out windows: those of the test part that hold no labelled point.
    normal = ~sliding_windows(data.labels, window).any(axis=1)
    X_normal = X_test[normal]
    reconstruction = model.inverse_transform(model.transform(X_normal))
    return {
        "data": data.name,
        "model": name,
        "n_components": model.n_components,
        "window": window,
        "n_iter": getattr(model, "n_iter_", None),
        "roc_auc": float(roc_auc_score(data.labels, points)),
        "top_point": top,
        "top_in_anomaly": bool(data.labels[top]),
        "top_distance": max(first - top, top - last, 0),
        "heldout_mse": float(np.mean((reconstruction - X_normal) ** 2)),
        "fit_s": fit_s,
        "score_s": score_s,
    }, points


def warm_up(X_train, window, n_channels, device):
    """Throw-away one-epoch fits, so that one-off costs land on no model's time."""
    for name in ("RecurrentNet", "Conv1dNet", "MLP"):
        model = make_model(name, 2, window=window, n_channels=n_channels, max_iter=1, device=device)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X_train[:64])


def run_benchmark(
    data,
    model_names=None,
    n_components=8,
    *,
    window=64,
    stride=1,
    device="cpu",
    show_progress=True,
    on_row=None,
    **model_params,
):
    """Fit and measure every model; return ``(rows, {model: point scores})``.

    ``model_params`` are :func:`make_model`'s training settings (``max_iter``,
    ``learning_rate_init``, ``batch_size``, ``hidden_size``, ``random_state``).
    """
    names = resolve_model_names(model_names)
    X_train, X_test = make_windows(data, window, stride)
    if any(name != "PCA" for name in names):
        warm_up(X_train, window, data.n_channels, device)
    rows, scores = [], {}
    bar = progress(names, desc="bench_series", unit="model", disable=not show_progress)
    for name in bar:
        if hasattr(bar, "set_postfix_str"):
            bar.set_postfix_str(name)
        model = make_model(
            name,
            n_components,
            window=window,
            n_channels=data.n_channels,
            device=device,
            **model_params,
        )
        row, scores[name] = evaluate(
            name, model, data, X_train, X_test, window=window, device=device
        )
        rows.append(row)
        if on_row is not None:
            on_row(rows)
    return rows, scores


# ------------------------------------------------------------------ output
TABLE = {
    "model": ("model", "{}"),
    "n_components": ("n_components", "{}"),
    "n_iter": ("epochs", "{}"),
    "roc_auc": ("point-wise ROC-AUC", "{:.4f}"),
    "top": ("top point in anomaly", "{}"),
    "heldout_mse": ("held-out MSE (normal test windows)", "{:.4f}"),
    "fit_s": ("fit (s)", "{:.1f}"),
    "score_s": ("score test (s)", "{:.2f}"),
}


def _table_rows(rows):
    return [
        {
            **r,
            "top": f"yes ({r['top_point']})"
            if r["top_in_anomaly"]
            else f"no ({r['top_point']}, {r['top_distance']} off)",
        }
        for r in rows
    ]


def write_results(rows, out, data, *, scores=None, device="cpu", settings="", elapsed=None):
    """Write ``bench_series_<data>.csv`` (first), ``.md`` and ``.png``; return their paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    stem = out / f"bench_series_{data.name}"
    paths = {"csv": write_csv(rows, stem.with_suffix(".csv"), COLUMNS)}
    first, last = data.anomaly_span()
    lines = [
        f"# Autoencoders on windows of a series: {data.name}\n",
        f"Command: `{command_line()}`\n",
        f"Data: {data.description}; anomaly at test points {first}-{last}. {settings}\n",
        f"Environment: {environment()}; device {device}"
        + (f"; {elapsed:.0f} s in all" if elapsed is not None else "")
        + ".\n",
        "Point-wise ROC-AUC: each test window's reconstruction error (minus "
        "`score_samples`), averaged over the windows that hold a point "
        "(`window_scores_to_points`), against the point labels of the test part. Top point: "
        "the test point with the highest score (index in the test part), inside the "
        "labelled anomaly or how many points off. Held-out MSE: mean squared error per "
        "feature of `inverse_transform(transform(X))`, in standardised units, on the test "
        "part's windows that hold no labelled point. Fit: training windows; score: "
        "`score_samples` on all the test windows.\n",
        markdown_table(
            _table_rows(rows),
            list(TABLE),
            [h for h, _ in TABLE.values()],
            {k: f for k, (_, f) in TABLE.items()},
        ),
    ]
    paths["md"] = stem.with_suffix(".md")
    paths["md"].write_text("\n".join(lines))
    if scores:
        png = plot_scores(data, scores, stem.with_suffix(".png"))
        if png is not None:
            paths["png"] = png
    return paths


def plot_scores(data, scores, path):
    """The test part, the labelled anomaly shaded, and each model's point scores under it."""
    plt = pyplot()
    if plt is None:
        return None
    first, last = data.anomaly_span()
    fig, axes = plt.subplots(
        len(scores) + 1, 1, figsize=(11, 1.6 * (len(scores) + 1)), sharex=True, layout="constrained"
    )
    axes[0].plot(data.test, color="0.2", linewidth=0.6)
    axes[0].set_ylabel("series")
    for ax, (name, points) in zip(axes[1:], scores.items(), strict=True):
        ax.plot(points, color="tab:red", linewidth=0.8)
        ax.set_ylabel(name, rotation=0, ha="right")
        ax.set_yticks([])
    for ax in axes:
        ax.axvspan(first, last + 1, color="tab:orange", alpha=0.3, linewidth=0)
    axes[-1].set_xlabel("time point of the test part")
    fig.suptitle(f"Anomaly scores per time point, {data.name} (labelled anomaly shaded)")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--data", default="kdd_tsad_135", help="kdd_tsad_135 (aeon) or synthetic")
    parser.add_argument(
        "--n-train", type=int, default=1200, help="training points of --data synthetic"
    )
    parser.add_argument("--n-test", type=int, default=3000, help="test points of --data synthetic")
    parser.add_argument("--window", type=int, default=64, help="time points per window")
    parser.add_argument("--stride", type=int, default=1, help="stride of the training windows")
    parser.add_argument("--n-components", type=int, default=8)
    parser.add_argument(
        "--models",
        nargs="+",
        default=None,
        help="names or aliases: " + " ".join(MODELS.values()),
    )
    parser.add_argument(
        "--max-iter",
        type=int,
        default=100,
        help="most epochs of the neural models (they stop earlier when the loss stalls)",
    )
    parser.add_argument("--learning-rate", type=float, default=0.003)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--hidden-size", type=int, default=64, help="RecurrentNet's width")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    parser.add_argument("--random-state", type=int, default=0)
    add_threads_argument(parser, default=1)
    parser.add_argument("--out", default=str(RESULTS_DIR), help="folder for CSV, .md, .png")
    args = parser.parse_args(argv)
    set_threads(args.threads)
    device = resolve_device(args.device)

    data = load_series(args.data, n_train=args.n_train, n_test=args.n_test, seed=args.random_state)
    settings = (
        f"Windows of {args.window} points (training stride {args.stride}), standardised with "
        f"the training part's mean and standard deviation. Neural models: "
        f"`AutoencoderTransformer`, at most {args.max_iter} epochs (default tol and "
        f"n_iter_no_change), learning_rate_init={args.learning_rate}, "
        f"batch_size={args.batch_size}, random_state={args.random_state}; RecurrentNet: "
        f"LSTM, hidden_size={args.hidden_size}; Conv1dNet: its defaults (channels (16, 32), "
        "kernel 5, stride 2); MLP: the default architecture, hidden layers (256, 64)."
    )
    print(f"{data.description}\n{environment()}; device {device}")
    start = time.perf_counter()

    def save_partial(rows):
        write_csv(rows, Path(args.out) / f"bench_series_{data.name}.csv", COLUMNS)

    rows, scores = run_benchmark(
        data,
        args.models,
        args.n_components,
        window=args.window,
        stride=args.stride,
        max_iter=args.max_iter,
        learning_rate_init=args.learning_rate,
        batch_size=args.batch_size,
        hidden_size=args.hidden_size,
        device=device,
        random_state=args.random_state,
        on_row=save_partial,
    )
    paths = write_results(
        rows,
        args.out,
        data,
        scores=scores,
        device=device,
        settings=settings,
        elapsed=time.perf_counter() - start,
    )
    print()
    print(paths["md"].read_text())
    print("written: " + ", ".join(str(p) for p in paths.values()))
    return rows


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
