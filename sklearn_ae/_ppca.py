"""Probabilistic principal component analysis.

Closed-form maximum-likelihood fit of the latent linear Gaussian model of
Tipping & Bishop (1999), exposed as a scikit-learn transformer.
"""

# Authors: The sklearn_ae developers
# SPDX-License-Identifier: BSD-3-Clause

from math import log, pi
from numbers import Integral

import numpy as np
from scipy import linalg
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.utils import check_array, check_random_state, gen_batches
from sklearn.utils._param_validation import Interval
from sklearn.utils.extmath import svd_flip
from sklearn.utils.validation import check_is_fitted, validate_data

from ._utils import check_sample_count, reject_labels, unfitted_on_error

# Rows per batch of transform's projection: a float64 copy of 1,024 rows at a time.
_PROJECTION_ROWS = 1024

__all__ = ["PPCA"]


class PPCA(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Probabilistic principal component analysis (PPCA).

    Latent linear Gaussian model with isotropic noise::

        z ~ N(0, I_q)
        x | z ~ N(W z + mu, sigma2 I_d)

    so that the marginal distribution of the data is ``x ~ N(mu, C)`` with
    ``C = W W^T + sigma2 I_d``. The parameters are fitted with the
    closed-form maximum-likelihood solution of Tipping & Bishop (1999):
    ``sigma2`` is the mean of the ``d - q`` smallest eigenvalues of the sample
    covariance and ``W = U_q (Lambda_q - sigma2 I_q)^{1/2}``, where ``U_q``
    and ``Lambda_q`` hold the ``q`` leading eigenvectors and eigenvalues.

    :meth:`transform` returns the posterior mean of the latent variables,
    :meth:`score_samples` the exact log-likelihood of each sample, and
    :meth:`sample` draws new observations from the fitted generative model.

    Parameters
    ----------
    n_components : int, default=None
        Dimensionality ``q`` of the latent space, any value that
        :class:`~sklearn.decomposition.PCA` accepts:
        ``1 <= n_components <= min(n_samples, n_features)``. The noise
        variance is estimated from the ``n_features - n_components``
        discarded directions; with none left (``n_components ==
        n_features``) it is 0 and the model is the full Gaussian with the
        sample covariance. If None, it is set to
        ``max(1, min(n_samples, n_features) - 1)``.

    Attributes
    ----------
    mean_ : ndarray of shape (n_features,)
        Per-feature empirical mean, ``mu``. Every fitted array is float64,
        whatever the dtype of the training data (see Notes).

    components_ : ndarray of shape (n_components, n_features)
        Loading matrix ``W^T``, as in
        :class:`~sklearn.decomposition.FactorAnalysis`. Row ``i`` is the
        ``i``-th principal axis scaled by
        ``sqrt(explained_variance_[i] - noise_variance_)``, so the rows are
        orthogonal but **not** unit vectors (unlike
        :class:`~sklearn.decomposition.PCA`).

    explained_variance_ : ndarray of shape (n_components,)
        The ``n_components`` largest eigenvalues of the sample covariance,
        identical to ``PCA(n_components).explained_variance_``.

    explained_variance_ratio_ : ndarray of shape (n_components,)
        Fraction of the total variance carried by each component.

    noise_variance_ : float
        Maximum-likelihood isotropic noise variance ``sigma2``, floored at a
        tiny positive value (see Notes); exactly 0 when
        ``n_components == n_features``.

    n_components_ : int
        Number of latent dimensions actually used.

    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`. Defined only when `X`
        has feature names that are all strings.

    n_samples_ : int
        Number of samples in the training data.

    See Also
    --------
    sklearn.decomposition.PCA : Principal component analysis; its ``score``
        uses the same probabilistic model.
    sklearn.decomposition.FactorAnalysis : Same latent model with a
        per-feature (diagonal) noise covariance.

    Notes
    -----
    The eigenvalues of the sample covariance are computed exactly as
    :class:`~sklearn.decomposition.PCA` does, from the SVD of the centred
    data with ``n_samples - 1`` in the denominator. Consequently
    ``PPCA(q).score(X)`` equals ``PCA(q).score(X)`` up to rounding when
    ``n_samples >= n_features``. The strict maximum-likelihood estimate uses
    ``n_samples`` instead, i.e. it multiplies ``explained_variance_``,
    ``noise_variance_`` and ``components_ ** 2`` by
    ``(n_samples - 1) / n_samples``.

    Eigenvalues beyond the rank of the centred data are zero, and
    ``noise_variance_`` averages over all ``n_features - n_components``
    discarded eigenvalues, zeros included. When
    ``n_samples < n_features`` this differs from
    :class:`~sklearn.decomposition.PCA`, which only averages the
    ``min(n_samples, n_features) - n_components`` eigenvalues its SVD returns.

    For rank-deficient data (``n_samples <= n_features``, constant or
    collinear columns) the maximum-likelihood ``sigma2`` is zero and the
    likelihood is unbounded. ``noise_variance_`` is therefore floored at
    ``eps * total_variance / n_features`` (``eps`` of float64; plain ``eps``
    when the data are constant), which keeps the covariance positive
    definite and every log-likelihood finite. With ``n_components ==
    n_features`` there is no noise to floor, and the same floor applies to
    each of the ``n_components`` variances instead.

    The fit is computed in float64 whatever the input dtype: the variances
    of float32 data of magnitude 1e20 and more overflow float32. Data whose
    variance overflows even float64 are rejected with a ``ValueError``.
    :meth:`transform` and :meth:`inverse_transform` return their input's
    dtype.

    Every prediction method runs in ``O(n_features * n_components**2)`` per
    call: the ``(n_features, n_features)`` covariance is only formed by
    :meth:`get_covariance` and :meth:`get_precision`.

    References
    ----------
    .. [1] M. E. Tipping and C. M. Bishop, "Probabilistic Principal Component
       Analysis", Journal of the Royal Statistical Society, Series B, 61(3),
       pp. 611-622, 1999.
    .. [2] C. M. Bishop, "Pattern Recognition and Machine Learning",
       Springer, 2006, section 12.2.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_ae import PPCA
    >>> X, _ = load_digits(return_X_y=True)
    >>> X.shape
    (1797, 64)
    >>> ppca = PPCA(n_components=10).fit(X)
    >>> ppca.components_.shape
    (10, 64)
    >>> ppca.transform(X).shape
    (1797, 10)
    >>> ppca.sample(5, random_state=0).shape
    (5, 64)
    >>> ppca.score_samples(X).shape
    (1797,)
    """

    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(self, n_components=None):
        self.n_components = n_components

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Fit the model with the closed-form maximum-likelihood solution.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.

        y : Ignored
            Not used, present for API consistency by convention.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        with unfitted_on_error(self):
            return self._fit(X)

    def _fit(self, X):
        X = validate_data(self, X, dtype=[np.float64, np.float32], ensure_min_samples=2)
        n_samples, n_features = X.shape
        n_components = self._check_n_components(n_samples, n_features)

        # float64 whatever the input: float32 eigenvalues of data of scale 1e20
        # and more overflow (squares beyond 3.4e38) and poison every parameter.
        X = X.astype(np.float64, copy=False)
        # An overflow is reported below, as an error that says what to do.
        total_var = np.inf
        with np.errstate(over="ignore", invalid="ignore"):
            mean = np.mean(X, axis=0)
            if np.all(np.isfinite(mean)):
                _, S, Vt = linalg.svd(X - mean, full_matrices=False)
                # Same eigenvalues as PCA.explained_variance_ (see Notes for ddof).
                eigenvalues = S**2 / (n_samples - 1)
                total_var = eigenvalues.sum()
        if not np.isfinite(total_var):
            raise ValueError(
                f"{type(self).__name__} cannot fit X: its variance overflows float64 "
                f"(the largest absolute value is {np.max(np.abs(X)):g}). Scale the data "
                "first, for example with StandardScaler."
            )
        # Sign convention of PCA, so that components_ are deterministic and
        # comparable with sklearn.decomposition.PCA.
        _, Vt = svd_flip(None, Vt, u_based_decision=False)

        # Rank-deficient data (n_samples <= n_features, constant or collinear
        # columns) have zero eigenvalues and an unbounded likelihood; a floor
        # relative to the data scale keeps the model covariance positive
        # definite and every log-likelihood finite. Constant data have no
        # scale, hence the absolute eps.
        eps = np.finfo(np.float64).eps
        floor = eps * total_var / n_features if total_var > 0 else eps
        explained_variance = eigenvalues[:n_components]
        if n_components < n_features:
            # Eigenvalues beyond min(n_samples, n_features) are exactly zero,
            # so their sum is the sum of the computed tail while the count is
            # d - q.
            sigma2 = max(eigenvalues[n_components:].sum() / (n_features - n_components), floor)
            # Eigenvalues can fall below the floored sigma2 when n_components
            # exceeds the rank; those directions then carry no signal.
            scale2 = np.maximum(explained_variance - sigma2, 0)
        else:
            # Nothing is left over: no noise, C = W W^T is the full sample
            # covariance (as PCA's at n_components == n_features), each
            # eigenvalue floored so that C stays invertible.
            sigma2 = 0.0
            scale2 = np.maximum(explained_variance, floor)

        self.mean_ = mean
        self.components_ = Vt[:n_components] * np.sqrt(scale2)[:, np.newaxis]
        self.explained_variance_ = explained_variance
        if total_var > 0:
            self.explained_variance_ratio_ = explained_variance / total_var
        else:
            self.explained_variance_ratio_ = np.zeros(n_components)
        self.noise_variance_ = float(sigma2)
        self.n_components_ = n_components
        self.n_samples_ = n_samples
        return self

    def _check_n_components(self, n_samples, n_features):
        if self.n_components is None:
            return max(1, min(n_samples, n_features) - 1)
        if self.n_components > min(n_samples, n_features):
            raise ValueError(
                f"n_components={self.n_components} must be between 1 and "
                f"min(n_samples, n_features)={min(n_samples, n_features)}, as in "
                f"sklearn.decomposition.PCA: X has n_samples={n_samples}, "
                f"n_features={n_features}."
            )
        return self.n_components

    @property
    def _n_features_out(self):
        """Number of transformed output features."""
        return self.n_components_

    def _cholesky_M(self):
        """Lower Cholesky factor of ``M = W^T W + sigma2 I_q``."""
        W = self.components_.T
        M = W.T @ W
        M.flat[:: M.shape[0] + 1] += self.noise_variance_
        return linalg.cholesky(M, lower=True)

    def transform(self, X):
        """Posterior mean of the latent variables.

        ``E[z | x] = M^{-1} W^T (x - mu)`` with ``M = W^T W + sigma2 I``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data to project.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_components)
            Posterior means of the latent variables.
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        L = self._cholesky_M()
        # Project first, then centre in the small latent space: centring X itself
        # would allocate a copy of the whole input. By row batches, because NumPy
        # casts float32 rows to float64 before multiplying: whole, that cast was
        # a copy of twice the input.
        WtX = np.empty((len(X), self.n_components_))
        offset = self.mean_ @ self.components_.T
        for rows in gen_batches(len(X), _PROJECTION_ROWS):
            WtX[rows] = X[rows] @ self.components_.T - offset
        return linalg.cho_solve((L, True), WtX.T).T.astype(X.dtype, copy=False)

    def inverse_transform(self, X):
        """Map latent vectors back to data space: ``W z + mu``.

        This is the mean of ``x | z``; it is not the inverse of
        :meth:`transform`, which shrinks towards the origin.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components)
            Latent vectors.

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_features)
            Conditional means in data space.
        """
        check_is_fitted(self)
        Z = check_array(X, dtype=[np.float64, np.float32])
        if Z.shape[1] != self.n_components_:
            raise ValueError(
                f"X has {Z.shape[1]} features, but {self.__class__.__name__} "
                f"inverse_transform expects n_components_={self.n_components_} "
                "latent features as input."
            )
        return (Z @ self.components_ + self.mean_).astype(Z.dtype, copy=False)

    def sample(self, n_samples=1, *, y=None, random_state=None, noise=True):
        """Draw samples from the fitted generative model.

        Parameters
        ----------
        n_samples : int, default=1
            Number of samples to generate.

        y : None
            PPCA is not class-conditional; anything but None raises a
            ``ValueError``.

        random_state : int, RandomState instance or None, default=None
            Controls the draws. None uses NumPy's global random state.

        noise : bool, default=True
            If True, draw ``x ~ N(W z + mu, sigma2 I)``, a draw of the fitted
            model. If False, return the noiseless mean ``W z + mu`` of ``x``
            given ``z``, which lies in the principal subspace (the meaning
            ``noise`` has in every ``sample`` of this package).

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
            Generated samples, float64.
        """
        check_is_fitted(self)
        check_sample_count(n_samples)
        reject_labels(self, y)
        rng = check_random_state(random_state)
        n_features = self.components_.shape[1]
        Z = rng.standard_normal((n_samples, self.n_components_))
        X = Z @ self.components_ + self.mean_
        if noise:
            X += np.sqrt(self.noise_variance_) * rng.standard_normal((n_samples, n_features))
        return X

    def score_samples(self, X):
        """Log-likelihood of each sample under the fitted model.

        Uses the Woodbury identity and the matrix determinant lemma, so the
        ``(n_features, n_features)`` covariance is never formed.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data.

        Returns
        -------
        ll : ndarray of shape (n_samples,)
            Log-likelihood of each sample.
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        sigma2 = self.noise_variance_
        n_features = X.shape[1]
        q = self.n_components_

        Xr = X - self.mean_
        L = self._cholesky_M()
        Y = linalg.solve_triangular(L, (Xr @ self.components_.T).T, lower=True)
        if sigma2 > 0:
            # C^{-1} = (I - W M^{-1} W^T) / sigma2, so
            # x^T C^{-1} x = (|x|^2 - |L^{-1} W^T x|^2) / sigma2.
            quad = (np.sum(Xr * Xr, axis=1) - np.sum(Y * Y, axis=0)) / sigma2
            # The quadratic form of a positive definite matrix cannot be
            # negative; cancellation can make it so when sigma2 is tiny.
            quad = np.maximum(quad, 0)
        else:
            # q == d: W is square and invertible, W^{-1} = M^{-1} W^T, so
            # x^T C^{-1} x = |W^{-1} x|^2 = |L^{-T} L^{-1} W^T x|^2.
            V = linalg.solve_triangular(L, Y, lower=True, trans="T")
            quad = np.sum(V * V, axis=0)
        # det(C) = sigma2^(d - q) det(M), which is det(M) when q == d.
        noise_logdet = (n_features - q) * log(sigma2) if q < n_features else 0.0
        logdet = noise_logdet + 2 * np.sum(np.log(np.diag(L)))
        return -0.5 * (quad + logdet + n_features * log(2 * pi))

    def score(self, X, y=None):
        """Average log-likelihood of the samples.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data.

        y : Ignored
            Not used, present for API consistency by convention.

        Returns
        -------
        ll : float
            Average log-likelihood of the samples under the fitted model.
        """
        return float(np.mean(self.score_samples(X)))

    def get_covariance(self):
        """Model covariance ``C = W W^T + sigma2 I``.

        Returns
        -------
        cov : ndarray of shape (n_features, n_features)
            Covariance of the data under the fitted model.
        """
        check_is_fitted(self)
        cov = self.components_.T @ self.components_
        cov.flat[:: cov.shape[0] + 1] += self.noise_variance_
        return cov

    def get_precision(self):
        """Model precision ``C^{-1}``, computed with the Woodbury identity.

        ``C^{-1} = (I - W M^{-1} W^T) / sigma2`` with ``M = W^T W + sigma2 I``,
        which only inverts a ``(n_components, n_components)`` matrix.

        Returns
        -------
        precision : ndarray of shape (n_features, n_features)
            Inverse of :meth:`get_covariance`.
        """
        check_is_fitted(self)
        sigma2 = self.noise_variance_
        L = self._cholesky_M()
        Wt = self.components_
        M_inv_Wt = linalg.cho_solve((L, True), Wt)
        if sigma2 == 0:
            # q == d: C^{-1} = W^{-T} W^{-1} with W^{-1} = M^{-1} W^T.
            return M_inv_Wt.T @ M_inv_Wt
        precision = -(Wt.T @ M_inv_Wt) / sigma2
        precision.flat[:: precision.shape[0] + 1] += 1 / sigma2
        return precision

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
