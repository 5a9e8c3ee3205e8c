"""What a fitted estimator is: its fitted attributes, and nothing else.

Contract tests over every estimator: parameters changed after fit do not change
the fitted model, a fit that raises leaves nothing fitted, ``sample`` has one
signature, and fitting leaves the user's random number generators alone.
"""

import numpy as np
import pytest
import torch
from numpy.testing import assert_array_equal
from sklearn.exceptions import NotFittedError

from sklearn_ae import (
    PPCA,
    AutoencoderTransformer,
    ConditionalVAE,
    ContractiveAE,
    DenoisingAE,
    SparseAE,
    TrainingDivergedError,
)

from _helpers import NEURAL

FAST = {"hidden_layer_sizes": (8,), "max_iter": 2, "random_state": 0}


@pytest.fixture(scope="module")
def data(digits):
    X, y = digits
    return X[:120], y[:120]


def _fit(est, data):
    X, y = data
    return est.fit(X, y)


@pytest.mark.parametrize("cls", NEURAL)
def test_set_params_after_fit_does_not_change_the_fitted_model(cls, data):
    X, _ = data
    est = _fit(cls(n_components=3, **FAST), data)
    Z = est.transform(X)
    names = est.get_feature_names_out()
    samples = est.sample(4, random_state=0)
    scores = est.score_samples(X[:5])
    posterior = est.posterior(X) if hasattr(est, "posterior") else None

    est.set_params(n_components=5)

    assert est.n_components_ == 3
    assert_array_equal(est.transform(X), Z)
    assert_array_equal(est.get_feature_names_out(), names)
    assert_array_equal(est.sample(4, random_state=0), samples)
    assert_array_equal(est.score_samples(X[:5]), scores)
    assert est.inverse_transform(Z).shape == X.shape
    if posterior is not None:
        for before, after in zip(posterior, est.posterior(X), strict=True):
            assert_array_equal(after, before)


def test_set_params_likelihood_after_fit_does_not_change_scores(data):
    from sklearn_ae import VAETransformer

    X, _ = data
    vae = VAETransformer(n_components=2, **FAST).fit(X)
    scores = vae.score_samples(X[:5])
    vae.set_params(likelihood="bernoulli")
    assert_array_equal(vae.score_samples(X[:5]), scores)
    assert_array_equal(vae.score_samples(X[:5] * 20), vae.score_samples(X[:5] * 20))


def test_set_params_corruption_after_fit_keeps_the_fitted_imputation(data):
    X, _ = data
    dae = DenoisingAE(corruption="masking", **FAST).fit(X)
    X_missing = X[:5].copy()
    X_missing[:, 3] = np.nan
    filled = dae.impute(X_missing)
    dae.set_params(corruption="gaussian")
    assert_array_equal(dae.impute(X_missing), filled)


@pytest.mark.parametrize("cls", NEURAL)
def test_refit_that_diverges_leaves_the_estimator_unfitted(cls, data):
    X, y = data
    est = _fit(cls(**FAST), data)
    est.transform(X)
    # The VAEs refuse such data before training; the others diverge.
    with pytest.raises((TrainingDivergedError, ValueError), match=r"diverged|float32's range"):
        est.fit(X * 1e30, y)
    for method in (est.transform, est.score_samples):
        with pytest.raises(NotFittedError):
            method(X)
    with pytest.raises(NotFittedError):
        est.sample(2)
    assert not [k for k in vars(est) if k.endswith("_") and not k.startswith("__")]


@pytest.mark.parametrize("cls", [DenoisingAE, ConditionalVAE])
def test_first_fit_that_diverges_leaves_no_statistics_behind(cls, data):
    # Both fit statistics of the data (feature ranges, classes) before training.
    X, y = data
    est = cls(**FAST)
    with pytest.raises((TrainingDivergedError, ValueError), match=r"diverged|float32's range"):
        est.fit(X * 1e30, y)
    with pytest.raises(NotFittedError):
        est.transform(X)


def test_refit_forgets_attributes_of_the_earlier_settings(data):
    X, _ = data
    ae = AutoencoderTransformer(early_stopping=True, **FAST).fit(X)
    assert hasattr(ae, "validation_scores_")
    ae.set_params(early_stopping=False).fit(X)
    assert not hasattr(ae, "validation_scores_")


def test_ppca_that_cannot_fit_leaves_the_earlier_fit_undone(data):
    X, _ = data
    ppca = PPCA(2).fit(X)
    with pytest.raises(ValueError, match="overflows float64"):
        ppca.fit(X * 1e200)
    with pytest.raises(NotFittedError):
        ppca.transform(X)


@pytest.mark.parametrize("cls", [PPCA, *NEURAL])
def test_sample_takes_keywords_only_after_n_samples(cls, data):
    params = {"n_components": 2} if cls is PPCA else FAST
    est = _fit(cls(**params), data)
    # A positional second argument used to mean the class for ConditionalVAE
    # and the seed elsewhere: it is now an error everywhere.
    with pytest.raises(TypeError):
        est.sample(4, 0)
    first = est.sample(4, random_state=0, noise=True)
    assert first.shape == (4, data[0].shape[1])
    assert_array_equal(est.sample(4, random_state=0, noise=True), first)
    means = est.sample(4, random_state=0, noise=False)
    assert not np.allclose(first, means)


@pytest.mark.parametrize("cls", [PPCA, *(c for c in NEURAL if c is not ConditionalVAE)])
def test_sample_with_labels_is_only_for_conditional_models(cls, data):
    params = {"n_components": 2} if cls is PPCA else FAST
    est = _fit(cls(**params), data)
    with pytest.raises(ValueError, match="only a class-conditional model"):
        est.sample(3, y=1)


def test_conditional_sample_takes_labels_by_keyword(data):
    cvae = _fit(ConditionalVAE(**FAST), data)
    assert cvae.sample(3, y=7, random_state=0).shape == (3, data[0].shape[1])


@pytest.mark.parametrize("cls", [AutoencoderTransformer, SparseAE, ContractiveAE])
def test_autoencoder_noise_is_the_training_residual(cls, data):
    X, _ = data
    est = cls(**FAST).fit(X)
    residual = est.inverse_transform(est.transform(X)) - X
    assert est.noise_scale_ == pytest.approx(np.sqrt(np.mean(residual**2)), rel=1e-5)
    means = est.sample(2000, random_state=0, noise=False)
    draws = est.sample(2000, random_state=0, noise=True)
    assert np.std(draws - means) == pytest.approx(est.noise_scale_, rel=0.02)


def test_autoencoder_cross_entropy_noise_draws_binary_data(data):
    X, _ = data
    ae = AutoencoderTransformer(loss="binary_crossentropy", **FAST).fit(X)
    assert ae.noise_scale_ is None
    draws = ae.sample(50, random_state=0, noise=True)
    assert set(np.unique(draws)) <= {0.0, 1.0}


@pytest.mark.parametrize("cls", NEURAL)
def test_fit_leaves_the_cpu_rng_untouched(cls, data):
    torch.manual_seed(123)
    state = torch.get_rng_state()
    _fit(cls(**FAST), data)
    assert torch.equal(torch.get_rng_state(), state)


def test_fit_seeds_no_cuda_generator_when_training_on_the_cpu(data, monkeypatch):
    # torch.manual_seed reseeds every CUDA device of the machine, including
    # those the user's other work runs on; a CPU fit must not touch them.
    def forbidden(*args, **kwargs):
        raise AssertionError("a CPU fit reseeded the CUDA generators")

    monkeypatch.setattr(torch.cuda, "manual_seed_all", forbidden)
    monkeypatch.setattr(torch.cuda, "manual_seed", forbidden)
    _fit(AutoencoderTransformer(**FAST), data)


@pytest.mark.cuda
def test_cuda_fit_leaves_every_device_rng_untouched(data):
    states = [torch.cuda.get_rng_state(i) for i in range(torch.cuda.device_count())]
    cpu = torch.get_rng_state()
    _fit(AutoencoderTransformer(device="cuda", **FAST), data)
    assert torch.equal(torch.get_rng_state(), cpu)
    for i, state in enumerate(states):
        assert torch.equal(torch.cuda.get_rng_state(i), state)
