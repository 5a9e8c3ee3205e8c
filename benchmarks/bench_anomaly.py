"""Anomaly detection: this package's detectors against scikit-learn's and PyOD's.

Two tasks, one command:

- **MNIST novelty** (the repository's copy; the first 8,000 digits train, the last
  2,000 are held out): for each digit d in 0-9, a model is fitted on the training
  digits other than d and scores all 2,000 held-out digits, d being the anomaly.
  Reported: ROC-AUC and average precision per digit, and their mean over the ten.
- **KDD-TSAD 135** (UCR "InternalBleeding16", shipped with aeon): the first 1,200
  points train, the 6,301 after them are scored. Windows of 64 points (stride 1),
  standardised with the training part's mean and standard deviation, go to each
  model through :class:`~sklearn_ae.series.SeriesOutlierDetector`, which gives each
  point the highest anomaly score of its windows. Reported: point-wise ROC-AUC and
  average precision.

Models, each at its defaults unless said:

- ``default``: ``OutlierDetector()``: a ``VAETransformer(n_components=10)``, scored by
  its likelihood ratio against ``PPCA(1)`` averaged with the local outlier factor of
  its codes. Three more rows come from the same fitted detector, to show what each
  part gives: the VAE's log-likelihood alone (``vae_loglik``, the raw
  ``score_samples``), its likelihood ratio alone (``vae_ratio``), and the codes'
  local outlier factor alone (``vae_latent_lof``); their fit time is the default's.
  On the series, ``default`` is ``SeriesOutlierDetector()``'s default detector,
  ``OutlierDetector(latent_neighbors=None)``: the likelihood ratio alone.
- ``ae``, ``dae``, ``ppca``: ``OutlierDetector`` around ``AutoencoderTransformer``,
  ``DenoisingAE`` and ``PPCA`` with ``n_components=10``, at the detector's defaults.
- ``conv``: ``OutlierDetector`` around a ``VAETransformer(n_components=10)`` with the
  ``ConvNet`` architecture, ``--conv-max-iter`` epochs (MNIST only; run only when
  named in ``--models``: an epoch takes about 10 s on 2 CPU cores).
- ``iforest``: scikit-learn's ``IsolationForest(random_state=0)``;
  ``lof``: ``LocalOutlierFactor(novelty=True)``; ``pca``: ``PCA(10)``'s
  reconstruction error (``OutlierDetector(PCA(10), latent_neighbors=None)``); all on
  the raw pixels (windows).
- ``pyod_ae``, ``pyod_vae``: PyOD's ``AutoEncoder`` and ``VAE`` at their defaults
  (``verbose=0``), when PyOD is installed (``pip install pyod``); skipped otherwise.

Threads: two by default (``--threads``). Fit time is the wall-clock time of ``fit``;
the neural models use every epoch their defaults allow (200 for ours).

Run::

    python benchmarks/bench_anomaly.py                  # all but conv, ~45 minutes on 2 cores
    python benchmarks/bench_anomaly.py --tasks mnist --digits 1 7 --models default lof
    python benchmarks/bench_anomaly.py --quick          # a smoke run: 2 digits, 2 epochs
    python benchmarks/bench_anomaly.py --tasks series --keep  # rerun one task, keep the other
"""

import argparse
import csv
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
    progress,
    pyplot,
    resolve_device,
    set_threads,
    write_csv,
)
from bench_series import load_series
from sklearn.base import BaseEstimator
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.neighbors import LocalOutlierFactor

from sklearn_ae import PPCA, AutoencoderTransformer, DenoisingAE, OutlierDetector, VAETransformer
from sklearn_ae.architectures import ConvNet
from sklearn_ae.datasets import mnist_split
from sklearn_ae.series import SeriesOutlierDetector, sliding_windows, window_scores_to_points

#: Every model, in the table's order; the first four share one fit.
MODELS = [
    "default",
    "vae_loglik",
    "vae_ratio",
    "vae_latent_lof",
    "ae",
    "dae",
    "ppca",
    "conv",
    "iforest",
    "lof",
    "pca",
    "pyod_ae",
    "pyod_vae",
]
#: Rows computed from the fitted default detector, and how.
DERIVED = {
    "vae_loglik": lambda det, X: det.estimator_.score_samples(X),
    "vae_ratio": lambda det, X: det.estimator_.score_samples(X) - det.background_.score_samples(X),
    "vae_latent_lof": lambda det, X: det.neighbors_.score_samples(det.estimator_.transform(X)),
}
DESCRIPTIONS = {
    "default": "OutlierDetector() (VAE(10): likelihood ratio + codes' LOF; series: ratio)",
    "vae_loglik": "... VAE log-likelihood alone (same fit)",
    "vae_ratio": "... VAE likelihood ratio to PPCA(1) alone (same fit)",
    "vae_latent_lof": "... LOF of the VAE's codes alone (same fit)",
    "ae": "OutlierDetector(AutoencoderTransformer(10))",
    "dae": "OutlierDetector(DenoisingAE(10))",
    "ppca": "OutlierDetector(PPCA(10))",
    "conv": "OutlierDetector(VAETransformer(10, ConvNet))",
    "iforest": "IsolationForest",
    "lof": "LocalOutlierFactor(novelty=True)",
    "pca": "PCA(10) reconstruction error",
    "pyod_ae": "PyOD AutoEncoder (defaults)",
    "pyod_vae": "PyOD VAE (defaults)",
}
COLUMNS = [
    "task",
    "target",
    "model",
    "roc_auc",
    "average_precision",
    "fit_s",
    "score_s",
    "command",
]


class PyODScores(BaseEstimator):
    """A PyOD detector seen through scikit-learn's convention: higher is more normal."""

    def __init__(self, name, random_state=0, device="cpu"):
        self.name = name
        self.random_state = random_state
        self.device = device

    def fit(self, X, y=None):
        from pyod.models.auto_encoder import AutoEncoder
        from pyod.models.vae import VAE

        cls = {"pyod_ae": AutoEncoder, "pyod_vae": VAE}[self.name]
        self.detector_ = cls(verbose=0, random_state=self.random_state, device=self.device)
        self.detector_.fit(X)
        return self

    def score_samples(self, X):
        return -self.detector_.decision_function(X)


def pyod_available():
    try:
        import pyod  # noqa: F401
    except ImportError:
        return False
    return True


def make_model(
    name, *, task, window=64, n_components=10, device="cpu", conv_max_iter=30, quick=False
):
    """The row-wise detector benchmarked under ``name`` (with ``score_samples``)."""
    neural = {"device": device, "random_state": 0}
    if quick:
        neural["max_iter"] = 2
    if name == "default":
        # The default's own model, seeded and on the chosen device; for a series,
        # SeriesOutlierDetector()'s default detector (no codes' neighbourhoods).
        latent = {"latent_neighbors": None} if task == "series" else {}
        return OutlierDetector(VAETransformer(n_components=10, **neural), **latent)
    if name == "ae":
        return OutlierDetector(AutoencoderTransformer(n_components=n_components, **neural))
    if name == "dae":
        return OutlierDetector(DenoisingAE(n_components=n_components, **neural))
    if name == "ppca":
        return OutlierDetector(PPCA(n_components=n_components))
    if name == "conv":
        conv = {**neural, "max_iter": 2 if quick else conv_max_iter}
        architecture = ConvNet(input_shape=(1, 28, 28))
        return OutlierDetector(
            VAETransformer(n_components=n_components, architecture=architecture, **conv)
        )
    if name == "iforest":
        return IsolationForest(random_state=0)
    if name == "lof":
        return LocalOutlierFactor(novelty=True)
    if name == "pca":
        return OutlierDetector(PCA(n_components=n_components), latent_neighbors=None)
    if name in ("pyod_ae", "pyod_vae"):
        return PyODScores(name, device=device)
    raise ValueError(name)


# -------------------------------------------------------------------- tasks
def _fit_and_score(model, X_train, X_test):
    """Fit, then score; ``(fitted model, scores, fit seconds, score seconds)``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        model.fit(X_train)
        fit_s = time.perf_counter() - start
    start = time.perf_counter()
    scores = model.score_samples(X_test)
    return model, scores, fit_s, time.perf_counter() - start


def _measure(task, target, name, labels, scores, fit_s, score_s):
    """One result row; ``labels`` are 1 for anomalies, ``scores`` higher for normal."""
    anomaly = -np.asarray(scores, dtype=np.float64)
    return {
        "task": task,
        "target": target,
        "model": name,
        "roc_auc": float(roc_auc_score(labels, anomaly)),
        "average_precision": float(average_precision_score(labels, anomaly)),
        "fit_s": fit_s,
        "score_s": score_s,
        "command": command_line(),
    }


def _evaluate(task, target, names, X_train, X_test, labels, make):
    """Rows for every model on one split; ``make(name)`` builds a model."""
    rows = []
    for name in names:
        if name in DERIVED:
            continue  # measured with the default, below
        model, scores, fit_s, score_s = _fit_and_score(make(name), X_train, X_test)
        rows.append(_measure(task, target, name, labels, scores, fit_s, score_s))
        if name != "default":
            continue
        detector = model.detector_ if task == "series" else model
        for derived in (n for n in names if n in DERIVED):
            if derived == "vae_latent_lof" and detector.neighbors_ is None:
                continue
            start = time.perf_counter()
            scores = _derived_scores(derived, model, detector, X_test, task)
            row = _measure(
                task, target, derived, labels, scores, fit_s, time.perf_counter() - start
            )
            rows.append(row)
    return rows


def _derived_scores(name, model, detector, X_test, task):
    if task != "series":
        return DERIVED[name](detector, X_test)
    # The same windows and the same spreading over points as the default's.
    windows = sliding_windows(X_test, model.window, stride=model.stride)
    anomaly = -DERIVED[name](detector, windows)
    return -window_scores_to_points(
        anomaly, len(X_test), model.window, stride=model.stride, reduce=model.reduce
    )


def run_mnist(names, digits, *, make, show_progress=True, on_row=None):
    """MNIST novelty: one row per model and digit; ``make(name, "mnist")`` builds a model."""
    X_train, X_test, y_train, y_test = mnist_split()
    rows = []
    bar = progress(digits, desc="bench_anomaly mnist", unit="digit", disable=not show_progress)
    for digit in bar:
        normal = X_train[y_train != digit]
        labels = (y_test == digit).astype(int)
        rows += _evaluate(
            "mnist", str(digit), names, normal, X_test, labels, lambda n: make(n, "mnist")
        )
        if on_row is not None:
            on_row(rows)
    return rows


def load_kdd_tsad_135():
    """The training part, the scored part and its labels, standardised with the training part."""
    data = load_series("kdd_tsad_135")
    mean, std = data.train.mean(), data.train.std()
    return (data.train - mean) / std, (data.test - mean) / std, np.asarray(data.labels, dtype=int)


def run_series(names, *, make, window=64, show_progress=True):
    """KDD-TSAD 135: one row per model, point-wise; ``make(name, "series")`` builds one."""
    train, test, labels = load_kdd_tsad_135()
    names = [n for n in names if n != "conv"]  # MNIST's ConvNet is for images
    bar = progress([0], desc="bench_anomaly series", unit="series", disable=not show_progress)
    rows = []
    for _ in bar:
        rows = _evaluate(
            "series",
            "kdd_tsad_135",
            names,
            train,
            test,
            labels,
            lambda name: SeriesOutlierDetector(make(name, "series"), window=window),
        )
    return rows


# ------------------------------------------------------------------ output
def kept_rows(path, tasks):
    """The rows of ``path`` (a CSV this script wrote) whose task is not in ``tasks``."""
    if not path.exists():
        return []
    with open(path, newline="") as f:
        rows = [row for row in csv.DictReader(f) if row["task"] not in tasks]
    for row in rows:
        for key in ("roc_auc", "average_precision", "fit_s", "score_s"):
            row[key] = float(row[key])
    return rows


def summary(rows, names):
    """One line per model: mean and per-digit ROC-AUC, mean AP, series ROC-AUC, fit time."""
    table = []
    for name in names:
        mnist = [r for r in rows if r["model"] == name and r["task"] == "mnist"]
        series = [r for r in rows if r["model"] == name and r["task"] == "series"]
        if not mnist and not series:
            continue
        line = {"model": DESCRIPTIONS[name]}
        if mnist:
            line["mean_auc"] = float(np.mean([r["roc_auc"] for r in mnist]))
            line["mean_ap"] = float(np.mean([r["average_precision"] for r in mnist]))
            line["fit_mnist"] = float(np.sum([r["fit_s"] for r in mnist]))
            for r in mnist:
                line[f"auc_{r['target']}"] = r["roc_auc"]
        if series:
            line["series_auc"] = series[0]["roc_auc"]
            line["fit_series"] = series[0]["fit_s"]
        table.append(line)
    return table


def write_results(rows, names, out, *, settings="", elapsed=None, device="cpu"):
    """Write ``bench_anomaly.csv`` (first), ``.md`` and ``.png``; return their paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    stem = out / "bench_anomaly"
    paths = {"csv": write_csv(rows, stem.with_suffix(".csv"), COLUMNS)}
    table = summary(rows, names)
    digits = sorted({r["target"] for r in rows if r["task"] == "mnist"})
    columns = ["model"]
    headers = ["model"]
    if digits:
        columns += ["mean_auc", "mean_ap"] + [f"auc_{d}" for d in digits] + ["fit_mnist"]
        headers += ["MNIST mean ROC-AUC", "mean AP"] + [f"digit {d}" for d in digits]
        headers += ["fit, all digits (s)"]
    if any(r["task"] == "series" for r in rows):
        columns += ["series_auc", "fit_series"]
        headers += ["KDD-TSAD 135 ROC-AUC", "fit (s)"]
    formats = {c: "{:.3f}" for c in columns} | {
        "model": "{}",
        "fit_mnist": "{:.0f}",
        "fit_series": "{:.1f}",
    }
    lines = [
        "# Anomaly detection: MNIST novelty and KDD-TSAD 135\n",
        "Command: "
        + ", then ".join(f"`{c}`" for c in dict.fromkeys(r["command"] for r in rows))
        + "\n",
        f"Environment: {environment()}; device {device}"
        + (f"; {elapsed / 60:.0f} min in all" if elapsed is not None else "")
        + f". {settings}\n",
        "MNIST novelty: the first 8,000 digits of the MNIST test set train, the last 2,000 "
        "are scored; for each digit d the models are fitted on the training digits other "
        "than d, and d is the anomaly among the 2,000. ROC-AUC per digit, and the means "
        "over the digits of ROC-AUC and average precision (AP). KDD-TSAD 135: point-wise "
        "ROC-AUC on the 6,301 test points, windows of 64, each point scored by its most "
        "anomalous window (SeriesOutlierDetector); there the default is "
        "SeriesOutlierDetector()'s, without the codes' neighbourhoods. Rows that start "
        "with ... are other scores of the default's fitted detector (no fit of their own).\n",
        markdown_table(table, columns, headers, formats),
    ]
    paths["md"] = stem.with_suffix(".md")
    paths["md"].write_text("\n".join(lines))
    png = plot(rows, names, stem.with_suffix(".png"))
    if png is not None:
        paths["png"] = png
    return paths


def plot(rows, names, path):
    """ROC-AUC per digit, one line per model."""
    plt = pyplot()
    mnist = [r for r in rows if r["task"] == "mnist"]
    if plt is None or not mnist:
        return None
    digits = sorted({r["target"] for r in mnist})
    fig, ax = plt.subplots(figsize=(9, 4.5), layout="constrained")
    for name in names:
        by_digit = {r["target"]: r["roc_auc"] for r in mnist if r["model"] == name}
        if by_digit:
            style = "-o" if name == "default" else "--." if name in DERIVED else "-."
            ax.plot(digits, [by_digit.get(d, np.nan) for d in digits], style, label=name)
    ax.axhline(0.5, color="0.5", linewidth=0.8)
    ax.set_xlabel("digit left out of training (the anomaly)")
    ax.set_ylabel("ROC-AUC")
    ax.set_title("MNIST novelty: ROC-AUC per held-out digit")
    ax.legend(ncol=2, fontsize="small")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--tasks", nargs="+", default=["mnist", "series"], choices=["mnist", "series"]
    )
    parser.add_argument(
        "--models",
        nargs="+",
        default=[m for m in MODELS if m != "conv"],
        choices=MODELS,
        help="conv is left out unless named: ~10 s an epoch on 2 CPU cores",
    )
    parser.add_argument(
        "--digits", nargs="+", type=int, default=None, help="the anomalies (default: 0 to 9)"
    )
    parser.add_argument("--window", type=int, default=64, help="time points per series window")
    parser.add_argument(
        "--conv-max-iter", type=int, default=30, help="epochs of the ConvNet VAE (MNIST)"
    )
    parser.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smoke run: 2 epochs per network (and digits 0 and 1 unless --digits)",
    )
    add_threads_argument(parser, default=2)
    parser.add_argument("--out", default=str(RESULTS_DIR), help="folder for CSV, .md, .png")
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the rows of the tasks not run this time from the CSV already in --out",
    )
    args = parser.parse_args(argv)
    set_threads(args.threads)
    device = resolve_device(args.device)
    names = list(args.models)
    if any(n in DERIVED for n in names) and "default" not in names:
        names.insert(0, "default")  # the derived rows are scores of its fit
    if not pyod_available() and any(n.startswith("pyod") for n in names):
        print("PyOD is not installed (pip install pyod): its rows are skipped.", file=sys.stderr)
        names = [n for n in names if not n.startswith("pyod")]
    digits = args.digits or ([0, 1] if args.quick else list(range(10)))

    def make(name, task):
        return make_model(
            name,
            task=task,
            window=args.window,
            device=device,
            conv_max_iter=args.conv_max_iter,
            quick=args.quick,
        )

    start = time.perf_counter()
    rows = kept_rows(Path(args.out) / "bench_anomaly.csv", args.tasks) if args.keep else []
    settings = "Quick smoke run (2 epochs): not a measurement." if args.quick else ""
    if "mnist" in args.tasks:
        rows += run_mnist(
            names,
            digits,
            make=make,
            on_row=lambda done: write_results(rows + done, names, args.out, settings=settings),
        )
    if "series" in args.tasks:
        rows += run_series(names, make=make, window=args.window)
    paths = write_results(
        rows, names, args.out, settings=settings, elapsed=time.perf_counter() - start, device=device
    )
    print(Path(paths["md"]).read_text())
    for path in paths.values():
        print(f"wrote {path}")
    return rows


if __name__ == "__main__":
    main()
