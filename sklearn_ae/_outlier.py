"""Anomaly detection with any model of this package, in scikit-learn's outlier-detector API."""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, OutlierMixin, _fit_context, clone
from sklearn.neighbors import LocalOutlierFactor
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ._ppca import PPCA
from ._vae import VAETransformer

#: Tukey's fence: a training row is an outlier of the "auto" rule when its
#: anomaly score lies more than this many interquartile ranges above the
#: third quartile.
TUKEY_FENCE = 1.5

#: The models of this package whose ``score_samples`` is a log-likelihood, so
#: that a likelihood ratio means something.
LIKELIHOOD_MODELS = (VAETransformer, PPCA)


def outlier_threshold(train_scores, contamination, fence=TUKEY_FENCE):
    """The ``offset_`` on scores (higher = more normal) that ``contamination`` asks for.

    A float is the share of training rows below the threshold; ``"auto"`` is
    Tukey's fence on the anomaly scores (minus the scores): more than
    ``fence`` interquartile ranges above their third quartile.
    """
    if contamination == "auto":
        q1, q3 = np.percentile(-np.asarray(train_scores), [25, 75])
        return float(-(q3 + fence * (q3 - q1)))
    return float(np.percentile(train_scores, 100 * contamination))


def _robust_scale(train_scores):
    """Median and interquartile range of training scores (1 where the range is 0)."""
    q1, median, q3 = np.percentile(train_scores, [25, 50, 75])
    return median, (q3 - q1) if q3 > q1 else 1.0


class ThresholdMixin:
    """``decision_function`` and ``predict`` from ``score_samples`` and ``offset_``."""

    def decision_function(self, X):
        """``score_samples(X) - offset_``: negative for outliers.

        Parameters
        ----------
        X : array-like
            What :meth:`score_samples` takes: rows, or the series of a series detector.

        Returns
        -------
        decision : ndarray of shape (n_samples,)
            One value per row (per time point of a series).
        """
        return self.score_samples(X) - self.offset_

    def predict(self, X):
        """+1 for inliers, -1 for outliers.

        Parameters
        ----------
        X : array-like
            What :meth:`score_samples` takes: rows, or the series of a series detector.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            One label per row (per time point of a series).
        """
        return np.where(self.decision_function(X) < 0, -1, 1)


class OutlierDetector(ThresholdMixin, OutlierMixin, MetaEstimatorMixin, BaseEstimator):
    """Outlier detector on top of an autoencoder, PPCA or PCA.

    Train on (mostly) normal data; a row that the model finds unlikely, or
    reconstructs badly, or whose code lies apart from the training codes, is
    an anomaly. The detector follows scikit-learn's outlier-detector
    convention (:class:`~sklearn.ensemble.IsolationForest`,
    :class:`~sklearn.neighbors.LocalOutlierFactor` with ``novelty=True``):
    :meth:`score_samples` is higher for more normal rows,
    :meth:`decision_function` is ``score_samples - offset_`` (negative for
    outliers) and :meth:`predict` returns +1 for inliers and -1 for outliers.

    Read more in the :ref:`User Guide <anomaly_detection>`.

    Parameters
    ----------
    estimator : estimator or None, default=None
        The model, cloned at fit: any estimator of this package, or a
        scikit-learn transformer with ``inverse_transform`` (such as
        :class:`~sklearn.decomposition.PCA`). None uses
        ``VAETransformer(n_components=10)``. Its parameters are searchable as
        ``estimator__<param>``.
    contamination : "auto" or float, default="auto"
        The share of outliers expected in the training data. A float in
        (0, 0.5] puts the threshold ``offset_`` at that quantile of the
        training scores. ``"auto"`` needs no such guess: Tukey's rule on the
        training anomaly scores (minus :meth:`score_samples`) flags the rows
        more than 1.5 interquartile ranges above the third quartile.
    score_type : {"auto", "likelihood", "likelihood_ratio", "reconstruction"}, \
            default="auto"
        What the model says of a row.

        - ``"likelihood"``: the model's own ``score_samples`` (the
          log-likelihood of PPCA and the VAEs, minus the reconstruction error
          of the autoencoders).
        - ``"likelihood_ratio"``: the model's log-likelihood minus that of a
          simple background model, ``PPCA(n_components=1)`` fitted on the
          same data (``background_``). A likelihood is high for any simple
          row (a digit 1 has few ink pixels), whatever it shows; the ratio
          cancels what the background model also explains and keeps what the
          model learnt beyond it. For :class:`VAETransformer`,
          :class:`ConditionalVAE` and :class:`PPCA` (or a foreign estimator
          whose ``score_samples`` is a log-likelihood).
        - ``"reconstruction"``: minus the mean squared error of
          ``inverse_transform(transform(X))`` per feature, the anomaly score
          of the classical theory, for any transformer that can invert (PCA
          included).
        - ``"auto"``: ``"likelihood_ratio"`` for the VAEs and PPCA,
          ``"likelihood"`` for the other models of this package and
          ``"reconstruction"`` for the rest.
    latent_neighbors : int or None, default=20
        When an int and the model has ``transform``, the score also asks
        whether a row's code lies among the training codes: the local outlier
        factor of the code among its ``latent_neighbors`` nearest training
        codes (:class:`~sklearn.neighbors.LocalOutlierFactor`, ``neighbors_``;
        fewer neighbours when there are fewer training rows). The model's
        score and this one are each centred on the median and divided by the
        interquartile range of their training values, and averaged. None
        scores with the model alone, in its own units.

    Attributes
    ----------
    estimator_ : estimator
        The fitted model.
    background_ : PPCA or None
        The background model of ``score_type="likelihood_ratio"``.
    neighbors_ : LocalOutlierFactor or None
        The neighbourhoods of the training codes (``latent_neighbors``).
    score_location_ : ndarray of shape (n_parts,) or None
        Medians of the training values of the scores that are averaged (the
        model's, then the codes' local outlier factor); None when the model's
        score is used alone.
    score_scale_ : ndarray of shape (n_parts,) or None
        Their interquartile ranges (1 where a range is 0).
    offset_ : float
        The threshold on :meth:`score_samples`: rows scoring below it are
        outliers.
    train_scores_ : ndarray of shape (n_samples,)
        :meth:`score_samples` of the training rows, sorted; they give
        :meth:`predict_proba` and :meth:`normalized_anomaly_score` their scale.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    sklearn.ensemble.IsolationForest : A detector built on random trees.
    sklearn.neighbors.LocalOutlierFactor : A detector built on neighbourhoods.
    sklearn_ae.series.SeriesOutlierDetector : This detector on the windows of a series.

    Notes
    -----
    On MNIST novelty (train on nine digits, find the tenth) the default, a
    VAE's likelihood ratio averaged with the local outlier factor of its
    codes, beats both its parts and scikit-learn's detectors on the raw
    pixels: see the anomaly-detection benchmark in the documentation.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_ae import PPCA, OutlierDetector
    >>> X = load_digits().data / 16
    >>> detector = OutlierDetector(PPCA(n_components=10), contamination=0.05).fit(X)
    >>> labels = detector.predict(X)
    >>> labels.shape, round(float((labels == -1).mean()), 2)
    ((1797,), 0.05)
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit"]), None],
        "contamination": [StrOptions({"auto"}), Interval(Real, 0, 0.5, closed="right")],
        "score_type": [StrOptions({"auto", "likelihood", "likelihood_ratio", "reconstruction"})],
        "latent_neighbors": [Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(
        self, estimator=None, *, contamination="auto", score_type="auto", latent_neighbors=20
    ):
        self.estimator = estimator
        self.contamination = contamination
        self.score_type = score_type
        self.latent_neighbors = latent_neighbors

    def _estimator(self):
        """The model to clone: the parameter, or the default."""
        return VAETransformer(n_components=10) if self.estimator is None else self.estimator

    def _score_kind(self, estimator):
        kind = self.score_type
        ours = type(estimator).__module__.startswith("sklearn_ae")
        if kind == "auto":
            if isinstance(estimator, LIKELIHOOD_MODELS):
                kind = "likelihood_ratio"
            else:
                kind = "likelihood" if ours else "reconstruction"
        if kind == "likelihood_ratio" and ours and not isinstance(estimator, LIKELIHOOD_MODELS):
            raise ValueError(
                f"score_type='likelihood_ratio' needs a model with a log-likelihood, but the "
                f"score of {type(estimator).__name__} is a reconstruction error: use "
                "VAETransformer, ConditionalVAE or PPCA, or score_type='likelihood'."
            )
        needs = "inverse_transform" if kind == "reconstruction" else "score_samples"
        if not hasattr(estimator, needs):
            raise ValueError(
                f"score_type={self.score_type!r} needs an estimator with {needs}, but "
                f"{type(estimator).__name__} has none: pass a model of sklearn_ae, or a "
                "transformer with transform and inverse_transform such as PCA."
            )
        return kind

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None):
        """Fit the model on ``X`` and the threshold on its scores.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data, mostly normal.
        y : array-like of shape (n_samples,), default=None
            Passed to the model's ``fit`` (a :class:`ConditionalVAE` needs it).

        Returns
        -------
        self : object
            The fitted detector.
        """
        X = validate_data(self, X, dtype=[np.float64, np.float32])
        estimator = clone(self._estimator())
        kind = self._score_kind(estimator)
        self.estimator_ = estimator.fit(X, y)
        self.background_ = None
        if kind == "likelihood_ratio":
            self.background_ = PPCA(n_components=1).fit(X)
        self.neighbors_ = None
        codes = None
        if self.latent_neighbors is not None and hasattr(self.estimator_, "transform"):
            n_neighbors = max(1, min(self.latent_neighbors, len(X) - 1))
            codes = self.estimator_.transform(X)
            self.neighbors_ = LocalOutlierFactor(n_neighbors=n_neighbors, novelty=True)
            self.neighbors_.fit(codes)
        # The training rows are scored as new rows would be (each its own nearest
        # neighbour among the codes, not left out as in LocalOutlierFactor's own
        # offset): they then get the scores predict gives them, and
        # contamination holds.
        parts = self._score_parts(X, codes)
        self.score_location_ = self.score_scale_ = None
        if len(parts) > 1:
            location, scale = zip(*(_robust_scale(part) for part in parts), strict=True)
            self.score_location_, self.score_scale_ = np.array(location), np.array(scale)
        self.train_scores_ = np.sort(self._combine(parts))
        self.offset_ = outlier_threshold(self.train_scores_, self.contamination)
        return self

    def _score_parts(self, X, codes=None):
        """The scores that are averaged: the model's, then its codes' (with ``neighbors_``).

        ``codes`` are ``transform(X)`` when the caller has them already.
        """
        kind = self._score_kind(self.estimator_)
        if codes is None and (kind == "reconstruction" or self.neighbors_ is not None):
            codes = self.estimator_.transform(X)
        if kind == "reconstruction":
            recon = self.estimator_.inverse_transform(codes)
            scores = -np.mean(np.square(np.asarray(recon, dtype=np.float64) - X), axis=1)
        else:
            scores = np.asarray(self.estimator_.score_samples(X), dtype=np.float64)
        if kind == "likelihood_ratio":
            scores = scores - self.background_.score_samples(X)
        if self.neighbors_ is None:
            return [scores]
        return [scores, self.neighbors_.score_samples(codes)]

    def _combine(self, parts):
        if self.score_location_ is None:
            return parts[0]
        centred = zip(parts, self.score_location_, self.score_scale_, strict=True)
        standard = [(part - median) / scale for part, median, scale in centred]
        return np.mean(standard, axis=0)

    def _raw_scores(self, X):
        return self._combine(self._score_parts(X))

    def _check_X(self, X):
        check_is_fitted(self)
        return validate_data(self, X, dtype=[np.float64, np.float32], reset=False)

    def score_samples(self, X):
        """How normal each row is: higher is more normal (see ``score_type``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score; NaN and infinite values are an error.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
        """
        return self._raw_scores(self._check_X(X))

    def predict_proba(self, X):
        """Empirical probabilities of being an inlier and an outlier.

        The outlier probability of a row is the share of training rows that
        score higher (look more normal): the rank of its score among the
        training scores. It is honest in one precise sense: on new rows from
        the training distribution it is uniform on [0, 1], so that a
        probability of 0.99 means that 99% of such normal rows score higher.
        It is no posterior probability of being an anomaly, which would need
        the (unknown) share and distribution of anomalies.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score.

        Returns
        -------
        proba : ndarray of shape (n_samples, 2)
            Columns: inlier, outlier.
        """
        scores = self.score_samples(X)
        # Scores within rounding of a training score tie with it, so that a row
        # gets the same probability alone or among others.
        tol = 1e-6 * max(1.0, float(np.median(np.abs(self.train_scores_))))
        higher = len(self.train_scores_) - np.searchsorted(
            self.train_scores_, scores + tol, "right"
        )
        outlier = higher / len(self.train_scores_)
        return np.column_stack([1 - outlier, outlier])

    def normalized_anomaly_score(self, X):
        """The normalised anomaly score ``S = (R - R_min) / R_max`` of the theory.

        ``R`` is the anomaly score (minus :meth:`score_samples`: the
        reconstruction error, or minus a log-likelihood), ``R_min`` and
        ``R_max`` its smallest and largest value on the training data. ``S``
        is 0 for the most normal training row; it exceeds ``1 - R_min/R_max``
        only beyond the least normal one. Meant for non-negative ``R``
        (reconstruction errors); with log-likelihoods, prefer
        :meth:`predict_proba`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score.

        Returns
        -------
        score : ndarray of shape (n_samples,)
        """
        anomaly = -self.score_samples(X)
        r_min, r_max = -self.train_scores_[-1], -self.train_scores_[0]
        scale = abs(r_max) if r_max != 0 else 1.0
        return (anomaly - r_min) / scale

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner_tags = self._estimator().__sklearn_tags__()
        tags.input_tags.positive_only = inner_tags.input_tags.positive_only
        return tags
