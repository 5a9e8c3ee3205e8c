"""Device resolution and seeding shared by every estimator."""

from contextlib import contextmanager

import numpy as np
import torch
from sklearn.utils import check_random_state

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
    """Run a block under torch's RNG seeded with ``seed``, restoring it afterwards.

    Forking keeps the user's global torch RNG untouched, so fitting an
    estimator never changes the random numbers of the code around it.
    """
    device = torch.device(device)
    cuda = []
    if device.type == "cuda":
        cuda = [device.index if device.index is not None else torch.cuda.current_device()]
    with torch.random.fork_rng(devices=cuda):
        torch.manual_seed(seed)
        yield
