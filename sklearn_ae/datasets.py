"""Offline loaders for the real-data checks and benchmarks.

The MNIST test set ships with the repository (``data/mnist/``, outside the
installed package); nothing is downloaded unless ``source="openml"`` asks for it.
"""

import gzip
import os
from pathlib import Path

import numpy as np

#: Environment variable naming the folder with MNIST's IDX files.
MNIST_ENV = "SKLEARN_AE_MNIST"

_IMAGES = "t10k-images-idx3-ubyte.gz"
_LABELS = "t10k-labels-idx1-ubyte.gz"


def default_mnist_path():
    """Where :func:`load_mnist` looks: ``$SKLEARN_AE_MNIST``, else the repository's ``data/mnist``.

    The repository's copy is found beside the package of a source checkout
    (``pip install -e .``) and, failing that, under the current directory, so
    that a clone works from its root with nothing beside it.

    Returns
    -------
    path : pathlib.Path

    Examples
    --------
    >>> from pathlib import Path
    >>> from sklearn_ae.datasets import default_mnist_path
    >>> isinstance(default_mnist_path(), Path)
    True
    """
    if os.environ.get(MNIST_ENV):
        return Path(os.environ[MNIST_ENV])
    candidates = [
        Path(__file__).resolve().parents[1] / "data" / "mnist",
        Path.cwd() / "data" / "mnist",
    ]
    return next((p for p in candidates if (p / _IMAGES).exists()), candidates[0])


def _read_idx(path, header_bytes):
    with gzip.open(path, "rb") as f:
        data = f.read()
    return np.frombuffer(data, dtype=np.uint8, offset=header_bytes)


def load_mnist(path=None, *, source="idx"):
    """Load MNIST digits as float32 pixels in [0, 1] and integer labels.

    Parameters
    ----------
    path : str or path-like, default=None
        Folder with ``t10k-images-idx3-ubyte.gz`` and ``t10k-labels-idx1-ubyte.gz``
        (the 10,000-digit MNIST test set). Defaults to :func:`default_mnist_path`.
    source : {"idx", "openml"}, default="idx"
        ``"openml"`` downloads all 70,000 digits with
        :func:`sklearn.datasets.fetch_openml` instead (needs a network).

    Returns
    -------
    X : ndarray of shape (n_samples, 784), float32
    y : ndarray of shape (n_samples,), int64

    Examples
    --------
    >>> from sklearn_ae.datasets import load_mnist
    >>> X, y = load_mnist()
    >>> X.shape
    (10000, 784)
    """
    if source == "openml":
        from sklearn.datasets import fetch_openml

        X, y = fetch_openml("mnist_784", version=1, return_X_y=True, as_frame=False)
        return (X / 255.0).astype(np.float32), y.astype(np.int64)
    if source != "idx":
        raise ValueError(f"source must be 'idx' or 'openml', got {source!r}.")
    folder = Path(path) if path is not None else default_mnist_path()
    images, labels = folder / _IMAGES, folder / _LABELS
    if not images.exists() or not labels.exists():
        raise FileNotFoundError(
            f"MNIST IDX files not found in {folder}; pass path= or set ${MNIST_ENV} to the "
            f"folder holding {_IMAGES} and {_LABELS} (a clone of the repository has them "
            "in data/mnist/)."
        )
    X = _read_idx(images, 16).reshape(-1, 784).astype(np.float32) / 255.0
    y = _read_idx(labels, 8).astype(np.int64)
    if len(X) != len(y):
        raise ValueError(f"{images} holds {len(X)} images but {labels} {len(y)} labels.")
    return X, y


def mnist_split(path=None, n_train=8000):
    """The project's convention: the first ``n_train`` rows train, the rest are held out.

    Parameters
    ----------
    path : str or path-like, default=None
        Folder of the IDX files, see :func:`load_mnist`.
    n_train : int, default=8000
        Number of leading rows used for training.

    Returns
    -------
    X_train, X_test, y_train, y_test : ndarrays

    Examples
    --------
    >>> from sklearn_ae.datasets import mnist_split
    >>> X_train, X_test, y_train, y_test = mnist_split()
    >>> X_train.shape, X_test.shape
    ((8000, 784), (2000, 784))
    """
    X, y = load_mnist(path)
    return X[:n_train], X[n_train:], y[:n_train], y[n_train:]
