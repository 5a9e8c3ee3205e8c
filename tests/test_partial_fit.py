"""partial_fit: one epoch per call over the given rows, MLPRegressor's meaning."""

import warnings

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose, assert_array_equal

from sklearn_ae import (
    AutoencoderTransformer,
    ConditionalVAE,
    DenoisingAE,
    SparseAE,
    TrainingDivergedError,
    VAETransformer,
)
from sklearn_ae._utils import pooled_moments

from _helpers import NEURAL

SMALL = {"n_components": 2, "hidden_layer_sizes": (16,), "random_state": 0}


@pytest.fixture(scope="module")
def chunks(digits):
    X, y = digits
    return [(X[i : i + 300], y[i : i + 300]) for i in (0, 300, 600)]


def _partial_fits(est, chunks, **first):
    for i, (X, y) in enumerate(chunks):
        kwargs = first if i == 0 else {}
        est.partial_fit(X, y, **kwargs) if isinstance(est, ConditionalVAE) else est.partial_fit(X)
    return est


def _weights(est):
    return {k: v.detach().cpu().clone() for k, v in est.net_.module_.state_dict().items()}


@pytest.mark.parametrize("cls", NEURAL)
def test_three_calls_three_epochs_no_warning_same_weights_for_the_same_seed(cls, chunks):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ConvergenceWarning, no collapse warning
        first = _partial_fits(cls(**SMALL), chunks)
    assert first.n_iter_ == 3 and len(first.loss_curve_) == len(first.history_) == 3
    assert first.n_samples_seen_ == 900
    again = _partial_fits(cls(**SMALL), chunks)
    for key, value in _weights(first).items():
        assert torch.equal(value, _weights(again)[key]), key
    other = _partial_fits(cls(**{**SMALL, "random_state": 1}), chunks)
    assert not all(torch.equal(v, _weights(other)[k]) for k, v in _weights(first).items())
    assert first.transform(chunks[0][0]).shape == (300, 2)


def test_the_optimizer_state_carries_over(chunks):
    ae = AutoencoderTransformer(**SMALL, batch_size=100)
    _partial_fits(ae, chunks[:2])
    steps = {int(state["step"]) for state in ae.net_.optimizer_.state.values()}
    assert steps == {6}  # two calls of three batches: Adam's moments were kept


def test_partial_fit_continues_a_fit(chunks):
    X = chunks[0][0]
    ae = AutoencoderTransformer(**SMALL, max_iter=4).fit(X)
    loss = list(ae.loss_curve_)
    ae.partial_fit(chunks[1][0])
    assert ae.n_iter_ == 5 and ae.loss_curve_[:4] == loss
    assert ae.n_samples_seen_ == 600


def test_codes_statistics_pool_every_call(chunks):
    ae = SparseAE(**SMALL)
    codes = []
    for X, _ in chunks:
        ae.partial_fit(X)
        # Each call's rows, encoded by the network at the end of that call.
        codes.append(ae.transform(X).astype(np.float64))
    codes = np.concatenate(codes)
    assert_allclose(ae.latent_mean_, codes.mean(axis=0), rtol=1e-6)
    assert_allclose(ae.latent_covariance_, np.cov(codes, rowvar=False, bias=True), rtol=1e-6)
    assert_allclose(ae.code_mean_activation_, np.abs(codes).mean(axis=0), rtol=1e-6)


def test_vae_statistics_pool_every_call(chunks):
    vae = VAETransformer(**SMALL)
    kl, means = [], []
    for X, _ in chunks:
        vae.partial_fit(X)
        # This call's rows alone, under the network at the end of the call.
        mean, logvar = vae._posterior_parameters(X.astype(np.float64))
        kl.append(vae._kl_per_unit(mean, logvar, None))
        means.append(mean)
    assert_allclose(vae.kl_per_unit_, np.mean(kl, axis=0), rtol=1e-6)
    variance = np.var(np.concatenate(means), axis=0)
    assert vae.active_units_ == int(np.sum(variance > 0.01))


def test_pooled_moments_are_those_of_the_rows_together():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(7, 3)), rng.normal(3, 2, size=(11, 3))
    mean, cov = pooled_moments(
        a.mean(0),
        np.cov(a, rowvar=False, bias=True),
        7,
        b.mean(0),
        np.cov(b, rowvar=False, bias=True),
        11,
    )
    both = np.vstack([a, b])
    assert_allclose(mean, both.mean(0))
    assert_allclose(cov, np.cov(both, rowvar=False, bias=True))
    _, var = pooled_moments(a.mean(0), a.var(0), 7, b.mean(0), b.var(0), 11)
    assert_allclose(var, both.var(0))


def test_a_failed_call_leaves_the_model_as_it_was(chunks):
    ae = AutoencoderTransformer(**SMALL).partial_fit(chunks[0][0])
    before, state = _weights(ae), dict(vars(ae))
    with pytest.raises(TrainingDivergedError):
        ae.partial_fit(chunks[1][0] * 1e30)
    assert ae.n_iter_ == 1 and len(ae.net_.history) == 1 and ae.n_samples_seen_ == 300
    assert all(torch.equal(v, _weights(ae)[k]) for k, v in before.items())
    assert_array_equal(ae.latent_mean_, state["latent_mean_"])
    ae.partial_fit(chunks[1][0])  # and it trains on
    assert ae.n_iter_ == 2


def test_a_failed_first_call_leaves_nothing_fitted(chunks):
    ae = AutoencoderTransformer(**SMALL)
    with pytest.raises(TrainingDivergedError):
        ae.partial_fit(chunks[0][0] * 1e30)
    assert not hasattr(ae, "net_") and not hasattr(ae, "n_iter_")


def test_early_stopping_has_no_partial_fit(chunks):
    ae = AutoencoderTransformer(**SMALL, early_stopping=True)
    assert not hasattr(ae, "partial_fit")
    with pytest.raises(AttributeError) as info:
        ae.partial_fit(chunks[0][0])
    assert "does not support early_stopping=True" in str(info.value.__cause__)


def test_a_later_chunk_of_another_width_is_named(chunks):
    ae = AutoencoderTransformer(**SMALL).partial_fit(chunks[0][0])
    with pytest.raises(ValueError, match="X has 10 features, but AutoencoderTransformer is"):
        ae.partial_fit(chunks[1][0][:, :10])
    assert ae.n_iter_ == 1


def test_conditional_vae_classes_on_the_first_call(chunks):
    (X0, y0), (X1, y1), _ = chunks
    cvae = ConditionalVAE(**SMALL).partial_fit(X0[y0 < 5], y0[y0 < 5], classes=np.arange(10))
    assert_array_equal(cvae.classes_, np.arange(10))
    cvae.partial_fit(X1, y1)
    expected = np.bincount(np.r_[y0[y0 < 5], y1], minlength=10)
    assert_array_equal(cvae.class_count_, expected)
    assert_allclose(cvae.class_prior_, expected / expected.sum())
    assert_allclose(cvae._module.log_class_prior.exp().numpy(), cvae.class_prior_)
    # Without classes, the first call's labels are the classes.
    only_low = ConditionalVAE(**SMALL).partial_fit(X0[y0 < 5], y0[y0 < 5])
    with pytest.raises(ValueError, match=r"labels not seen.*\[5, 6, 7, 8, 9\].*classes="):
        only_low.partial_fit(X1, y1)


def test_denoising_salt_and_pepper_range_grows_with_the_data(chunks):
    X0, X1 = chunks[0][0] * 0.5, chunks[1][0]
    dae = DenoisingAE(**SMALL, corruption="salt_and_pepper").partial_fit(X0)
    dae.partial_fit(X1)
    both = np.vstack([X0, X1])
    assert_allclose(dae.data_max_, both.max(axis=0))
    assert_allclose(dae.mean_, both.mean(axis=0))
    assert_allclose(dae._module.feature_max.numpy(), both.max(axis=0))
