"""Offline loaders for the real-data checks and benchmarks."""

import gzip
import os
from pathlib import Path

import numpy as np

#: Environment variable naming the folder with MNIST's IDX files.
MNIST_ENV = "SKLEARN_AE_MNIST"

_IMAGES = "t10k-images-idx3-ubyte.gz"
_LABELS = "t10k-labels-idx1-ubyte.gz"


def default_mnist_path():
    """Where :func:`load_mnist` looks: ``$SKLEARN_AE_MNIST``, else ``../shared/data/mnist``.

    The relative default is resolved against the current directory and, failing
    that, against the repository checkout that holds this package.

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
        Path.cwd().parent / "shared" / "data" / "mnist",
        Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist",
    ]
    return next((p for p in candidates if (p / _IMAGES).exists()), candidates[0])


def _read_idx(path, header_bytes):
    with gzip.open(path, "rb") as f:
        data = f.read()
    return np.frombuffer(data, dtype=np.uint8, offset=header_bytes)


def load_mnist(path=None, *, return_X_y=True, source="idx"):
    """Load MNIST digits as float32 pixels in [0, 1] and integer labels.

    Parameters
    ----------
    path : str or path-like, default=None
        Folder with ``t10k-images-idx3-ubyte.gz`` and ``t10k-labels-idx1-ubyte.gz``
        (the 10,000-digit MNIST test set). Defaults to :func:`default_mnist_path`.
    return_X_y : bool, default=True
        Kept for symmetry with scikit-learn's loaders; only ``(X, y)`` is returned.
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
    >>> X, y = load_mnist()  # doctest: +SKIP
    >>> X.shape  # doctest: +SKIP
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
            f"folder holding {_IMAGES} and {_LABELS}."
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
    >>> X_train, X_test, y_train, y_test = mnist_split()  # doctest: +SKIP
    >>> X_train.shape, X_test.shape  # doctest: +SKIP
    ((8000, 784), (2000, 784))
    """
    X, y = load_mnist(path)
    return X[:n_train], X[n_train:], y[:n_train], y[n_train:]
