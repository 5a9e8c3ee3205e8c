"""Tests for sklearn_ae._vae.VAETransformer."""

import pickle
import warnings

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose, assert_array_equal
from scipy import stats
from scipy.special import logsumexp
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_ae import _vae
from sklearn_ae._ppca import PPCA
from sklearn_ae._vae import VAETransformer, iwae_noise
from sklearn_ae.nn._vae import VariationalAutoencoder, gaussian_kl

from _helpers import mlp_module

# Short fits often end before the codes spread out; the collapse warning
# is tested where it matters.
pytestmark = pytest.mark.filterwarnings("ignore:.*posterior collapse:UserWarning")

SMALL = {"hidden_layer_sizes": (32,), "max_iter": 25, "random_state": 0}


@pytest.fixture(scope="module")
def fitted(digits):
    X, _ = digits
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return VAETransformer(n_components=3, **SMALL).fit(X[:1000])


def _ppca_data(n_samples, seed, n_features=8, rank=2, noise=0.5):
    """Draws of one fixed PPCA model (``seed`` only changes the draws)."""
    model = np.random.default_rng(123)
    W = model.standard_normal((n_features, rank)) * 2
    mu = model.standard_normal(n_features)
    rng = np.random.default_rng(seed)
    Z = rng.standard_normal((n_samples, rank))
    return Z @ W.T + mu + noise * rng.standard_normal((n_samples, n_features))


def _linear_vae(X, n_components=2, **params):
    params = {"learning_rate_init": 1e-2, "max_iter": 150, "random_state": 0, **params}
    vae = VAETransformer(n_components, activation="identity", hidden_layer_sizes=(), **params)
    return vae.fit(X)


def _exact_marginal(vae, X):
    """log N(x; b, W W^T + s^2 I) of a linear Gaussian VAE, from its decoder weights."""
    layer = vae.net_.module_.decoder[0]
    W = layer.weight.detach().double().numpy()
    b = layer.bias.detach().double().numpy()
    cov = W @ W.T + vae.noise_scale_**2 * np.eye(len(b))
    return stats.multivariate_normal(b, cov).logpdf(X)


def _iwae_numpy(vae, X):
    """The importance-weighted estimate of log p(x) recomputed from the public API."""
    mean, std = vae.posterior(X)
    eps = iwae_noise(vae.n_importance_samples, vae.n_components).numpy()
    scores = []
    for m, s, x in zip(mean, std, X, strict=True):
        z = m + s * eps
        recon = vae.inverse_transform(z)
        log_lik = stats.norm.logpdf(x, recon, vae.noise_scale_).sum(axis=1)
        log_prior = stats.norm.logpdf(z).sum(axis=1)
        log_q = stats.norm.logpdf(z, m, s).sum(axis=1)
        scores.append(logsumexp(log_lik + log_prior - log_q) - np.log(len(eps)))
    return np.array(scores)


# ----------------------------------------------------------------- embedding
def test_vae_transform_is_deterministic_posterior_mean(fitted, digits):
    X = digits[0][1000:1100]
    Z = fitted.transform(X)
    assert_array_equal(Z, fitted.transform(X))
    mean, std = fitted.posterior(X)
    assert_array_equal(Z, mean)
    assert mean.shape == std.shape == (100, 3)
    assert np.all(std > 0)


def test_vae_sample_latent_draws_from_posterior(fitted, digits):
    X = digits[0][:5]
    draws = fitted.sample_latent(np.tile(X, (2000, 1)), random_state=0).reshape(2000, 5, -1)
    mean, std = fitted.posterior(X)
    assert_allclose(draws.mean(axis=0), mean, atol=5 * std.max() / np.sqrt(2000))
    assert_allclose(draws.std(axis=0), std, rtol=0.1)
    assert_array_equal(fitted.sample_latent(X, random_state=7), fitted.sample_latent(X, 7))
    assert not np.array_equal(fitted.sample_latent(X, 1), fitted.sample_latent(X, 2))


def test_vae_fitted_attributes(fitted):
    n_epochs = fitted.n_iter_
    assert len(fitted.reconstruction_curve_) == len(fitted.kl_curve_) == n_epochs
    assert fitted.kl_per_unit_.shape == (3,)
    assert np.all(fitted.kl_per_unit_ >= 0)
    assert 0 <= fitted.active_units_ <= 3
    history = fitted.net_.history
    assert_allclose(fitted.kl_curve_, history[:, "train_kl"])
    assert fitted.noise_scale_ > 0


def test_vae_loss_curve_is_reconstruction_plus_beta_kl(digits):
    X = digits[0][:300]
    vae = VAETransformer(beta=3.0, kl_warmup=4, **{**SMALL, "max_iter": 6}).fit(X)
    expected = np.add(vae.reconstruction_curve_, 3.0 * np.asarray(vae.kl_curve_))
    # Reported at the target beta even while the warm-up lowers the KL weight.
    assert_allclose(vae.loss_curve_, expected, rtol=1e-5)


# ---------------------------------------------------------------------- maths
def test_gaussian_kl_matches_torch_distributions():
    rng = np.random.default_rng(0)
    mean = torch.tensor(rng.standard_normal((50, 4)))
    logvar = torch.tensor(rng.uniform(-5, 3, (50, 4)))
    prior_mean = torch.tensor(rng.standard_normal((50, 4)))
    q = torch.distributions.Normal(mean, torch.exp(0.5 * logvar))
    for loc in (torch.zeros_like(mean), prior_mean):
        p = torch.distributions.Normal(loc, torch.ones_like(mean))
        expected = torch.distributions.kl_divergence(q, p)
        assert_allclose(gaussian_kl(mean, logvar, loc), expected, rtol=1e-10)


def test_vae_kl_per_unit_matches_monte_carlo(fitted, digits):
    X = digits[0][:1000]
    mean, std = fitted.posterior(X)
    rng = np.random.default_rng(0)
    n_draws = 400
    z = mean + std * rng.standard_normal((n_draws, *mean.shape))
    # KL(q || p) = E_q[log q(z) - log p(z)], per unit, averaged over rows and draws.
    log_ratio = stats.norm.logpdf(z, mean, std) - stats.norm.logpdf(z)
    estimate = log_ratio.mean(axis=(0, 1))
    stderr = log_ratio.mean(axis=0).std(axis=0) / np.sqrt(len(X)) + log_ratio.std(
        axis=(0, 1)
    ) / np.sqrt(n_draws * len(X))
    assert np.all(np.abs(estimate - fitted.kl_per_unit_) < 4 * stderr + 1e-3)


def test_vae_score_samples_is_the_importance_weighted_estimate(digits):
    # Trained with beta=4, scored as the plain (beta=1) model.
    X = digits[0]
    vae = VAETransformer(beta=4.0, n_importance_samples=20, **SMALL).fit(X[:500])
    assert_allclose(vae.score_samples(X[1500:1520]), _iwae_numpy(vae, X[1500:1520]), rtol=1e-8)


def test_vae_score_samples_rowwise_deterministic_and_chunked(fitted, digits, monkeypatch):
    X = digits[0][:40]
    scores = fitted.score_samples(X)
    assert scores.shape == (40,)
    assert_array_equal(scores, fitted.score_samples(X))
    one_by_one = np.array([fitted.score_samples(x[None])[0] for x in X[:10]])
    assert_allclose(one_by_one, scores[:10], rtol=1e-12)
    # Tiny chunks (a few rows each; then one row and slices of the K samples)
    # give the same numbers.
    width = X.shape[1] + fitted.n_components
    for budget in (3 * 50 * width, 10 * width):
        monkeypatch.setattr(_vae, "_IWAE_CHUNK_ELEMENTS", budget)
        assert_allclose(fitted.score_samples(X), scores, rtol=1e-12)
    assert fitted.score(X) == pytest.approx(scores.mean())


def test_vae_importance_weighted_estimate_rises_with_k(fitted, digits):
    X = digits[0][1000:1400]
    vae = pickle.loads(pickle.dumps(fitted))
    means = []
    for k in (5, 50, 500):
        vae.set_params(n_importance_samples=k)
        means.append(vae.score(X))
    assert means[0] < means[1] < means[2]


def test_vae_linear_importance_estimate_reaches_exact_marginal():
    X = _ppca_data(1000, seed=0)
    vae = _linear_vae(X, n_importance_samples=2000)
    exact = _exact_marginal(vae, X[:200])
    assert vae.score(X[:200]) == pytest.approx(exact.mean(), abs=0.02)
    # The ELBO (K = 1, averaged over many draws) is below the marginal likelihood.
    mean, std = vae.posterior(X[:200])
    z = mean + std * np.random.default_rng(0).standard_normal((100, *mean.shape))
    recon = vae.inverse_transform(z.reshape(-1, 2)).reshape(100, 200, -1)
    elbo = (
        stats.norm.logpdf(X[:200], recon, vae.noise_scale_).sum(-1)
        + stats.norm.logpdf(z).sum(-1)
        - stats.norm.logpdf(z, mean, std).sum(-1)
    ).mean()
    assert elbo < exact.mean()


def test_vae_linear_matches_ppca_likelihood():
    # A linear Gaussian VAE has PPCA as its optimum: same likelihood, to 0.1 nat
    # out of about 12, on the training data and on new draws of the same model.
    X, X_new = _ppca_data(2000, seed=0), _ppca_data(1000, seed=1)
    ppca = PPCA(2).fit(X)
    vae = _linear_vae(X)
    assert vae.score(X) == pytest.approx(ppca.score(X), abs=0.1)
    assert vae.score(X_new) == pytest.approx(ppca.score(X_new), abs=0.1)
    assert vae.noise_scale_ == pytest.approx(np.sqrt(ppca.noise_variance_), rel=0.05)


# ---------------------------------------------------------------- likelihoods
def test_vae_bernoulli_rejects_data_outside_unit_interval(digits):
    X = digits[0][:100]
    with pytest.raises(ValueError, match=r"Values above 1.*needs data in \[0, 1\]"):
        VAETransformer(likelihood="bernoulli", **SMALL).fit(X * 16)
    with pytest.raises(ValueError, match=r"Negative values.*needs data in \[0, 1\]"):
        VAETransformer(likelihood="bernoulli", **SMALL).fit(X - 0.5)
    vae = VAETransformer(likelihood="bernoulli", **{**SMALL, "max_iter": 2}).fit(X)
    with pytest.raises(ValueError, match=r"needs data in \[0, 1\]"):
        vae.score_samples(X * 2)


def test_vae_bernoulli_outputs_probabilities_and_binary_draws(digits):
    X = digits[0][:300]
    vae = VAETransformer(likelihood="bernoulli", **{**SMALL, "max_iter": 5}).fit(X)
    recon = vae.inverse_transform(vae.transform(X))
    assert recon.min() >= 0 and recon.max() <= 1
    draws = vae.sample(20, random_state=0, noise=True)
    assert set(np.unique(draws)) <= {0.0, 1.0}
    assert vae.noise_scale_ is None
    # log p(x) of binary data is a log-probability: at most 0.
    binary = (X > 0.5).astype(float)
    assert np.all(vae.score_samples(binary) <= 0)


def test_vae_gaussian_fixed_is_unit_variance(digits):
    X = digits[0][:300] * 4
    vae = VAETransformer(likelihood="gaussian_fixed", **{**SMALL, "max_iter": 3}).fit(X)
    assert vae.noise_scale_ == 1.0
    Z = vae.transform(X[:5])
    eps = iwae_noise(vae.n_importance_samples, vae.n_components).numpy()
    # Cross-check the first row against a direct computation with unit variance.
    mean, std = vae.posterior(X[:1])
    z = mean + std * eps
    log_w = (
        stats.norm.logpdf(X[0], vae.inverse_transform(z)).sum(1)
        + stats.norm.logpdf(z).sum(1)
        - stats.norm.logpdf(z, mean, std).sum(1)
    )
    assert vae.score_samples(X[:1])[0] == pytest.approx(logsumexp(log_w) - np.log(len(eps)))
    assert Z.shape == (5, vae.n_components)


def test_vae_module_noise_variance_is_floored_batch_mse():
    module = mlp_module(VariationalAutoencoder, 5, 2, noise_scale_floor=0.1).train()
    x = torch.zeros(4, 5, dtype=torch.float64)
    # A perfect reconstruction: the maximum-likelihood variance 0 is floored.
    expected = -0.5 * 5 * (np.log(0.1**2) + np.log(2 * np.pi))
    assert_allclose(module.log_likelihood(x, x), expected)
    # An imperfect one: the variance is the mean squared error per feature.
    out = x + torch.arange(20, dtype=torch.float64).reshape(4, 5)
    var = float(np.mean(np.arange(20.0) ** 2))
    assert_allclose(module.log_likelihood(out, x), stats.norm.logpdf(out, x, np.sqrt(var)).sum(1))


def test_vae_learned_noise_scale_has_a_floor():
    rng = np.random.default_rng(0)
    # Rank-one data that a linear decoder reproduces exactly: the maximum
    # likelihood noise tends to 0, the floor (1e-3 of the data scale) holds it.
    X = rng.standard_normal((200, 1)) @ rng.standard_normal((1, 6))
    scale = np.sqrt(X.var(axis=0).mean())
    vae = _linear_vae(X, n_components=1, max_iter=200)
    assert 1e-3 * scale * (1 - 1e-6) <= vae.noise_scale_ < 0.5 * scale
    assert np.all(np.isfinite(vae.score_samples(X)))
    # Constant data have no scale: the floor is then 1e-3 in the data's units.
    constant = np.tile([1.0, 2.0, 3.0, 4.0], (50, 1))
    params = {"learning_rate_init": 0.01, "batch_size": 10, "max_iter": 100}
    vae = VAETransformer(**{**SMALL, **params}).fit(constant)
    assert 1e-3 * (1 - 1e-6) <= vae.noise_scale_ < 0.1
    assert np.all(np.isfinite(vae.score_samples(constant[:3])))


def test_vae_posterior_variance_stays_in_a_safe_range(fitted, digits):
    X = digits[0][:20]
    for factor in (1e-6, 1e6, -1e6):
        mean, std = fitted.posterior(X * factor)
        assert np.all(np.isfinite(mean))
        assert np.all((std >= np.exp(-8.5)) & (std <= np.exp(4.5)))
        assert np.all(np.isfinite(fitted.score_samples(X * factor)) | (factor != 1e-6))


# ------------------------------------------------------------------ sampling
def test_vae_sample_decodes_prior_draws(fitted):
    X = fitted.sample(6, random_state=0)
    codes = np.random.RandomState(0).standard_normal((6, 3))
    assert_allclose(X, fitted.inverse_transform(codes))
    assert_array_equal(X, fitted.sample(6, random_state=0))
    noisy = fitted.sample(4000, random_state=1, noise=True)
    means = fitted.sample(4000, random_state=1)
    assert np.std(noisy - means) == pytest.approx(fitted.noise_scale_, rel=0.05)
    with pytest.raises(ValueError, match="n_samples must be a positive integer"):
        fitted.sample(0)


# ------------------------------------------------------------------------ beta
def test_vae_beta_trades_reconstruction_for_kl(digits):
    X, _ = digits
    X_train, X_test = X[:1400], X[1400:]
    errors, kls, active = [], [], []
    for beta in (1.0, 4.0, 50.0):
        vae = VAETransformer(4, beta=beta, **{**SMALL, "max_iter": 40})
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", UserWarning)
            vae.fit(X_train)
        collapse = [w for w in caught if "posterior collapse" in str(w.message)]
        assert len(collapse) == (vae.active_units_ == 0)
        recon = vae.inverse_transform(vae.transform(X_test))
        errors.append(np.mean((recon - X_test) ** 2))
        mean, std = vae.posterior(X_test)
        kls.append(np.mean(np.sum(mean**2 + std**2 - np.log(std**2) - 1, axis=1) / 2))
        active.append(vae.active_units_)
    assert np.all(np.diff(errors) > 0), errors
    assert np.all(np.diff(kls) < 0), kls
    # A huge beta collapses the posterior onto the prior: no active unit left.
    assert active[0] >= 3
    assert active[-1] == 0


def test_vae_kl_warmup_longer_than_training_warns(digits):
    X = digits[0][:100]
    with pytest.warns(UserWarning, match="warm-up lasts 5 epochs but training runs at most 5"):
        VAETransformer(kl_warmup=5, **{**SMALL, "max_iter": 5}).fit(X)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"beta": -1.0}, "beta"),
        ({"kl_warmup": -1}, "kl_warmup"),
        ({"likelihood": "poisson"}, "likelihood"),
        ({"n_importance_samples": 0}, "n_importance_samples"),
    ],
)
def test_vae_invalid_parameters(digits, params, match):
    with pytest.raises(InvalidParameterError, match=match):
        VAETransformer(**params).fit(digits[0][:20])


# ------------------------------------------------------------- model selection
def test_vae_grid_search_in_classification_pipeline(digits):
    X, y = digits
    pipe = make_pipeline(
        MinMaxScaler(),
        VAETransformer(hidden_layer_sizes=(16,), max_iter=8, random_state=0),
        LogisticRegression(max_iter=300),
    )
    grid = {"vaetransformer__beta": [0.5, 2.0], "vaetransformer__n_components": [2, 6]}
    search = GridSearchCV(pipe, grid, cv=2).fit(X[:400], y[:400])
    assert search.cv_results_["mean_test_score"].shape == (4,)
    assert search.best_estimator_.score(X[400:600], y[400:600]) > 0.3


def test_vae_grid_search_on_transformer_through_score(digits):
    X = digits[0][:400]
    vae = VAETransformer(hidden_layer_sizes=(16,), max_iter=8, random_state=0)
    search = GridSearchCV(vae, {"beta": [0.5, 2.0], "n_components": [2, 6]}, cv=2).fit(X)
    scores = search.cv_results_["mean_test_score"]
    assert np.all(np.isfinite(scores))
    best = search.best_params_
    refit = VAETransformer(hidden_layer_sizes=(16,), max_iter=8, random_state=0, **best)
    assert search.best_estimator_.score(X) == pytest.approx(refit.fit(X).score(X))


# ---------------------------------------------------------------------- MNIST
@pytest.fixture(scope="module")
def mnist():
    from sklearn_ae.datasets import mnist_split

    X_train, X_test, _, _ = mnist_split()
    return X_train.astype(np.float64), X_test.astype(np.float64)


@pytest.mark.slow
def test_vae_mnist_beats_ppca_and_pca(mnist):
    X_train, X_test = mnist
    vae = VAETransformer(n_components=10, max_iter=30, random_state=0).fit(X_train)
    ppca = PPCA(10).fit(X_train)
    # Same Gaussian data model, same units: nats per 784-pixel image.
    vae_score, ppca_score = vae.score(X_test), ppca.score(X_test)
    pca = PCA(10).fit(X_train)
    vae_error = np.mean((vae.inverse_transform(vae.transform(X_test)) - X_test) ** 2)
    pca_error = np.mean((pca.inverse_transform(pca.transform(X_test)) - X_test) ** 2)
    print(f"\nheld-out log-likelihood: VAE {vae_score:.1f}, PPCA {ppca_score:.1f} nats/image")
    print(f"held-out squared error per pixel: VAE {vae_error:.5f}, PCA {pca_error:.5f}")
    assert vae_score > ppca_score
    assert vae_error < pca_error
