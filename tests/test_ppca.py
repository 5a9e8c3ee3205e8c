"""Tests for PPCA."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import linalg, stats
from sklearn.decomposition import PCA
from sklearn.exceptions import NotFittedError

from sklearn_ae import PPCA


def _random_data(n_samples=200, n_features=8, rank=3, noise=0.3, seed=0, dtype=np.float64):
    """Low-rank Gaussian data with isotropic noise and a non-zero mean."""
    rng = np.random.default_rng(seed)
    Z = rng.standard_normal((n_samples, rank))
    A = rng.standard_normal((rank, n_features)) * 2
    mu = rng.standard_normal(n_features) * 5
    X = Z @ A + mu + noise * rng.standard_normal((n_samples, n_features))
    return X.astype(dtype)


def _loglik(X, mean, W, sigma2):
    """Mean log-likelihood of X under N(mean, W W^T + sigma2 I), computed densely."""
    cov = W @ W.T + sigma2 * np.eye(W.shape[0])
    return stats.multivariate_normal(mean, cov).logpdf(X).mean()


@pytest.mark.parametrize("n_components", [2, 10, 40])
def test_ppca_score_matches_pca_digits(digits, n_components):
    X, _ = digits
    ppca = PPCA(n_components).fit(X)
    pca = PCA(n_components).fit(X)
    assert_allclose(ppca.score(X), pca.score(X), rtol=1e-10)
    assert_allclose(ppca.score_samples(X), pca.score_samples(X), rtol=1e-10)


@pytest.mark.parametrize("n_components", [1, 3, 6, 7])
def test_ppca_score_matches_pca_random(n_components):
    X = _random_data()
    X_test = _random_data(seed=1)
    ppca = PPCA(n_components).fit(X)
    pca = PCA(n_components).fit(X)
    assert_allclose(ppca.score(X), pca.score(X), rtol=1e-10)
    assert_allclose(ppca.score(X_test), pca.score(X_test), rtol=1e-10)


@pytest.mark.parametrize("n_components", [1, 3, 6])
def test_ppca_fitted_attributes_match_pca_eigenvalues(n_components):
    X = _random_data()
    ppca = PPCA(n_components).fit(X)
    full = PCA().fit(X)
    eigenvalues = full.explained_variance_
    assert_allclose(ppca.mean_, X.mean(axis=0))
    assert_allclose(ppca.explained_variance_, eigenvalues[:n_components], rtol=1e-10)
    assert_allclose(
        ppca.explained_variance_ratio_,
        full.explained_variance_ratio_[:n_components],
        rtol=1e-10,
    )
    assert_allclose(ppca.noise_variance_, eigenvalues[n_components:].mean(), rtol=1e-10)
    # Rows of components_ are W^T: orthogonal with squared norms lambda_i - sigma2.
    gram = ppca.components_ @ ppca.components_.T
    expected = np.diag(eigenvalues[:n_components] - ppca.noise_variance_)
    assert_allclose(gram, expected, rtol=1e-8, atol=1e-10 * eigenvalues[0])
    assert ppca.n_components_ == n_components
    assert ppca.n_features_in_ == X.shape[1]
    assert ppca.n_samples_ == X.shape[0]


@pytest.mark.parametrize("shape", [(40, 6), (10, 15)])
def test_ppca_noise_variance_averages_all_discarded_eigenvalues(shape):
    # sigma2 is the mean of the d - q smallest covariance eigenvalues, including
    # the zeros beyond the rank when n_samples < n_features.
    X = np.random.default_rng(0).standard_normal(shape)
    n_components = 3
    eigenvalues = np.sort(np.linalg.eigvalsh(np.cov(X, rowvar=False)))[::-1]
    assert eigenvalues.shape == (shape[1],)
    ppca = PPCA(n_components).fit(X)
    assert_allclose(ppca.noise_variance_, eigenvalues[n_components:].mean(), rtol=1e-10)
    assert_allclose(ppca.explained_variance_, eigenvalues[:n_components], rtol=1e-10)


@pytest.mark.parametrize("shape", [(50, 6), (4, 9)])
def test_ppca_n_components_none(shape):
    X = np.random.default_rng(0).standard_normal(shape)
    ppca = PPCA().fit(X)
    assert ppca.n_components_ == min(shape) - 1
    assert ppca.components_.shape == (min(shape) - 1, shape[1])
    assert ppca.transform(X).shape == (shape[0], min(shape) - 1)
    assert np.all(np.isfinite(ppca.score_samples(X)))


@pytest.mark.parametrize("n_components", [1, 4])
def test_ppca_score_samples_matches_scipy(n_components):
    X = _random_data()
    X_test = _random_data(n_samples=30, seed=2)
    ppca = PPCA(n_components).fit(X)
    expected = stats.multivariate_normal(ppca.mean_, ppca.get_covariance()).logpdf(X_test)
    assert_allclose(ppca.score_samples(X_test), expected, rtol=1e-10)
    assert_allclose(ppca.score(X_test), expected.mean(), rtol=1e-10)


@pytest.mark.parametrize("n_components", [1, 3, 7])
def test_ppca_precision_inverts_covariance(n_components):
    X = _random_data()
    ppca = PPCA(n_components).fit(X)
    cov = ppca.get_covariance()
    assert_allclose(cov, cov.T)
    product = ppca.get_precision() @ cov
    assert_allclose(product, np.eye(X.shape[1]), atol=1e-10)


@pytest.mark.parametrize("factor", [0.9, 1.1])
@pytest.mark.parametrize("n_components", [1, 3])
def test_ppca_fit_maximises_likelihood(n_components, factor):
    X = _random_data()
    ppca = PPCA(n_components).fit(X)
    W = ppca.components_.T
    sigma2 = ppca.noise_variance_
    fitted = _loglik(X, ppca.mean_, W, sigma2)
    assert_allclose(fitted, ppca.score(X), rtol=1e-10)
    assert _loglik(X, ppca.mean_, factor * W, sigma2) < fitted
    assert _loglik(X, ppca.mean_, W, factor * sigma2) < fitted
    assert _loglik(X, ppca.mean_ + (factor - 1), W, sigma2) < fitted
    # The likelihood only depends on W W^T: rotating the latent space is free.
    rotation = linalg.qr(np.random.default_rng(0).standard_normal((n_components,) * 2))[0]
    assert_allclose(_loglik(X, ppca.mean_, W @ rotation, sigma2), fitted, rtol=1e-10)


def test_ppca_strict_mle_uses_n_samples():
    # Documented convention: PCA's n_samples - 1 denominator, not the strict MLE.
    X = _random_data(n_samples=20)
    n = X.shape[0]
    ppca = PPCA(2).fit(X)
    shrink = (n - 1) / n
    fitted = _loglik(X, ppca.mean_, ppca.components_.T, ppca.noise_variance_)
    strict = _loglik(
        X, ppca.mean_, np.sqrt(shrink) * ppca.components_.T, shrink * ppca.noise_variance_
    )
    assert strict > fitted


@pytest.mark.parametrize("n_components", [1, 3])
def test_ppca_transform_is_posterior_mean(n_components):
    X = _random_data()
    ppca = PPCA(n_components).fit(X)
    W = ppca.components_.T
    M = W.T @ W + ppca.noise_variance_ * np.eye(n_components)
    expected = np.linalg.solve(M, W.T @ (X - ppca.mean_).T).T
    assert_allclose(ppca.transform(X), expected, rtol=1e-10, atol=1e-12)
    assert_allclose(ppca.fit_transform(X), expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("n_components", [1, 3, 5])
def test_ppca_subspace_is_pca_subspace(n_components):
    X = _random_data()
    ppca = PPCA(n_components).fit(X)
    pca = PCA(n_components).fit(X)
    angles = linalg.subspace_angles(ppca.components_.T, pca.components_.T)
    assert_allclose(angles, 0, atol=1e-8)


def test_ppca_small_noise_reconstruction_matches_pca():
    # As sigma2 -> 0 the posterior mean becomes the orthogonal projection.
    X = _random_data(noise=1e-6)
    ppca = PPCA(3).fit(X)
    pca = PCA(3).fit(X)
    reconstruction = ppca.inverse_transform(ppca.transform(X))
    assert_allclose(reconstruction, pca.inverse_transform(pca.transform(X)), atol=1e-8)
    # With visible noise the posterior mean shrinks towards mu instead.
    X_noisy = _random_data(noise=1.0)
    ppca_noisy = PPCA(3).fit(X_noisy)
    pca_noisy = PCA(3).fit(X_noisy)
    latent_norm = np.linalg.norm(ppca_noisy.transform(X_noisy) @ ppca_noisy.components_)
    assert latent_norm < np.linalg.norm(pca_noisy.transform(X_noisy))


def test_ppca_inverse_transform_is_conditional_mean():
    X = _random_data()
    ppca = PPCA(2).fit(X)
    Z = np.random.default_rng(0).standard_normal((5, 2))
    expected = Z @ ppca.components_ + ppca.mean_
    assert_allclose(ppca.inverse_transform(Z), expected)


def test_ppca_sample_shape_and_reproducibility():
    X = _random_data()
    ppca = PPCA(3).fit(X)
    samples = ppca.sample(7, random_state=0)
    assert samples.shape == (7, X.shape[1])
    assert_allclose(ppca.sample(7, random_state=0), samples)
    assert not np.allclose(ppca.sample(7, random_state=1), samples)
    assert ppca.sample().shape == (1, X.shape[1])


def test_ppca_sample_noiseless_lies_in_subspace():
    X = _random_data()
    ppca = PPCA(3).fit(X)
    basis = linalg.orth(ppca.components_.T)

    def off_subspace(samples):
        centred = samples - ppca.mean_
        return np.linalg.norm(centred - centred @ basis @ basis.T, axis=1)

    noiseless = ppca.sample(20, random_state=0, noise=False)
    assert_allclose(off_subspace(noiseless), 0, atol=1e-10 * np.abs(noiseless).max())
    # The isotropic noise leaves the subspace with variance (d - q) * sigma2.
    noisy = ppca.sample(2000, random_state=0)
    expected = (X.shape[1] - 3) * ppca.noise_variance_
    assert_allclose(np.mean(off_subspace(noisy) ** 2), expected, rtol=0.1)


def test_ppca_sample_covariance_matches_model():
    X = _random_data(n_features=5)
    ppca = PPCA(2).fit(X)
    samples = ppca.sample(100_000, random_state=0)
    cov = ppca.get_covariance()
    assert_allclose(samples.mean(axis=0), ppca.mean_, atol=0.05 * np.sqrt(cov.diagonal().max()))
    assert_allclose(np.cov(samples, rowvar=False), cov, atol=0.03 * np.abs(cov).max())


@pytest.mark.parametrize("n_samples", [0, -1, 2.5])
def test_ppca_sample_invalid_n_samples(n_samples):
    ppca = PPCA(2).fit(_random_data())
    with pytest.raises(ValueError, match="n_samples"):
        ppca.sample(n_samples)


def test_ppca_n_components_too_large_for_features():
    X = _random_data(n_features=8)
    with pytest.raises(ValueError, match=r"n_components=9.*min\(n_samples, n_features\)=8"):
        PPCA(9).fit(X)


def test_ppca_n_components_too_large_for_samples():
    X = np.random.default_rng(0).standard_normal((3, 10))
    with pytest.raises(ValueError, match=r"n_components=4.*n_samples=3, n_features=10"):
        PPCA(4).fit(X)


@pytest.mark.parametrize("n_components", [0, -1, 1.5, "2"])
def test_ppca_invalid_n_components_type(n_components):
    with pytest.raises(ValueError, match="n_components"):
        PPCA(n_components).fit(_random_data())


def test_ppca_nan_raises():
    X = _random_data()
    X[3, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        PPCA(2).fit(X)


def test_ppca_wrong_width_raises():
    X = _random_data(n_features=8)
    ppca = PPCA(2).fit(X)
    for method in (ppca.transform, ppca.score_samples, ppca.score):
        with pytest.raises(ValueError, match="features"):
            method(X[:, :5])
    with pytest.raises(ValueError, match="n_components_=2"):
        ppca.inverse_transform(np.zeros((4, 3)))


@pytest.mark.parametrize("n_components", [1, 3, 8])
def test_ppca_float32_transforms_preserved_fit_in_float64(n_components):
    X = _random_data(dtype=np.float32)
    ppca = PPCA(n_components).fit(X)
    for fitted in (ppca.mean_, ppca.components_, ppca.explained_variance_):
        assert fitted.dtype == np.float64
    Z = ppca.transform(X)
    assert Z.dtype == np.float32
    assert ppca.inverse_transform(Z).dtype == np.float32
    # The float32 data hold exactly the same numbers in float64.
    reference = PPCA(n_components).fit(X.astype(np.float64))
    assert_allclose(ppca.components_, reference.components_)
    assert_allclose(ppca.score(X), reference.score(X), rtol=1e-6)


@pytest.mark.parametrize("n_components", [2, 8])
def test_ppca_float32_huge_values_give_a_finite_model(n_components):
    # float32 holds 1e30, but not its square: eigenvalues in float32 overflow.
    X = _random_data(dtype=np.float32) * np.float32(1e30)
    assert np.all(np.isfinite(X))
    ppca = PPCA(n_components).fit(X)
    fitted = [ppca.mean_, ppca.components_, ppca.explained_variance_, ppca.noise_variance_]
    assert all(np.all(np.isfinite(value)) for value in fitted)
    Z = ppca.transform(X)
    assert Z.dtype == np.float32 and np.all(np.isfinite(Z))
    assert np.all(np.isfinite(ppca.inverse_transform(Z)))
    assert np.all(np.isfinite(ppca.score_samples(X)))
    # Scaling the data by c shifts the log-likelihood by -n_features * log(c).
    reference = PPCA(n_components).fit(X.astype(np.float64) / 1e30)
    shift = X.shape[1] * np.log(1e30)
    assert_allclose(ppca.score(X), reference.score(X.astype(np.float64) / 1e30) - shift)


def test_ppca_variance_overflowing_float64_is_a_clear_error():
    X = _random_data() * 1e200
    with pytest.raises(ValueError, match=r"overflows float64.*StandardScaler"):
        PPCA(2).fit(X)
    with pytest.raises(NotFittedError):
        PPCA(2).transform(X)


@pytest.mark.parametrize("shape", [(200, 8), (9, 8), (50, 1)])
def test_ppca_all_components_is_the_full_gaussian_as_in_pca(shape):
    n_samples, n_features = shape
    X = _random_data(n_samples=n_samples, n_features=n_features, rank=min(3, n_features))
    ppca = PPCA(n_features).fit(X)
    pca = PCA(n_features).fit(X)
    assert ppca.noise_variance_ == 0 == pca.noise_variance_
    assert_allclose(ppca.score(X), pca.score(X), rtol=1e-10)
    assert_allclose(ppca.score_samples(X), pca.score_samples(X), rtol=1e-10)
    cov = np.atleast_2d(np.cov(X, rowvar=False))
    assert_allclose(ppca.get_covariance(), cov, rtol=1e-10, atol=1e-12)
    assert_allclose(ppca.get_precision() @ cov, np.eye(n_features), atol=1e-8)
    assert_allclose(ppca.score_samples(X), stats.multivariate_normal(X.mean(axis=0), cov).logpdf(X))
    # Nothing is left over: a draw is its own noiseless mean.
    assert_allclose(ppca.sample(5, random_state=0), ppca.sample(5, random_state=0, noise=False))
    assert_allclose(ppca.inverse_transform(ppca.transform(X)), X)


def test_ppca_all_components_of_rank_deficient_data_scores_finite():
    X = _random_data(n_samples=30, n_features=6, rank=2, noise=0.0)
    ppca = PPCA(6).fit(X)
    assert ppca.noise_variance_ == 0
    assert np.all(np.isfinite(ppca.score_samples(X)))
    assert np.all(np.isfinite(ppca.get_precision()))
    assert np.all(np.isfinite(ppca.transform(X)))


@pytest.mark.parametrize("n_components", [None, 2, 4])
def test_ppca_rank_deficient_scores_finite(n_components):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((5, 12))
    X[:, [0, 7]] = 3.0
    ppca = PPCA(n_components).fit(X)
    assert ppca.noise_variance_ > 0
    assert np.all(np.isfinite(ppca.score_samples(X)))
    assert np.all(np.isfinite(ppca.score_samples(rng.standard_normal((4, 12)))))
    assert np.all(np.isfinite(ppca.get_precision()))
    assert np.all(np.isfinite(ppca.transform(X)))


def test_ppca_constant_data_scores_finite():
    X = np.full((6, 4), 2.0)
    ppca = PPCA(2).fit(X)
    assert ppca.noise_variance_ > 0
    assert_allclose(ppca.explained_variance_ratio_, 0)
    assert np.all(np.isfinite(ppca.score_samples(X)))
    assert np.isfinite(ppca.score(X + 1))
    assert ppca.score(X + 1) < ppca.score(X)


def test_ppca_feature_names_out():
    ppca = PPCA(3).fit(_random_data())
    assert list(ppca.get_feature_names_out()) == ["ppca0", "ppca1", "ppca2"]


def test_ppca_fit_is_deterministic():
    X = _random_data()
    first, second = PPCA(3).fit(X), PPCA(3).fit(X)
    assert_array_equal(first.components_, second.components_)
    assert first.noise_variance_ == second.noise_variance_


def test_ppca_sample_arguments_after_n_samples_are_keyword_only():
    ppca = PPCA(2).fit(_random_data())
    with pytest.raises(TypeError):
        ppca.sample(4, 0)
    with pytest.raises(ValueError, match="only a class-conditional model"):
        ppca.sample(4, y=1)


def test_ppca_set_params_after_fit_changes_nothing_fitted():
    X = _random_data()
    ppca = PPCA(2).fit(X)
    Z = ppca.transform(X)
    ppca.set_params(n_components=5)
    assert_array_equal(ppca.transform(X), Z)
    assert ppca.sample(3, random_state=0).shape == (3, X.shape[1])
    assert list(ppca.get_feature_names_out()) == ["ppca0", "ppca1"]
