"""The random draws of training, from a generator the estimator owns.

Mini-batch shuffling, input corruption, reparameterisation noise and random
projections draw from the generator that :func:`training_generator` installs
for the current thread, so that fits running in parallel threads (a search
with a threading backend) cannot interleave their draws on torch's global
generator, and each fit draws exactly what it would draw alone. Outside such
a block (or on a tensor of another device) they fall back to torch's global
generator.
"""

import threading
from contextlib import contextmanager

import torch

_local = threading.local()


@contextmanager
def training_generator(generator):
    """Make ``generator`` the source of this package's draws in the current thread.

    Parameters
    ----------
    generator : torch.Generator
        A seeded generator on the device the tensors drawn for live on.

    Examples
    --------
    >>> import torch
    >>> from sklearn_ae.nn import rand_like, training_generator
    >>> x = torch.zeros(2, 3)
    >>> with training_generator(torch.Generator().manual_seed(0)):
    ...     a = rand_like(x)
    >>> with training_generator(torch.Generator().manual_seed(0)):
    ...     b = rand_like(x)
    >>> bool(torch.equal(a, b))
    True
    """
    previous = getattr(_local, "generator", None)
    _local.generator = generator
    try:
        yield generator
    finally:
        _local.generator = previous


def _generator(device):
    generator = getattr(_local, "generator", None)
    if generator is None or generator.device != torch.device(device):
        return None
    return generator


def rand_like(x):
    """Uniform draws on ``[0, 1)`` shaped like ``x``, from the training generator.

    Use it (and :func:`randn_like`) in a corruption callable of
    :class:`~sklearn_ae.DenoisingAE` so that its draws follow the estimator's
    ``random_state``.

    Parameters
    ----------
    x : torch.Tensor
        The tensor whose shape, dtype and device the draws take.

    Returns
    -------
    draws : torch.Tensor

    Examples
    --------
    >>> import torch
    >>> from sklearn_ae.nn import rand_like
    >>> rand_like(torch.zeros(2, 3)).shape
    torch.Size([2, 3])
    """
    return torch.rand(x.shape, generator=_generator(x.device), dtype=x.dtype, device=x.device)


def randn_like(x):
    """Standard normal draws shaped like ``x``, from the training generator.

    Parameters
    ----------
    x : torch.Tensor
        The tensor whose shape, dtype and device the draws take.

    Returns
    -------
    draws : torch.Tensor

    Examples
    --------
    >>> import torch
    >>> from sklearn_ae.nn import randn_like
    >>> randn_like(torch.zeros(2, 3)).shape
    torch.Size([2, 3])
    """
    return torch.randn(x.shape, generator=_generator(x.device), dtype=x.dtype, device=x.device)


def randperm(n, device):
    """A random permutation of ``range(n)`` on ``device``, from the training generator."""
    return torch.randperm(n, generator=_generator(device), device=device)
