"""OutlierDetector: scikit-learn's outlier-detector API on the models of this package."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.metrics import roc_auc_score
from sklearn.neighbors import LocalOutlierFactor
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_ae import PPCA, AutoencoderTransformer, OutlierDetector, VAETransformer

FAST = {"max_iter": 3, "random_state": 0}


@pytest.fixture(scope="module")
def X(digits):
    return digits[0][:600]


@pytest.mark.parametrize(
    "model", [PPCA(n_components=10), AutoencoderTransformer(n_components=4, **FAST)]
)
def test_contamination_sets_the_share_of_training_outliers(model, X):
    detector = OutlierDetector(model, contamination=0.05).fit(X)
    assert abs(np.mean(detector.predict(X) == -1) - 0.05) <= 0.01
    assert_array_equal(detector.fit_predict(X), detector.predict(X))


def test_decision_function_is_score_minus_offset(X):
    detector = OutlierDetector(PPCA(n_components=5), contamination=0.1).fit(X)
    scores = detector.score_samples(X)
    assert_allclose(detector.decision_function(X), scores - detector.offset_)
    assert_array_equal(detector.predict(X), np.where(scores < detector.offset_, -1, 1))
    assert_allclose(np.sort(scores), detector.train_scores_)


def test_auto_contamination_is_tukeys_fence_on_the_anomaly_scores(X):
    detector = OutlierDetector(PPCA(n_components=5)).fit(X)
    anomaly = -detector.score_samples(X)
    q1, q3 = np.percentile(anomaly, [25, 75])
    assert detector.offset_ == pytest.approx(-(q3 + 1.5 * (q3 - q1)))
    share = np.mean(detector.predict(X) == -1)
    assert 0 < share < 0.2


def test_score_types(X):
    alone = {"latent_neighbors": None}
    ppca = OutlierDetector(PPCA(n_components=5), score_type="likelihood", **alone).fit(X)
    assert_allclose(ppca.score_samples(X), ppca.estimator_.score_samples(X))
    ratio = OutlierDetector(PPCA(n_components=5), **alone).fit(X)
    background = PPCA(n_components=1).fit(X)
    assert_allclose(
        ratio.score_samples(X),
        ratio.estimator_.score_samples(X) - background.score_samples(X),
        rtol=1e-10,
    )
    pca = OutlierDetector(PCA(n_components=5), **alone).fit(X)
    recon = pca.estimator_.inverse_transform(pca.estimator_.transform(X))
    assert_allclose(pca.score_samples(X), -np.mean((recon - X) ** 2, axis=1))
    forced = OutlierDetector(PPCA(n_components=5), score_type="reconstruction", **alone).fit(X)
    recon = forced.estimator_.inverse_transform(forced.estimator_.transform(X))
    assert_allclose(forced.score_samples(X), -np.mean((recon - X) ** 2, axis=1))
    ae = OutlierDetector(AutoencoderTransformer(n_components=3, **FAST), **alone).fit(X)
    assert_allclose(ae.score_samples(X), ae.estimator_.score_samples(X))


def test_default_score_averages_robust_standard_scores_of_model_and_codes(X, digits):
    X_new = digits[0][1000:1100]
    detector = OutlierDetector(PPCA(n_components=5), latent_neighbors=7).fit(X)
    # The two parts, rebuilt from scikit-learn and PPCA directly.
    model = PPCA(n_components=5).fit(X)
    background = PPCA(n_components=1).fit(X)
    lof = LocalOutlierFactor(n_neighbors=7, novelty=True).fit(model.transform(X))
    train = [
        model.score_samples(X) - background.score_samples(X),
        lof.score_samples(model.transform(X)),
    ]
    new = [
        model.score_samples(X_new) - background.score_samples(X_new),
        lof.score_samples(model.transform(X_new)),
    ]
    expected = 0
    for t, n in zip(train, new, strict=True):
        q1, median, q3 = np.percentile(t, [25, 50, 75])
        expected = expected + (n - median) / (q3 - q1) / 2
    assert_allclose(detector.score_samples(X_new), expected, rtol=1e-7, atol=1e-9)
    assert detector.neighbors_.n_neighbors == 7
    assert isinstance(detector.background_, PPCA)


def test_latent_neighbors_shrink_to_the_training_rows(X):
    detector = OutlierDetector(PCA(n_components=2)).fit(X[:8])
    assert detector.neighbors_.n_neighbors == 7
    assert np.isfinite(detector.score_samples(X[8:20])).all()


def test_likelihood_ratio_needs_a_likelihood(X):
    with pytest.raises(ValueError, match=r"likelihood_ratio.*reconstruction error"):
        OutlierDetector(
            AutoencoderTransformer(n_components=2, **FAST), score_type="likelihood_ratio"
        ).fit(X)


def test_default_model_is_a_vae(X):
    detector = OutlierDetector().set_params(estimator=None)
    assert detector.estimator is None
    detector.fit(X[:100])
    assert isinstance(detector.estimator_, VAETransformer)
    assert detector.estimator_.n_components == 10


def test_detects_a_digit_it_never_saw(digits):
    X, y = digits
    detector = OutlierDetector(PPCA(n_components=10)).fit(X[y != 0][:1000])
    test = np.concatenate([X[y == 0], X[y != 0][1000:1300]])
    is_new = np.r_[np.ones((y == 0).sum()), np.zeros(300)]
    # Chance is 0.5; the digit-0 novelty is found by PPCA's likelihood at 0.85.
    assert roc_auc_score(is_new, -detector.score_samples(test)) > 0.8
    assert roc_auc_score(is_new, detector.predict_proba(test)[:, 1]) > 0.8


def test_predict_proba_is_the_rank_among_training_scores(X, digits):
    detector = OutlierDetector(PPCA(n_components=10)).fit(X)
    proba = detector.predict_proba(X)
    assert_allclose(proba.sum(axis=1), 1)
    # On the training rows themselves the outlier probability is uniform (up
    # to ties between identical rows).
    assert_allclose(np.sort(proba[:, 1]), np.arange(len(X)) / len(X), atol=2 / len(X))
    held_out = detector.predict_proba(digits[0][1000:1600])[:, 1]
    assert 0.35 < held_out.mean() < 0.75
    assert np.all((0 <= held_out) & (held_out <= 1))


def test_normalized_anomaly_score_spans_the_training_errors(X):
    detector = OutlierDetector(PCA(n_components=5)).fit(X)
    s = detector.normalized_anomaly_score(X)
    anomaly = -detector.score_samples(X)
    assert s.min() == pytest.approx(0)
    assert s.max() == pytest.approx((anomaly.max() - anomaly.min()) / anomaly.max())


def test_inner_parameters_are_searchable(X):
    detector = OutlierDetector(PPCA(n_components=5))
    assert detector.get_params()["estimator__n_components"] == 5
    detector.set_params(estimator__n_components=3).fit(X)
    assert detector.estimator_.n_components_ == 3


@pytest.mark.parametrize("contamination", [0.0, 0.6, -0.1, "most"])
def test_contamination_out_of_range_is_named(contamination, X):
    with pytest.raises(InvalidParameterError, match="contamination"):
        OutlierDetector(PPCA(2), contamination=contamination).fit(X)


def test_model_without_a_score_is_a_clear_error(X):
    with pytest.raises(ValueError, match="needs an estimator with inverse_transform"):
        OutlierDetector(KMeans(2, n_init=1)).fit(X)


def test_nan_rows_at_predict_are_named(X):
    detector = OutlierDetector(PPCA(2)).fit(X)
    bad = X[:3].copy()
    bad[1, 4] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        detector.predict(bad)
