"""fit and inference on data read in blocks: memmaps, dask, zarr, h5py, torch Datasets."""

import json
import subprocess
import sys
import textwrap
import warnings

# dask, zarr, h5py and psutil are test extras: without them this module fails
# to import, a failure and not a skip.
import dask.array as da
import h5py
import numpy as np
import pytest
import torch
import zarr
from joblib import parallel_config
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.model_selection import GridSearchCV
from sklearn.utils.parallel import Parallel, delayed

import sklearn_ae._lazy
from sklearn_ae import (
    AutoencoderTransformer,
    ConditionalVAE,
    DenoisingAE,
    VAETransformer,
)

from _helpers import NEURAL

SMALL = {"n_components": 2, "hidden_layer_sizes": (16,), "max_iter": 3, "random_state": 0}
#: Rows per block in these tests: two default mini-batches of 200 float32 rows of 64.
BLOCK = 400


@pytest.fixture
def small_blocks(monkeypatch):
    monkeypatch.setattr(sklearn_ae._lazy, "BLOCK_BYTES", BLOCK * 64 * 4)


@pytest.fixture(scope="module")
def X32(digits):
    return digits[0].astype(np.float32)


def _memmap(X, path):
    out = np.memmap(path, dtype=X.dtype, mode="w+", shape=X.shape)
    out[:] = X
    out.flush()
    return np.memmap(path, dtype=X.dtype, mode="r", shape=X.shape)


class RowDataset(torch.utils.data.Dataset):
    """Rows of an array as ``(image, label)`` pairs, recording every batched read."""

    def __init__(self, X, shape=None):
        self.X, self.shape = X, shape
        self.reads = []

    def __len__(self):
        return len(self.X)

    def __getitem__(self, i):
        row = self.X[i]
        row = row if isinstance(row, torch.Tensor) else torch.from_numpy(np.array(row))
        return (row if self.shape is None else row.reshape(self.shape)), 0

    def __getitems__(self, indices):
        self.reads.append(indices)
        return [self[i] for i in indices]


def _sources(X, tmp_path):
    """The same rows as every lazy source, blocked alike (BLOCK rows)."""
    store = zarr.create_array(
        store=str(tmp_path / "X.zarr"),
        shape=X.shape,
        chunks=(BLOCK // 2, X.shape[1]),
        dtype=X.dtype,
    )
    store[:] = X
    h5 = h5py.File(tmp_path / "X.h5", "w").create_dataset("X", data=X)
    return {
        "memmap": _memmap(X, tmp_path / "X.dat"),
        "dask": da.from_array(X, chunks=(BLOCK, X.shape[1])),
        "zarr": store,
        "h5py": h5,
        "TensorDataset": torch.utils.data.TensorDataset(torch.from_numpy(X)),
        "images": RowDataset(X, shape=(1, 8, 8)),
    }


def _weights(est):
    return {k: v.detach().clone() for k, v in est.net_.module_.state_dict().items()}


def _same_weights(a, b):
    wa, wb = _weights(a), _weights(b)
    return wa.keys() == wb.keys() and all(torch.equal(wa[k], wb[k]) for k in wa)


def test_one_block_is_the_in_memory_fit(X32, tmp_path):
    # Smaller than a block: read whole, and fitted exactly as in memory.
    lazy = DenoisingAE(**SMALL).fit(_memmap(X32, tmp_path / "X.dat"))
    assert _same_weights(lazy, DenoisingAE(**SMALL).fit(X32))


def test_every_source_gives_the_same_model(X32, tmp_path, small_blocks):
    fits = {
        name: AutoencoderTransformer(**SMALL).fit(source)
        for name, source in _sources(X32, tmp_path).items()
    }
    reference = fits.pop("memmap")
    for name, fitted in fits.items():
        assert _same_weights(fitted, reference), name
        assert fitted.n_features_in_ == 64 and fitted.n_samples_seen_ == len(X32)
    # In blocks, shuffled by block and within blocks: not the in-memory order.
    assert not _same_weights(reference, AutoencoderTransformer(**SMALL).fit(X32))
    other_seed = AutoencoderTransformer(**{**SMALL, "random_state": 1})
    assert not _same_weights(reference, other_seed.fit(da.from_array(X32, chunks=(BLOCK, 64))))


def test_a_dataset_is_read_a_block_at_a_time(X32, small_blocks):
    source = RowDataset(X32)
    AutoencoderTransformer(**SMALL).fit(source)
    # The first row, for the width, then blocks of consecutive rows: a pass
    # of checks, three epochs in a random order of blocks, a pass of statistics.
    assert source.reads[0] == [0]
    blocks = source.reads[1:]
    assert all(block == list(range(block[0], block[0] + len(block))) for block in blocks)
    starts = np.array([block[0] for block in blocks]).reshape(5, 5)
    in_order = np.arange(0, len(X32), BLOCK)
    assert_array_equal(starts[0], in_order)
    assert_array_equal(starts[4], in_order)
    assert all(sorted(epoch) == list(in_order) for epoch in starts[1:4])
    assert not (starts[1:4] == in_order).all()


@pytest.mark.parametrize("cls", NEURAL)
def test_every_estimator_fits_and_streams_in_blocks(cls, digits, monkeypatch, small_blocks):
    X, y = digits
    source = da.from_array(X, chunks=(BLOCK, 64))

    def whole(*args, **kwargs):
        raise AssertionError("the whole dask array was computed")

    monkeypatch.setattr(da.Array, "__array__", whole)
    args = (y,) if cls is ConditionalVAE else ()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        fitted = cls(**SMALL).fit(source, *args)
        again = cls(**SMALL).fit(source, *args)
    assert _same_weights(fitted, again)
    assert fitted.n_iter_ == 3 and fitted.n_samples_seen_ == len(X)
    codes = fitted.transform(source)
    assert isinstance(codes, np.ndarray) and codes.dtype == np.float64
    assert_array_equal(codes, fitted.transform(X))
    assert_array_equal(fitted.score_samples(source), fitted.score_samples(X))
    if isinstance(fitted, VAETransformer):
        for lazy, in_memory in zip(fitted.posterior(source), fitted.posterior(X), strict=True):
            assert_array_equal(lazy, in_memory)
    if isinstance(fitted, ConditionalVAE):
        assert_array_equal(fitted.score_samples(source, y), fitted.score_samples(X, y))


def test_statistics_pool_exactly_over_blocks(digits, small_blocks):
    X, y = digits
    source = da.from_array(X, chunks=(BLOCK, 64))
    dae = DenoisingAE(corruption="salt_and_pepper", **SMALL).fit(source)
    assert_array_equal(dae.data_min_, X.min(axis=0))
    assert_array_equal(dae.data_max_, X.max(axis=0))
    assert_allclose(dae.mean_, X.mean(axis=0), rtol=1e-12)
    codes = dae.transform(X)
    assert_allclose(dae.latent_mean_, codes.mean(axis=0), rtol=1e-6)
    assert_allclose(dae.latent_covariance_, np.cov(codes.T, bias=True), rtol=1e-5, atol=1e-9)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        cvae = ConditionalVAE(**SMALL).fit(source, y)
    assert_array_equal(cvae.classes_, np.arange(10))
    assert_array_equal(cvae.class_count_, np.bincount(y))
    assert_allclose(cvae._feature_moments_[1], X.var(axis=0), rtol=1e-10, atol=1e-14)
    mean, _ = cvae.posterior(X)
    assert_allclose(cvae._posterior_mean_moments_[0], mean.mean(axis=0), rtol=1e-6)


def test_early_stopping_holds_out_whole_blocks(digits, small_blocks):
    X = digits[0]
    source = da.from_array(X, chunks=(BLOCK, 64))
    ae = AutoencoderTransformer(**{**SMALL, "max_iter": 4}, early_stopping=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        ae.fit(source)
    assert len(ae.validation_scores_) == ae.n_iter_
    # Five blocks, one held out: the last epoch's loss is a mean over its rows.
    assert ae.best_validation_score_ == max(ae.validation_scores_)
    with pytest.raises(ValueError, match=r"holds out whole blocks.*no block is left"):
        AutoencoderTransformer(**SMALL, early_stopping=True, validation_fraction=0.9).fit(source)


def test_a_nan_in_a_later_block_names_the_block_and_the_row(X32, small_blocks):
    X = X32.copy()
    X[1500, 7] = np.nan
    ae = AutoencoderTransformer(**SMALL)
    with pytest.raises(ValueError, match=r"^Block 3 \(rows 1200 to 1599\).*row 1500: .*NaN"):
        ae.fit(da.from_array(X, chunks=(BLOCK, 64)))
    assert not hasattr(ae, "n_features_in_")
    # In memory, the same row.
    with pytest.raises(ValueError, match=r"^Row 1500: Input X contains NaN"):
        ae.fit(X)
    X[1500, 7] = np.inf
    with pytest.raises(ValueError, match=r"row 1500: Input X contains infinity"):
        ae.fit(RowDataset(X))


def test_a_block_unlike_the_declared_array_is_named(X32, small_blocks):
    source = da.from_array(X32, chunks=(BLOCK, 64))

    def wider_last(block, block_info=None):
        last = block_info[0]["chunk-location"][0] == block_info[0]["num-chunks"][0] - 1
        return np.hstack([block, block[:, :1]]) if last else block

    def float64_third(block, block_info=None):
        third = block_info[0]["chunk-location"][0] == 2
        return block.astype(np.float64) if third else block

    ae = AutoencoderTransformer(**SMALL)
    with pytest.raises(ValueError, match=r"Block 4 \(rows 1600 to 1796\).*got 65 features"):
        ae.fit(source.map_blocks(wider_last, dtype=np.float32))
    with pytest.raises(ValueError, match=r"Block 2 \(rows 800 to 1199\).*dtype float64"):
        ae.fit(source.map_blocks(float64_third, dtype=np.float32))
    rows = [torch.zeros(64)] * 1000 + [torch.zeros(64, dtype=torch.float64)] * 10
    with pytest.raises(ValueError, match=r"Block 2 .*row 1000 has 64 values of dtype float64"):
        ae.fit(RowDataset(rows))
    assert not hasattr(ae, "net_")


@pytest.mark.parametrize(
    "source",
    [
        iter(np.zeros((5, 3))),
        (row for row in np.zeros((5, 3))),
        torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.zeros(5, 3))),
    ],
    ids=["iterator", "generator", "DataLoader"],
)
def test_a_stream_is_a_type_error_listing_the_sources(source):
    with pytest.raises(TypeError, match=r"Unsupported training data.*numpy\.memmap, a dask"):
        AutoencoderTransformer(**SMALL).fit(source)


def test_a_group_of_arrays_is_a_type_error(tmp_path):
    group = zarr.open_group(str(tmp_path / "g.zarr"), mode="w")
    with pytest.raises(TypeError, match=r"Group of zarr, not an array.*pass one of its arrays"):
        AutoencoderTransformer(**SMALL).fit(group)


def test_an_iterable_dataset_is_a_type_error():
    class Stream(torch.utils.data.IterableDataset):
        def __iter__(self):
            yield from torch.zeros(5, 3)

    with pytest.raises(TypeError, match="without a length"):
        AutoencoderTransformer(**SMALL).fit(Stream())


def test_a_copy_on_write_memmap_keeps_its_changes(X32, tmp_path, small_blocks):
    _memmap(X32, tmp_path / "X.dat")
    changed = np.memmap(tmp_path / "X.dat", dtype=np.float32, mode="c", shape=X32.shape)
    changed[1000] = 0.5
    fitted = AutoencoderTransformer(**SMALL).fit(changed)
    assert (changed[1000] == 0.5).all()
    # Trained on the changed rows, as read from memory.
    assert _same_weights(
        fitted, AutoencoderTransformer(**SMALL).fit(da.from_array(changed, chunks=(BLOCK, 64)))
    )


def test_partial_fit_reads_a_lazy_chunk_whole(digits):
    X = digits[0]
    lazy = AutoencoderTransformer(**SMALL).partial_fit(da.from_array(X, chunks=(BLOCK, 64)))
    assert lazy.n_samples_seen_ == len(X)
    assert _same_weights(lazy, AutoencoderTransformer(**SMALL).partial_fit(X))


def test_unknown_dask_chunk_sizes_are_named(digits):
    source = da.from_array(digits[0], chunks=(BLOCK, 64))
    unknown = source[source[:, 0] >= 0]
    with pytest.raises(ValueError, match=r"unknown chunk sizes.*compute_chunk_sizes\(\)"):
        AutoencoderTransformer(**SMALL).fit(unknown)


def test_labels_must_match_the_rows(digits, small_blocks):
    X, y = digits
    with pytest.raises(ValueError, match=r"inconsistent numbers of samples: \[1797, 1796\]"):
        ConditionalVAE(**SMALL).fit(da.from_array(X, chunks=(BLOCK, 64)), y[1:])


def test_parallel_threads_draw_what_sequential_fits_draw(digits):
    # Shuffling, corruption and reparameterisation noise come from each fit's
    # own generator: fits running in threads reproduce their sequential results.
    X = digits[0][:400]
    models = [cls(**SMALL) for cls in (DenoisingAE, VAETransformer, DenoisingAE, VAETransformer)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        sequential = [model.fit(X).transform(X) for model in models]
        threaded = Parallel(n_jobs=4, backend="threading")(
            delayed(lambda m: m.fit(X).transform(X))(m) for m in models
        )
    for expected, got in zip(sequential, threaded, strict=True):
        assert_array_equal(got, expected)


def test_threaded_search_is_the_sequential_search(digits):
    X = digits[0][:300]
    grid = {"corruption_level": [0.1, 0.3], "n_components": [2, 3]}
    search = GridSearchCV(DenoisingAE(**SMALL), grid, cv=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        sequential = search.fit(X).cv_results_["mean_test_score"]
        with parallel_config(backend="threading", n_jobs=4):
            threaded = search.fit(X).cv_results_["mean_test_score"]
    assert_array_equal(threaded, sequential)


_PEAK_MEMORY_SCRIPT = """
import json, warnings
import dask.array as da
import numpy as np
from sklearn_ae import AutoencoderTransformer

# 2,000,000 x 256 float32 rows (2 GB), generated lazily, chunk by chunk.
X = da.random.default_rng(0).random((2_000_000, 256), chunks=(100_000, 256), dtype=np.float32)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    ae = AutoencoderTransformer(n_components=8, max_iter=1, batch_size=1024, random_state=0)
    ae.fit(X)
codes = ae.transform(X)
# VmHWM, not ru_maxrss: Linux keeps ru_maxrss across exec, so a child of a
# large test process would start from its parent's size.
with open("/proc/self/status") as status:
    peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
print(json.dumps({
    "peak_kib": peak,
    "shape": list(codes.shape), "n_samples_seen": ae.n_samples_seen_,
    "finite": bool(np.isfinite(codes).all()),
}))
"""


@pytest.mark.slow
def test_two_gigabytes_fit_and_transform_under_one_gigabyte():
    run = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_PEAK_MEMORY_SCRIPT)],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["shape"] == [2_000_000, 8] and result["finite"]
    assert result["n_samples_seen"] == 2_000_000
    peak_mib = result["peak_kib"] / 1024
    assert peak_mib < 1024, f"peak resident memory {peak_mib:.0f} MiB"
