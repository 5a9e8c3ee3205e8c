import warnings

import pytest
import torch
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning

# One intra-op thread for the whole suite: the networks under test are tiny, so
# threads only add synchronisation (and, on a busy machine, contention), and a
# fixed thread count keeps seeded results identical from machine to machine.
torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _quiet_short_training():
    # Tests train for a handful of epochs on purpose; the warning that says so
    # would drown everything else.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


@pytest.fixture(scope="session")
def digits():
    """scikit-learn's digits scaled to [0, 1] and their labels, read-only.

    Shared by every test module: read-only, so that a test cannot change
    what the others see.
    """
    X, y = load_digits(return_X_y=True)
    X = X / 16
    X.setflags(write=False)
    y.setflags(write=False)
    return X, y


def pytest_collection_modifyitems(config, items):
    skip = pytest.mark.skip(reason="needs a CUDA device")
    if not torch.cuda.is_available():
        for item in items:
            if "cuda" in item.keywords:
                item.add_marker(skip)
