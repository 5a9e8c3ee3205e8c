"""Dask: a search spread over a local cluster, and dask-ml's Incremental over partial_fit."""

import warnings

# dask, distributed and dask-ml are test extras: without them this module fails
# to import, a failure and not a skip.
import dask.array as da
import numpy as np
import pytest
import torch
from dask_ml.wrappers import Incremental
from distributed import Client, LocalCluster
from joblib import parallel_config
from sklearn.exceptions import FitFailedWarning
from sklearn.model_selection import GridSearchCV

from sklearn_ae import AutoencoderTransformer

SMALL = {"hidden_layer_sizes": (16,), "random_state": 0}


def _comparable(cv_results):
    """cv_results_ without the timings, which differ from run to run."""
    return {k: v for k, v in cv_results.items() if "time" not in k}


def test_grid_search_on_a_local_cluster_is_the_sequential_search(digits):
    X = digits[0][:600]
    # The last learning rate diverges: a failed fit, reported as scikit-learn does.
    grid = {"n_components": [2, 4], "learning_rate_init": [1e-3, 1e12]}
    search = GridSearchCV(
        AutoencoderTransformer(max_iter=5, **SMALL), grid, cv=3, error_score=np.nan
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with pytest.warns(FitFailedWarning, match="Training diverged"):
            sequential = _comparable(search.fit(X).cv_results_)
        # Processes with one thread each (the nanny sets OMP_NUM_THREADS=1, so
        # torch too): the thread count of this process, hence the same floats.
        assert torch.get_num_threads() == 1
        with (
            LocalCluster(
                n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
            ) as cluster,
            Client(cluster),
            parallel_config(backend="dask"),
        ):
            with pytest.warns(FitFailedWarning, match="Training diverged"):
                distributed = _comparable(search.fit(X).cv_results_)
    assert sequential.keys() == distributed.keys()
    for key, value in sequential.items():
        if key == "params":
            assert value == distributed[key]
        else:
            np.testing.assert_array_equal(value, distributed[key], err_msg=key)
    assert np.isnan(sequential["mean_test_score"][2:]).all()
    assert np.isfinite(sequential["mean_test_score"][:2]).all()


def test_incremental_trains_through_partial_fit(digits):
    X = digits[0]
    blocks = da.from_array(X, chunks=(300, X.shape[1]))
    incremental = Incremental(
        AutoencoderTransformer(n_components=2, **SMALL), shuffle_blocks=False
    ).fit(blocks)
    fitted = incremental.estimator_
    assert fitted.n_iter_ == blocks.numblocks[0] == 6
    assert fitted.n_samples_seen_ == len(X)
    by_hand = AutoencoderTransformer(n_components=2, **SMALL)
    for start in range(0, len(X), 300):
        by_hand.partial_fit(X[start : start + 300])
    np.testing.assert_array_equal(fitted.transform(X), by_hand.transform(X))
    # transform of a dask array runs block by block, lazily.
    codes = incremental.transform(blocks)
    assert isinstance(codes, da.Array)
    np.testing.assert_array_equal(codes.compute(), by_hand.transform(X))
