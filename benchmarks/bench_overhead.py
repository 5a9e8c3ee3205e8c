"""How much slower, or faster, is ``AutoencoderTransformer.fit`` than a hand-written PyTorch loop?

Two networks, each against loops that train the same network: the MLP
(784-512-128-10 encoder and its mirror, ReLU) and the convolutional ``ConvNet`` of
``sklearn_ae.architectures`` at its defaults (two strided 3x3 convolutions of 16 and 32
channels, a linear code of 10, and the transposed mirror). The same optimiser
(Adam, same learning rate, and the weight decay that the estimator derives from
``alpha``, read off a fitted estimator, on the weights but not the biases), batch 128
reshuffled every epoch, the same number of epochs (``tol=0`` and an unreachable
``n_iter_no_change``), on the first 8,000 MNIST digits (the repository's
``data/mnist``).

Two loops: the plain one (``torch.optim.Adam`` with its defaults, as one writes it)
is the reference of ``ratio``; the same loop with ``Adam(fused=True)``, which the
estimator uses, is that of ``ratio_fused_loop``: the first says what a user gains by
switching to the estimator, the second what the estimator's own machinery (validation,
skorch's loop and callbacks, the statistics after training) costs next to a loop that
is as fast as it can be.

The contestants are timed in turn in one process (the order rotates every repeat, so
that drifting load hits all alike); the report gives the median of the per-repeat
ratios, of wall-clock time and of process CPU time (steadier on a shared machine,
since other jobs' time is not counted).

The hand-written loops are the fastest plain ones we know: the data copied once to a
tensor on the device, batches sliced by a random permutation, no per-batch host
synchronisation. The estimator's time is its whole ``fit``: input validation, the
skorch loop, and ``_fit_model_statistics`` (a pass over the training set for the
latent Gaussian and the noise scale that ``sample`` draws from), which is also reported
on its own (``after_fit_s``).

Run::

    python benchmarks/bench_overhead.py                 # CPU, 1 thread, 5 epochs, 9 repeats
    python benchmarks/bench_overhead.py --threads 2     # torch on 2 threads
    python benchmarks/bench_overhead.py --device cuda   # on a GPU
    python benchmarks/bench_overhead.py --network conv  # the ConvNet only
    python benchmarks/bench_overhead.py --compile       # the estimator with compile=True

With ``--compile`` the estimator compiles its training step, and the warm-up fit pays
the compilation (reported as ``compile_s``), which later fits of the same network reuse;
the loops stay eager.
"""

import argparse
import itertools
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from _common import (
    RESULTS_DIR,
    add_threads_argument,
    command_line,
    environment,
    markdown_table,
    mnist_or_random,
    resolve_device,
    set_threads,
    synchronize,
    timed,
    write_csv,
)
from sklearn.exceptions import ConvergenceWarning
from torch import nn

from sklearn_ae import AutoencoderTransformer
from sklearn_ae.architectures import ConvNet

HIDDEN = (512, 128)
N_COMPONENTS = 10
BATCH_SIZE = 128
LR = 1e-3
ALPHA = 1e-4


#: The networks compared: None is the MLP of ``HIDDEN``.
NETWORKS = {"mlp": None, "conv": ConvNet(input_shape=(1, 28, 28))}


def make_estimator(
    *,
    epochs,
    device,
    seed=0,
    hidden=HIDDEN,
    n_components=N_COMPONENTS,
    batch_size=BATCH_SIZE,
    lr=LR,
    alpha=ALPHA,
    architecture=None,
    compile=False,
):
    return AutoencoderTransformer(
        n_components=n_components,
        architecture=architecture,
        hidden_layer_sizes=hidden,
        activation="relu",
        alpha=alpha,
        batch_size=batch_size,
        learning_rate_init=lr,
        max_iter=epochs,
        # Same number of epochs as the loop: never stop early.
        tol=0.0,
        n_iter_no_change=10**9,
        device=device,
        random_state=seed,
        compile=compile,
    )


def _mlp(sizes):
    layers = []
    for i, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def estimator_weight_decay(alpha=ALPHA, batch_size=BATCH_SIZE):
    """The weight decay the estimator hands Adam for ``alpha``, read off a tiny fit.

    Reading it rather than restating the formula (scikit-learn's ``alpha`` becomes a
    decay of ``alpha / batch_size``) keeps the loop identical to the estimator.
    """
    X = np.random.default_rng(0).random((batch_size, 3), dtype=np.float32)
    est = make_estimator(
        epochs=1, device="cpu", hidden=(2,), n_components=1, batch_size=batch_size, alpha=alpha
    ).fit(X)
    decays = {float(g["weight_decay"]) for g in est.net_.optimizer_.param_groups}
    if len(decays - {0.0}) > 1:
        raise RuntimeError(f"unexpected weight decays {decays}")
    return max(decays)


def hand_written_fit(
    X,
    *,
    epochs,
    device,
    seed=0,
    hidden=HIDDEN,
    n_components=N_COMPONENTS,
    batch_size=BATCH_SIZE,
    lr=LR,
    alpha=ALPHA,
    weight_decay=None,
    architecture=None,
    fused=False,
):
    """Train the same autoencoder with a plain PyTorch loop; return the per-epoch loss.

    ``weight_decay`` (on the weights, not the biases) defaults to the estimator's
    for ``alpha``. An ``architecture`` other than None builds its torch layers (the
    network the estimator trains); None writes the MLP out by hand. ``fused``
    passes ``fused=True`` to Adam; otherwise torch picks its default.
    """
    if weight_decay is None:
        weight_decay = estimator_weight_decay(alpha, batch_size)
    torch.manual_seed(seed)
    x = torch.tensor(X, dtype=torch.float32, device=device)
    if architecture is None:
        sizes = [X.shape[1], *hidden, n_components]
        model = nn.Sequential(_mlp(sizes), _mlp(sizes[::-1])).to(device)
    else:
        network = architecture.build(X.shape[1], n_components)
        model = nn.Sequential(network.encoder(), network.decoder).to(device)
    decay = [p for name, p in model.named_parameters() if not name.endswith("bias")]
    no_decay = [p for name, p in model.named_parameters() if name.endswith("bias")]
    optimizer = torch.optim.Adam(
        [
            {"params": decay, "weight_decay": weight_decay},
            {"params": no_decay, "weight_decay": 0.0},
        ],
        lr=lr,
        **({"fused": True} if fused else {}),
    )
    n = len(x)
    losses = []
    model.train()
    for _ in range(epochs):
        order = torch.randperm(n, device=device)
        total = torch.zeros((), device=device)
        for start in range(0, n, batch_size):
            xb = x[order[start : start + batch_size]]
            loss = (model(xb) - xb).square().mean(dim=1).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.detach() * len(xb)
        losses.append(total.item() / n)
    return losses


def run(X, *, epochs=5, repeats=9, device="cpu", warmup=True, log=print, compile=False, **network):
    """Time the estimator and the two loops in turn; return one dict per repeat.

    ``network`` overrides the shared settings (``hidden``, ``n_components``,
    ``batch_size``, ``lr``, ``alpha``, ``architecture``) of all sides alike.
    """
    decay = estimator_weight_decay(
        network.get("alpha", ALPHA), network.get("batch_size", BATCH_SIZE)
    )
    compile_s = 0.0
    if warmup:  # first-call costs (lazy imports, allocator growth, compilation) hit no side
        _, compile_s = timed(
            lambda: make_estimator(epochs=1, device=device, compile=compile, **network).fit(
                X[:1000]
            ),
            device,
        )
        for fused in (False, True):
            hand_written_fit(
                X[:1000], epochs=1, device=device, weight_decay=decay, fused=fused, **network
            )
    rows = []
    for r in range(repeats):
        est = make_estimator(epochs=epochs, device=device, seed=r, compile=compile, **network)
        contestants = {
            "estimator": lambda est=est: est.fit(X),
            "loop": lambda r=r: hand_written_fit(
                X, epochs=epochs, device=device, seed=r, weight_decay=decay, **network
            ),
            "loop_fused": lambda r=r: hand_written_fit(
                X, epochs=epochs, device=device, seed=r, weight_decay=decay, fused=True, **network
            ),
        }
        names = list(contestants)
        names = names[r % 3 :] + names[: r % 3]
        timings = {name: cpu_timed(contestants[name], device) for name in names}
        (_, t_est), c_est = timings["estimator"]
        (loop_losses, t_loop), c_loop = timings["loop"]
        (_, t_fused), _ = timings["loop_fused"]
        if est.n_iter_ != epochs:
            raise RuntimeError(f"the estimator ran {est.n_iter_} epochs, not {epochs}")
        # The part of fit that is not training: repeated after the fact to time it.
        _, t_after = timed(lambda est=est: est._fit_model_statistics(X, None), device)
        row = {
            "repeat": r,
            "estimator_s": t_est,
            "loop_s": t_loop,
            "ratio": t_est / t_loop,
            "loop_fused_s": t_fused,
            "ratio_fused_loop": t_est / t_fused,
            "after_fit_s": t_after,
            "ratio_training_only": (t_est - t_after) / t_loop,
            "estimator_cpu_s": c_est,
            "loop_cpu_s": c_loop,
            "cpu_ratio": c_est / c_loop,
            "estimator_final_loss": est.loss_curve_[-1],
            "loop_final_loss": loop_losses[-1],
            "compile_s": compile_s,
        }
        rows.append(row)
        log(
            f"repeat {r}: estimator {t_est:6.2f} s   loop {t_loop:6.2f} s   "
            f"fused loop {t_fused:6.2f} s   ratio {row['ratio']:.3f}   "
            f"vs fused loop {row['ratio_fused_loop']:.3f}   (after fit {t_after:.2f} s; "
            f"CPU-time ratio {row['cpu_ratio']:.3f})"
        )
    return rows


def cpu_timed(fn, device):
    """``((result, wall seconds), process CPU seconds)`` of one call.

    CPU time counts every thread of this process and nothing of the others, so it is
    less sensitive to other jobs on a shared machine than the wall clock.
    """
    start = time.process_time()
    out = timed(fn, device)
    return out, time.process_time() - start


def summarize(rows):
    ratios = [r["ratio"] for r in rows]
    return {
        "median_ratio": statistics.median(ratios),
        "median_ratio_training_only": statistics.median(r["ratio_training_only"] for r in rows),
        "median_estimator_s": statistics.median(r["estimator_s"] for r in rows),
        "median_loop_s": statistics.median(r["loop_s"] for r in rows),
        "median_ratio_fused_loop": statistics.median(r["ratio_fused_loop"] for r in rows),
        "median_loop_fused_s": statistics.median(r["loop_fused_s"] for r in rows),
        "median_after_fit_s": statistics.median(r["after_fit_s"] for r in rows),
        "median_cpu_ratio": statistics.median(r["cpu_ratio"] for r in rows),
        "ratios": ratios,
    }


COLUMNS = [
    "repeat",
    "estimator_s",
    "loop_s",
    "ratio",
    "loop_fused_s",
    "ratio_fused_loop",
    "after_fit_s",
    "ratio_training_only",
    "estimator_cpu_s",
    "loop_cpu_s",
    "cpu_ratio",
    "estimator_final_loss",
    "loop_final_loss",
    "compile_s",
]


def write_report(
    rows, summary, out, *, source, epochs, device, n_samples, network="mlp", compile=False
):
    out = Path(out)
    name = "overhead" if network == "mlp" else f"overhead_{network}"
    name += "_compile" if compile else ""
    write_csv(rows, out / f"{name}.csv", COLUMNS)
    fmt = {c: "{:.3f}" for c in COLUMNS[1:]} | {"repeat": "{}"}
    if network == "mlp":
        described = f"784-{'-'.join(map(str, HIDDEN))}-{N_COMPONENTS} + mirror, ReLU"
        title = "Training overhead"
    else:
        described = f"{NETWORKS[network]!r}, code {N_COMPONENTS}"
        title = f"Training overhead of a {type(NETWORKS[network]).__name__}"
    text = [
        f"# {title}: `AutoencoderTransformer.fit` vs a hand-written PyTorch loop\n",
        f"Command: `{command_line()}`\n",
        f"Data: {source}, {n_samples} x 784; network {described}; "
        f"Adam lr={LR}, alpha={ALPHA} (weight decay "
        f"{estimator_weight_decay():.3g} on the weights, none on the biases); "
        f"batch {BATCH_SIZE}; {epochs} epochs; device {device}"
        f"{'; the estimator with compile=True' if compile else ''}.\n",
        f"Environment: {environment()}.\n",
        f"**Median ratio (estimator / plain loop): {summary['median_ratio']:.3f}** "
        f"(training only, without `_fit_model_statistics`: "
        f"{summary['median_ratio_training_only']:.3f}; in process CPU time: "
        f"{summary['median_cpu_ratio']:.3f}); median times "
        f"{summary['median_estimator_s']:.2f} s vs {summary['median_loop_s']:.2f} s, "
        f"`_fit_model_statistics` {summary['median_after_fit_s']:.2f} s.\n",
        f"Against the same loop with `Adam(fused=True)` "
        f"({summary['median_loop_fused_s']:.2f} s): "
        f"**{summary['median_ratio_fused_loop']:.3f}**.\n",
        markdown_table(rows, COLUMNS, formats=fmt),
    ]
    (out / f"{name}.md").write_text("\n".join(text))
    return out / f"{name}.md"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--n-samples", type=int, default=8000)
    parser.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    parser.add_argument(
        "--mnist-path",
        default=None,
        help="folder with MNIST's IDX files (default: $SKLEARN_AE_MNIST, "
        "else the repository's data/mnist)",
    )
    add_threads_argument(parser, default=1)
    parser.add_argument("--network", choices=[*NETWORKS, "all"], default="all")
    parser.add_argument(
        "--compile", action="store_true", help="fit the estimator with compile=True"
    )
    parser.add_argument("--out", default=str(RESULTS_DIR))
    args = parser.parse_args(argv)
    set_threads(args.threads)

    device = resolve_device(args.device)
    X, source = mnist_or_random(args.n_samples, mnist_path=args.mnist_path)
    print(f"{source}: {X.shape}; device {device}; {environment()}")
    warnings.simplefilter("ignore", ConvergenceWarning)
    networks = list(NETWORKS) if args.network == "all" else [args.network]
    summaries = {}
    for network in networks:
        t0 = time.perf_counter()
        print(f"-- {network}")
        rows = run(
            X,
            epochs=args.epochs,
            repeats=args.repeats,
            device=device,
            architecture=NETWORKS[network],
            compile=args.compile,
        )
        summary = summaries[network] = summarize(rows)
        path = write_report(
            rows,
            summary,
            args.out,
            source=source,
            epochs=args.epochs,
            device=device,
            n_samples=len(X),
            network=network,
            compile=args.compile,
        )
        synchronize(device)
        print(
            f"\n{network}: median ratio estimator/loop: {summary['median_ratio']:.3f} "
            f"(runs: {', '.join(f'{r:.3f}' for r in summary['ratios'])}); "
            f"training only: {summary['median_ratio_training_only']:.3f}; "
            f"vs the fused loop: {summary['median_ratio_fused_loop']:.3f}; "
            f"CPU-time ratio: {summary['median_cpu_ratio']:.3f}; "
            f"{time.perf_counter() - t0:.0f} s; written to {path}"
        )
    return summaries


if __name__ == "__main__":
    np.set_printoptions(precision=3)
    sys.exit(0 if main() else 1)
