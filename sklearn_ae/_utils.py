"""Device resolution, seeding and fit hygiene shared by every estimator."""

import threading
from contextlib import contextmanager
from numbers import Integral

import numpy as np
import torch
from sklearn.utils import check_random_state

from .nn import training_generator

_DEVICE_HELP = "expected 'cpu', 'cuda', 'cuda:N', 'mps' or 'auto'"


def resolve_device(device):
    """Turn the ``device`` parameter into an available :class:`torch.device`.

    ``"auto"`` picks CUDA, then Apple's MPS, then the CPU. A device that this
    machine does not have is a ``ValueError`` that names it, raised before any
    training starts.
    """
    if isinstance(device, torch.device):
        device = str(device)
    if device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(f"Unknown device {device!r}: {_DEVICE_HELP}.") from None
    if resolved.type == "cpu":
        return resolved
    if resolved.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(
                f"device={device!r} was requested but CUDA is not available on this "
                "machine; use device='cpu' or device='auto'."
            )
        if resolved.index is not None and resolved.index >= torch.cuda.device_count():
            raise ValueError(
                f"device={device!r} was requested but this machine has only "
                f"{torch.cuda.device_count()} CUDA device(s)."
            )
        return resolved
    if resolved.type == "mps":
        if not _mps_available():
            raise ValueError(f"device={device!r} was requested but MPS is not available.")
        return resolved
    raise ValueError(f"Unsupported device {device!r}: {_DEVICE_HELP}.")


def _mps_available():
    return bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())


def seed_from(random_state):
    """One integer seed from a scikit-learn ``random_state``."""
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


@contextmanager
def torch_seeded(seed, device):
    """Run a block under torch's RNGs seeded with ``seed``, restoring them afterwards.

    Only the generators the block can draw from are touched: the CPU one
    (weight initialisation) and that of the training device. ``torch.manual_seed``
    would reseed every CUDA device of the machine, including the ones the
    user's other work runs on, so it is never called. Forking and restoring
    keeps the user's global RNG streams exactly where they were.
    """
    device = torch.device(device)
    cuda = []
    if device.type == "cuda":
        cuda = [device.index if device.index is not None else torch.cuda.current_device()]
    with torch.random.fork_rng(devices=cuda, device_type="cuda"):
        torch.default_generator.manual_seed(seed)
        for index in cuda:
            with torch.cuda.device(index):
                torch.cuda.manual_seed(seed)
        if device.type == "mps":
            state = torch.mps.get_rng_state()
            torch.mps.manual_seed(seed)
        try:
            yield
        finally:
            if device.type == "mps":
                torch.mps.set_rng_state(state)


# Serialises what this package does to torch's global generators: threads share
# them, and a seeding in one fit must not land between another's seeding and
# the draws it seeded for.
_GLOBAL_RNG_LOCK = threading.RLock()


@contextmanager
def seeded_init(seed, device):
    """:func:`torch_seeded` for building a network, holding the lock throughout.

    Layer constructors draw their initial weights from torch's global
    generator, so building must not overlap another thread's seeding.
    """
    with _GLOBAL_RNG_LOCK, torch_seeded(seed, device):
        yield


@contextmanager
def seeded_training(seed, device):
    """The randomness of training: the estimator's own generator, seeded with ``seed``.

    This package's draws (shuffling, corruption, reparameterisation noise,
    random projections) come from a :class:`torch.Generator` of the fit's
    own, installed for this thread, so fits in parallel threads reproduce
    their sequential results. Torch's global generators are seeded too, and
    restored afterwards, for layers that draw from them (dropout in a user's
    network): those draws are reproducible when fits do not run in parallel
    threads. Only the seeding and the restoring hold the lock.
    """
    device = torch.device(device)
    if device.type == "cuda" and device.index is None:
        device = torch.device("cuda", torch.cuda.current_device())
    generator = torch.Generator(device=device)
    generator.manual_seed(seed)
    forked = torch_seeded(seed, device)
    with _GLOBAL_RNG_LOCK:
        forked.__enter__()
    try:
        with training_generator(generator):
            yield
    finally:
        with _GLOBAL_RNG_LOCK:
            forked.__exit__(None, None, None)


def _clear_fitted_state(estimator):
    for name in [key for key in vars(estimator) if key.endswith("_") and not key.startswith("__")]:
        delattr(estimator, name)


@contextmanager
def unfitted_on_error(estimator):
    """Fit from a clean slate, and leave nothing fitted behind if the fit raises.

    Fitted attributes of an earlier fit are removed first (a refit must not
    keep, say, ``validation_scores_`` of a run with other settings), and again
    when the block raises: an estimator whose fit failed (divergence, bad
    input found during training, an interrupt) is unfitted, so that
    ``transform`` raises ``NotFittedError`` instead of running half a model.
    """
    _clear_fitted_state(estimator)
    try:
        yield
    except BaseException:
        _clear_fitted_state(estimator)
        raise


def check_sample_count(n_samples):
    """``sample``'s ``n_samples`` must be a positive integer (not a bool)."""
    if not isinstance(n_samples, Integral) or isinstance(n_samples, bool) or n_samples < 1:
        raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}.")


def reject_labels(estimator, y):
    """``sample(y=...)`` is for class-conditional models only."""
    if y is not None:
        raise ValueError(
            f"{type(estimator).__name__}.sample got y={y!r}, but only a class-conditional "
            "model (ConditionalVAE) generates data for given labels; leave y=None."
        )


def pooled_mean(previous, current, n_previous, n_current):
    """The mean over two groups of rows, from each group's mean and size."""
    return previous + (current - previous) * (n_current / (n_previous + n_current))


def pooled_moments(mean_a, cov_a, n_a, mean_b, cov_b, n_b):
    """Mean and (ddof=0) covariance of two groups of rows together, from each group's.

    Chan, Golub and LeVeque's pairwise update: exact, and stable because it
    adds the spread between the two means rather than subtracting squares.
    Works for a full covariance matrix and for per-feature variances alike.
    """
    n = n_a + n_b
    delta = mean_b - mean_a
    mean = mean_a + delta * (n_b / n)
    spread = np.outer(delta, delta) if np.ndim(cov_a) == 2 else np.square(delta)
    return mean, (n_a * cov_a + n_b * cov_b) / n + spread * (n_a * n_b / n**2)
