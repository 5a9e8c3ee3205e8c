"""The training step: losses read once per epoch, fused Adam, divergence, ``compile``."""

import math
import warnings

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback

from sklearn_ae import (
    AutoencoderTransformer,
    ContractiveAE,
    DenoisingAE,
    SparseAE,
    TrainingDivergedError,
    VAETransformer,
)

FAST = {"hidden_layer_sizes": (16,), "n_components": 2, "random_state": 0}
NEURAL = [AutoencoderTransformer, VAETransformer, DenoisingAE, SparseAE, ContractiveAE]
#: Every estimator on the CPU, and on a GPU where there is one.
ON_DEVICES = [
    *((cls, "cpu") for cls in NEURAL),
    *(pytest.param(cls, "cuda", marks=pytest.mark.cuda) for cls in NEURAL),
]


@pytest.fixture(scope="module")
def X(digits):
    return digits[0][:400] / 16


def _fit_quietly(est, X):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(X)


class _CountHostReads:
    """Counts the calls that copy a tensor's value to the host (and wait for it)."""

    NAMES = ("item", "tolist", "__bool__", "__float__", "__int__", "numpy")

    def __init__(self, monkeypatch):
        self.count = 0
        for name in self.NAMES:
            original = getattr(torch.Tensor, name)
            monkeypatch.setattr(torch.Tensor, name, self._counting(original))

    def _counting(self, original):
        def counted(tensor, *args, **kwargs):
            self.count += 1
            return original(tensor, *args, **kwargs)

        return counted


@pytest.mark.parametrize(("cls", "device"), ON_DEVICES)
def test_host_reads_do_not_grow_with_the_number_of_batches(cls, device, X, monkeypatch):
    # Fitting with epochs of 4 batches and of 40 must read the device equally
    # often: the losses are read once per epoch, not once per batch.
    counts = []
    for batch_size in (100, 10):
        est = cls(**FAST, max_iter=2, batch_size=batch_size, tol=0.0, device=device)
        counter = _CountHostReads(monkeypatch)
        _fit_quietly(est, X)
        counts.append(counter.count)
        monkeypatch.undo()
        assert len(est.net_.history[-1]["batches"]) == math.ceil(len(X) / batch_size)
    assert counts[0] == counts[1], counts


class _RecordBatchLosses(Callback):
    def initialize(self):
        self.losses = []
        return self

    def on_batch_end(self, net, batch=None, training=False, loss=None, **kwargs):
        self.losses.append(float(loss))


@pytest.mark.parametrize("cls", [AutoencoderTransformer, VAETransformer])
def test_batch_losses_reach_the_history_in_order(cls, X):
    # What a callback sees per batch and what the history holds after the epoch
    # must be the same numbers, batch by batch, with the epoch's mean weighted by
    # batch size (the last batch is short).
    est = _fit_quietly(cls(**FAST, max_iter=2, batch_size=64, callbacks=[_RecordBatchLosses()]), X)
    seen = next(cb for _, cb in est.net_.callbacks_ if isinstance(cb, _RecordBatchLosses)).losses
    batches = [b for epoch in est.net_.history for b in epoch["batches"]]
    assert [b["train_loss"] for b in batches] == pytest.approx(seen, rel=0, abs=0)
    for epoch in est.net_.history:
        sizes = np.array([b["train_batch_size"] for b in epoch["batches"]])
        losses = np.array([b["train_loss"] for b in epoch["batches"]])
        assert sizes.tolist() == [64] * 6 + [16]
        assert epoch["train_loss"] == pytest.approx(np.average(losses, weights=sizes))
        for term in est.net_.module_.loss_terms:
            values = [b[f"train_{term}"] for b in epoch["batches"]]
            assert all(np.isfinite(values)) and len(values) == 7


class _PoisonAtEpoch(Callback):
    """Sets a weight to NaN when epoch ``epoch`` begins; reports each epoch that ends.

    ``record`` (a list's ``append``) survives the copy the estimator trains with.
    """

    def __init__(self, epoch, record):
        self.epoch = epoch
        self.record = record

    def on_epoch_begin(self, net, **kwargs):
        if len(net.history) == self.epoch:
            with torch.no_grad():
                next(net.module_.parameters()).fill_(float("nan"))

    def on_epoch_end(self, net, **kwargs):
        self.record(len(net.history))


def test_a_loss_that_stops_being_finite_stops_training_in_that_epoch(X):
    ended = []
    est = AutoencoderTransformer(
        **FAST, max_iter=10, batch_size=50, callbacks=[_PoisonAtEpoch(3, ended.append)]
    )
    with pytest.raises(
        TrainingDivergedError, match=r"train loss became nan in epoch 3 \(batch 1\)"
    ):
        est.fit(X)
    assert not hasattr(est, "net_")
    # Epochs 1 and 2 ended; epoch 3 raised before its end-of-epoch callbacks.
    assert ended == [1, 2]


@pytest.mark.parametrize(("cls", "device"), ON_DEVICES)
def test_adam_is_fused(cls, device, X):
    est = _fit_quietly(cls(**FAST, max_iter=1, device=device), X)
    assert all(group["fused"] for group in est.net_.optimizer_.param_groups)
    # A second fit with the same seed repeats the first (bit for bit on the CPU).
    again = _fit_quietly(cls(**FAST, max_iter=1, device=device), X)
    if device == "cpu":
        np.testing.assert_array_equal(est.transform(X), again.transform(X))
    else:
        np.testing.assert_allclose(est.transform(X), again.transform(X), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("device", ["cpu", pytest.param("cuda", marks=pytest.mark.cuda)])
def test_compile_matches_the_eager_step_and_repeats_itself(device, X):
    params = {**FAST, "max_iter": 3, "batch_size": 64, "device": device}
    eager = _fit_quietly(AutoencoderTransformer(**params), X)
    compiled = [_fit_quietly(AutoencoderTransformer(**params, compile=True), X) for _ in range(2)]
    if device == "cpu":
        assert compiled[0].loss_curve_ == compiled[1].loss_curve_
    # Compiled kernels fuse and reorder float32 arithmetic; GPU kernels more so.
    rtol = 1e-5 if device == "cpu" else 1e-3
    np.testing.assert_allclose(compiled[0].loss_curve_, eager.loss_curve_, rtol=rtol)
    np.testing.assert_allclose(
        compiled[0].transform(X), eager.transform(X), rtol=10 * rtol, atol=10 * rtol
    )
    assert compiled[0].net_.compile_step and not eager.net_.compile_step


def _denormals_flushed():
    # A denormal float32 survives a multiplication by one unless flushed to zero.
    return bool(torch.tensor(1e-39) * 1.0 == 0)


class _ReportFlushing(Callback):
    def __init__(self, record):
        self.record = record

    def on_batch_end(self, net, **kwargs):
        self.record(_denormals_flushed())


@pytest.mark.parametrize("before", [False, True])
def test_training_flushes_denormals_and_restores_the_mode(before, X):
    # Adam's averages of dead units decay into the denormal range, where the
    # CPU is a hundred times slower: training must flush them, and only training.
    seen = []
    torch.set_flush_denormal(before)
    try:
        est = AutoencoderTransformer(**FAST, max_iter=2, callbacks=[_ReportFlushing(seen.append)])
        _fit_quietly(est, X)
        est.partial_fit(X)
        after = _denormals_flushed()
    finally:
        torch.set_flush_denormal(False)
    assert seen and all(seen)
    assert after == before


@pytest.mark.cuda
def test_a_model_moves_between_devices_and_trains_on(X):
    # A fused Adam keeps its step counter on the parameters' device: moving the
    # model must move the whole optimizer state with it.
    est = _fit_quietly(AutoencoderTransformer(**FAST, max_iter=2, device="cuda"), X)
    for device in ("cpu", "cuda"):
        est.to(device).partial_fit(X)
        tensors = [v for s in est.net_.optimizer_.state.values() for v in s.values()]
        assert {t.device.type for t in tensors if torch.is_tensor(t)} == {device}
    assert est.n_iter_ == 4


def test_a_step_that_cannot_compile_is_a_clear_error(X, monkeypatch):
    def broken_backend(graph, example_inputs):
        raise OSError("no C++ compiler found")

    from sklearn_ae import _net

    monkeypatch.setattr(
        _net,
        "compiled_forward_loss",
        lambda: torch.compile(_net.forward_loss, backend=broken_backend),
    )
    est = AutoencoderTransformer(**FAST, max_iter=1, compile=True)
    with pytest.raises(RuntimeError, match=r"no C\+\+ compiler found.*set compile=False"):
        est.fit(X)
    assert not hasattr(est, "net_")
