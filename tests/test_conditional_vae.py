"""Tests for sklearn_ae._conditional_vae.ConditionalVAE."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import stats
from scipy.special import logsumexp, softmax
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from sklearn_ae import _vae
from sklearn_ae._conditional_vae import ConditionalVAE

# Short fits often end before the codes spread out; the collapse warning
# is tested where it matters.
pytestmark = pytest.mark.filterwarnings("ignore:.*posterior collapse:UserWarning")

SMALL = {"hidden_layer_sizes": (32,), "max_iter": 25, "random_state": 0}


@pytest.fixture(scope="module")
def fitted(digits):
    X, y = digits
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        # String labels: nothing may assume integer classes.
        return ConditionalVAE(n_components=3, **SMALL).fit(X[:1000], _names(y[:1000]))


def _names(y):
    return np.array(
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    )[y]


def test_cvae_requires_y(digits):
    X, _ = digits
    with pytest.raises(ValueError, match="requires y to be passed, but the target y is None"):
        ConditionalVAE(**SMALL).fit(X[:50], None)
    with pytest.raises(ValueError, match="requires y to be passed"):
        ConditionalVAE(**SMALL).fit_transform(X[:50])
    with pytest.raises(ValueError, match="requires y to be passed"):
        ConditionalVAE(**SMALL).fit(X[:50])
    with pytest.raises(ValueError, match="Unknown label type"):
        ConditionalVAE(**SMALL).fit(X[:50], np.linspace(0, 1, 50))


def test_cvae_fitted_attributes(fitted, digits):
    _, y = digits
    names, counts = np.unique(_names(y[:1000]), return_counts=True)
    assert_array_equal(fitted.classes_, names)
    assert_allclose(fitted.class_prior_, counts / 1000)
    assert fitted.prior_means_.shape == (10, 3)
    # The prior means are identified up to a common shift, fixed by centring.
    assert_allclose(fitted.prior_means_.mean(axis=0), 0, atol=1e-6)
    assert fitted.kl_per_unit_.shape == (3,)
    assert len(fitted.kl_curve_) == len(fitted.reconstruction_curve_) == fitted.n_iter_


def test_cvae_transform_needs_no_labels(fitted, digits):
    X = digits[0][1000:1050]
    Z = fitted.transform(X)
    mean, std = fitted.posterior(X)
    assert_array_equal(Z, mean)
    assert_array_equal(Z, fitted.transform(X))
    assert np.all(std > 0)


def test_cvae_kl_per_unit_matches_monte_carlo(fitted, digits):
    X, y = digits
    mean, std = fitted.posterior(X[:1000])
    prior = fitted.prior_means_[np.searchsorted(fitted.classes_, _names(y[:1000]))]
    z = mean + std * np.random.default_rng(0).standard_normal((300, *mean.shape))
    log_ratio = stats.norm.logpdf(z, mean, std) - stats.norm.logpdf(z, prior)
    estimate = log_ratio.mean(axis=(0, 1))
    stderr = log_ratio.mean(axis=0).std(axis=0) / np.sqrt(1000)
    assert np.all(np.abs(estimate - fitted.kl_per_unit_) < 4 * stderr + 1e-3)


def test_cvae_marginal_score_sums_conditional_scores(fitted, digits):
    X = digits[0][1000:1030]
    conditional = np.stack(
        [fitted.score_samples(X, np.full(len(X), c)) for c in fitted.classes_], axis=1
    )
    # log p(x) = log sum_c p(c) p(x | c), with the same importance samples.
    expected = logsumexp(conditional + np.log(fitted.class_prior_), axis=1)
    assert_allclose(fitted.score_samples(X), expected, rtol=1e-10)
    assert fitted.score(X) == pytest.approx(expected.mean())
    labels = _names(digits[1][1000:1030])
    assert fitted.score(X, labels) == pytest.approx(
        np.mean(fitted.score_samples(X, labels)), rel=1e-12
    )
    # The right label explains a digit better than the average label does.
    assert np.mean(fitted.score_samples(X, labels)) > np.mean(conditional)


def test_cvae_score_samples_is_rowwise_and_chunked(fitted, digits, monkeypatch):
    X = digits[0][:8]
    labels = _names(digits[1][:8])
    for y in (None, labels):
        scores = fitted.score_samples(X, y)
        rows = [
            fitted.score_samples(X[i : i + 1], None if y is None else y[i : i + 1])
            for i in range(8)
        ]
        assert_allclose(np.concatenate(rows), scores, rtol=1e-12)
        # A memory budget of 7 importance samples of one row.
        monkeypatch.setattr(_vae, "_IWAE_CHUNK_ELEMENTS", 7 * (64 + 3))
        assert_allclose(fitted.score_samples(X, y), scores, rtol=1e-12)
        monkeypatch.undo()


def test_cvae_inverse_transform_mixes_labels_by_posterior(fitted):
    Z = np.random.default_rng(0).standard_normal((7, 3))
    per_class = np.stack(
        [fitted.inverse_transform(Z, np.full(7, c)) for c in fitted.classes_], axis=1
    )
    log_post = np.log(fitted.class_prior_) + stats.norm.logpdf(
        Z[:, None, :], fitted.prior_means_
    ).sum(-1)
    weights = softmax(log_post, axis=1)
    # atol: entries near zero lose relative precision in float64 sums.
    assert_allclose(
        fitted.inverse_transform(Z), np.einsum("nc,ncd->nd", weights, per_class), atol=1e-9
    )


def test_cvae_sample_labels(fitted):
    X = fitted.sample(5, y="seven", random_state=0)
    assert X.shape == (5, 64)
    assert_array_equal(X, fitted.sample(5, y="seven", random_state=0))
    # Prior draws around the class's mean, decoded with the label.
    codes = fitted.prior_means_[7 - 2] + np.random.RandomState(0).standard_normal((5, 3))
    assert fitted.classes_[7 - 2] == "seven"
    assert_allclose(X, fitted.inverse_transform(codes, np.full(5, "seven")))
    mixed = fitted.sample(3, y=["one", "two", "one"], random_state=0)
    assert mixed.shape == (3, 64)
    noisy = fitted.sample(3, y="two", random_state=0, noise=True)
    assert not np.allclose(noisy, fitted.sample(3, y="two", random_state=0))


def test_cvae_sample_without_labels_follows_class_frequencies(fitted):
    draws = fitted.sample(20, random_state=0)
    assert draws.shape == (20, 64)
    rng = np.random.RandomState(0)
    labels = fitted.classes_[rng.choice(10, size=20, p=fitted.class_prior_)]
    codes = fitted.prior_means_[np.searchsorted(fitted.classes_, labels)]
    codes = codes + rng.standard_normal((20, 3))
    assert_allclose(draws, fitted.inverse_transform(codes, labels))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"y": "eleven"}, "labels not seen during fit"),
        ({"y": ["one", "two"]}, "y has 2 labels but X has 3 rows"),
        ({"y": "one", "n_samples": 0}, "n_samples must be a positive integer"),
    ],
)
def test_cvae_sample_errors(fitted, kwargs, match):
    kwargs = {"n_samples": 3, **kwargs}
    with pytest.raises(ValueError, match=match):
        fitted.sample(**kwargs)


def test_cvae_label_errors_in_scoring(fitted, digits):
    X = digits[0][:3]
    with pytest.raises(ValueError, match="labels not seen during fit"):
        fitted.score_samples(X, ["one", "two", "ten"])
    with pytest.raises(ValueError, match="y has 1 labels but X has 3 rows"):
        fitted.inverse_transform(fitted.transform(X), ["one"])


def test_cvae_class_conditional_samples_on_digits(digits):
    X, y = digits
    model = ConditionalVAE(**{**SMALL, "hidden_layer_sizes": (64,), "max_iter": 40})
    model.fit(X[:1400], y[:1400])
    clf = LogisticRegression(max_iter=500).fit(X[:1400], y[:1400])
    assert clf.score(X[1400:], y[1400:]) > 0.85
    wanted = np.repeat(np.arange(10), 20)
    accuracy = np.mean(clf.predict(model.sample(200, y=wanted, random_state=0)) == wanted)
    assert accuracy > 0.8


def test_cvae_in_pipeline_and_grid_search(digits):
    X, y = digits
    cvae = ConditionalVAE(hidden_layer_sizes=(16,), max_iter=8, random_state=0)
    pipe = make_pipeline(cvae, LogisticRegression(max_iter=300))
    grid = {"beta": [0.5, 2.0], "n_components": [2, 4]}
    piped_grid = {f"conditionalvae__{key}": value for key, value in grid.items()}
    search = GridSearchCV(pipe, piped_grid, cv=2).fit(X[:300], y[:300])
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    assert set(search.predict(X[300:400])) <= set(range(10))
    # Alone, it is selected on log p(x | c) of the held-out fold.
    alone = GridSearchCV(cvae, grid, cv=2).fit(X[:300], y[:300])
    assert np.all(np.isfinite(alone.cv_results_["mean_test_score"]))


# ---------------------------------------------------------------------- MNIST
@pytest.mark.slow
def test_cvae_mnist_default_samples_are_of_the_requested_digit():
    from sklearn_ae.datasets import mnist_split

    X_train, X_test, y_train, y_test = mnist_split()
    clf = LogisticRegression(max_iter=200).fit(X_train, y_train)
    assert clf.score(X_test, y_test) > 0.9
    # Default settings, fewer epochs than max_iter=200 to fit the time budget.
    model = ConditionalVAE(max_iter=30, random_state=0).fit(X_train, y_train)
    wanted = np.repeat(np.arange(10), 100)
    accuracy = np.mean(clf.predict(model.sample(1000, y=wanted, random_state=0)) == wanted)
    print(f"\nclassifier held-out accuracy {clf.score(X_test, y_test):.3f}")
    print(f"samples classified as the requested digit: {accuracy:.3f}")
    assert accuracy >= 0.9
