"""What does the exact contractive penalty cost per training epoch?

Issue 3 asks that a ContractiveAE epoch cost at most 3x a plain AutoencoderTransformer
epoch on the same network. Both estimators are trained here side by side on MNIST-sized
data (the first 8,000 MNIST digits, or uniform noise of that shape with ``--data
random``): encoder 784-512-128-10 and its mirror, ReLU,
Adam, batch 128, a few epochs each (``tol=0``, so no early stop).

The penalty ``mean ||J_f(x)||_F^2`` is computed in closed form,
``J = W_3 D_2 W_2 D_1 W_1`` with ``D_k = diag(relu'(pre_k))``: ``M = W_3 D_2 W_2 D_1``
(``n_components`` rows per sample) by a batched product from the code side, then
``||M W_1||^2 = sum(M * (M G))`` through the Gram matrix ``G = W_1 W_1^T`` with a
hand-written backward (gradients ``2 M G``, already at hand, and ``2 S W_1``,
``S = sum_b M_b^T M_b``). ``--reference`` also times the same closed form finished by
the plain product ``M W_1``, and torch.func's generic ``vmap(jacrev)`` of the encoder:
the same exact value by three routes.

Why not less: any exact route has to contract the ``batch * n_components`` Jacobian
rows with the 512-wide first layer, forward and backward. Through ``G`` that is
``2 * 512^2 * (128 * 10 + 784)`` = 1.08 G multiply-adds per batch, against about 0.31 G
for the whole plain training step; the script prints these counts next to the times.

Fits alternate between the models (the order flips every repeat, so drifting load on a
shared machine hits all alike). The time of an epoch is skorch's per-epoch ``dur``;
each fit contributes the median over its epochs, and the ratio reported is the median
over repeats of the per-repeat ratios. Results go to
``benchmarks/results/contractive_cost.csv`` (git-ignored).

Run::

    python benchmarks/bench_contractive_cost.py                # CPU, 3 epochs, 5 repeats
    python benchmarks/bench_contractive_cost.py --reference    # add the vmap(jacrev) route
    python benchmarks/bench_contractive_cost.py --device cuda
"""

import argparse
import itertools
import statistics
import time
import warnings
from pathlib import Path

import torch
from _common import (
    RESULTS_DIR,
    add_threads_argument,
    environment,
    mnist_or_random,
    resolve_device,
    set_threads,
    write_csv,
)
from sklearn.exceptions import ConvergenceWarning
from skorch.callbacks import Callback

from sklearn_ae import AutoencoderTransformer, ContractiveAE
from sklearn_ae.nn import ContractiveAutoencoder, mlp_jacobian_sq_norm


class _AutogradContractiveAutoencoder(ContractiveAutoencoder):
    """The same penalty through torch.func's generic per-sample Jacobian."""

    def encode_with_jacobian(self, x):
        from torch.func import functional_call, jacrev, vmap

        params = dict(self.encoder.named_parameters())

        def f(row):
            return functional_call(self.encoder, params, (row,))

        jac = vmap(jacrev(f))(x)
        return self.encoder(x), jac.square().sum(dim=(1, 2))


class _AutogradContractiveAE(ContractiveAE):
    _module_class = _AutogradContractiveAutoencoder


class _DirectContractiveAutoencoder(ContractiveAutoencoder):
    """The closed form finished by the plain product ``J = M W_1`` (no Gram matrix)."""

    def encode_with_jacobian(self, x):
        return mlp_jacobian_sq_norm(self.encoder, x, route="direct")


class _DirectContractiveAE(ContractiveAE):
    _module_class = _DirectContractiveAutoencoder


class EpochCPUTime(Callback):
    """Record each epoch's CPU time of this process as ``cpu_dur`` in the history.

    On a shared machine wall time also measures the neighbours; with one torch
    thread, the process's CPU time measures the work alone.
    """

    def on_epoch_begin(self, net, **kwargs):
        self.start_ = time.process_time()

    def on_epoch_end(self, net, **kwargs):
        net.history.record("cpu_dur", time.process_time() - self.start_)


MODELS = {
    "plain": AutoencoderTransformer,
    "contractive": ContractiveAE,
    "contractive_direct": _DirectContractiveAE,
    "contractive_autograd": _AutogradContractiveAE,
}


def fit_once(name, X, args, seed):
    params = {
        "n_components": args.n_components,
        "hidden_layer_sizes": tuple(args.hidden),
        "activation": args.activation,
        "batch_size": args.batch_size,
        "max_iter": args.epochs,
        "tol": 0.0,
        "n_iter_no_change": args.epochs + 1,
        "device": args.device,
        "random_state": seed,
        "callbacks": [("cpu_time", EpochCPUTime())],
    }
    if name != "plain":
        params["contractive_weight"] = args.contractive_weight
    model = MODELS[name](**params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X)
    wall = [float(d) for d in model.net_.history[:, "dur"]]
    cpu = [float(d) for d in model.net_.history[:, "cpu_dur"]]
    return {"wall": statistics.median(wall), "cpu": statistics.median(cpu)}, wall, cpu


def multiply_adds(n_features, hidden, n_components, batch_size):
    """Multiply-adds per mini-batch: the plain step, and what the penalty adds."""
    widths = [n_features, *hidden, n_components]
    layers = list(itertools.pairwise(widths))
    forward = 2 * batch_size * sum(a * b for a, b in layers)  # encoder and decoder
    # Backward: weight gradients, plus input gradients except the first layer's.
    plain = forward + 2 * forward - batch_size * n_features * hidden[0]
    rows = batch_size * n_components
    h1 = hidden[0]
    # M = W_K D ... W_2 D_1 from the code side, forward and its two backward products.
    chain = 3 * rows * sum(a * b for a, b in layers[1:-1])
    gram = 2 * h1 * h1 * (rows + n_features)  # G, M G; then S, S W_1 in backward
    direct = 3 * rows * h1 * n_features  # M W_1, and its two backward products
    return plain, chain + min(gram, direct)


def ratio(epoch, clock):
    return epoch["contractive"][clock] / epoch["plain"][clock]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", choices=["mnist", "random"], default="mnist")
    parser.add_argument(
        "--mnist-path",
        default=None,
        help="folder with MNIST's IDX files (default: $SKLEARN_AE_MNIST, "
        "else the repository's data/mnist)",
    )
    parser.add_argument("--n-samples", type=int, default=8000)
    parser.add_argument("--hidden", type=int, nargs="+", default=[512, 128])
    parser.add_argument("--n-components", type=int, default=10)
    parser.add_argument("--activation", default="relu")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--contractive-weight", type=float, default=0.1)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    add_threads_argument(parser, default=1)
    parser.add_argument(
        "--reference",
        action="store_true",
        help="also time the closed form without the Gram matrix, and torch.func's vmap(jacrev)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "contractive_cost.csv")
    args = parser.parse_args(argv)
    set_threads(args.threads)
    args.device = resolve_device(args.device)

    X, source = mnist_or_random(args.n_samples, mnist_path=args.mnist_path, data=args.data)
    names = ["plain", "contractive"]
    if args.reference:
        names += ["contractive_direct", "contractive_autograd"]
    print(
        f"{X.shape[0]}x{X.shape[1]} {source}; encoder {X.shape[1]}-"
        f"{'-'.join(map(str, args.hidden))}-{args.n_components} ({args.activation}), "
        f"batch {args.batch_size}, {args.epochs} epochs x {args.repeats} repeats on "
        f"{args.device}; {environment()}"
    )

    plain_macs, penalty_macs = multiply_adds(
        X.shape[1], args.hidden, args.n_components, args.batch_size
    )
    print(
        f"multiply-adds per batch: plain step {plain_macs / 1e9:.2f} G, the penalty adds "
        f"{penalty_macs / 1e9:.2f} G ({(plain_macs + penalty_macs) / plain_macs:.1f}x in "
        "arithmetic)\n"
    )

    rows = []
    for repeat in range(args.repeats):
        order = names if repeat % 2 == 0 else names[::-1]
        epoch = {}
        for name in order:
            epoch[name], wall, cpu = fit_once(name, X, args, seed=repeat)
            rows.append(
                {
                    "repeat": repeat,
                    "model": name,
                    "epoch_seconds": epoch[name]["wall"],
                    "epoch_cpu_seconds": epoch[name]["cpu"],
                    "epoch_durations": " ".join(f"{d:.4f}" for d in wall),
                    "epoch_cpu_durations": " ".join(f"{d:.4f}" for d in cpu),
                }
            )
        for row in rows[-len(names) :]:
            row["ratio_to_plain"] = row["epoch_seconds"] / epoch["plain"]["wall"]
            row["cpu_ratio_to_plain"] = row["epoch_cpu_seconds"] / epoch["plain"]["cpu"]
        print(
            f"repeat {repeat}: "
            + ", ".join(
                f"{n} {epoch[n]['wall']:.3f} s ({epoch[n]['cpu']:.3f} s CPU)/epoch" for n in names
            )
            + f"; contractive / plain = {ratio(epoch, 'wall'):.2f} wall, "
            + f"{ratio(epoch, 'cpu'):.2f} CPU",
            flush=True,
        )

    print("\nmedian over repeats (per-repeat ratios):")
    for name in names:
        mine = [r for r in rows if r["model"] == name]
        print(
            f"  {name:<22} {statistics.median(r['epoch_seconds'] for r in mine):8.3f} s/epoch "
            f"{statistics.median(r['ratio_to_plain'] for r in mine):5.2f} x plain (wall)   "
            f"{statistics.median(r['epoch_cpu_seconds'] for r in mine):8.3f} s CPU/epoch "
            f"{statistics.median(r['cpu_ratio_to_plain'] for r in mine):5.2f} x plain (CPU)"
        )

    for row in rows:
        row.update(
            data=source,
            n_samples=X.shape[0],
            hidden="-".join(map(str, args.hidden)),
            n_components=args.n_components,
            activation=args.activation,
            batch_size=args.batch_size,
            epochs=args.epochs,
            device=args.device,
            threads=torch.get_num_threads(),
        )
    columns = [
        "repeat",
        "model",
        "epoch_seconds",
        "ratio_to_plain",
        "epoch_cpu_seconds",
        "cpu_ratio_to_plain",
        "epoch_durations",
        "epoch_cpu_durations",
        "data",
        "n_samples",
        "hidden",
        "n_components",
        "activation",
        "batch_size",
        "epochs",
        "device",
        "threads",
    ]
    write_csv(rows, args.out, columns)
    print(f"\nwrote {args.out}")
    return rows


if __name__ == "__main__":
    main()
