"""The denoising autoencoder, and missing-value imputation with it."""

from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ._autoencoder import AutoencoderTransformer
from ._docstrings import fill_docstring
from ._utils import pooled_mean
from .nn._regularised import CORRUPTIONS, DenoisingAutoencoder


@fill_docstring
class DenoisingAE(AutoencoderTransformer):
    """Denoising autoencoder: trained to reconstruct clean rows from corrupted ones.

    Each training mini-batch is corrupted afresh (Gaussian noise, masking or
    salt-and-pepper) and the network is trained to reconstruct the clean
    batch, so it learns to map points back toward the data manifold.
    Corruption happens in training only: :meth:`transform`,
    :meth:`inverse_transform` and :meth:`score_samples` are deterministic
    and see the data as given. With masking noise the model also learns to
    fill in missing entries, which :meth:`impute` does for rows whose missing
    values are marked NaN.

    Parameters
    ----------
    n_components : int, default=2
        Width of the code (the bottleneck).
    {{architecture}}
    corruption : {"gaussian", "masking", "salt_and_pepper"} or callable, \
            default="gaussian"
        The corruption. ``"gaussian"`` adds ``corruption_level * N(0, 1)`` to
        every entry. ``"masking"`` sets a random ``corruption_level`` fraction
        of the entries to 0. ``"salt_and_pepper"`` sets a random
        ``corruption_level`` fraction of the entries to their feature's
        minimum or maximum over the training data (``data_min_``,
        ``data_max_``), each with probability 1/2. A callable is your own
        degradation: it takes a training batch, a float32 tensor of shape
        ``(batch, n_features)`` on the training device, and returns the
        degraded batch of the same shape, drawing any randomness with
        :func:`sklearn_ae.nn.rand_like` or :func:`sklearn_ae.nn.randn_like`
        (the estimator's own generator, seeded by ``random_state``). Downsampling gives
        super-resolution, a random blank patch inpainting, an overlaid mark
        watermark removal: the model learns to undo it. It is used in
        training only; define it at a module's top level to pickle the model.
    corruption_level : float, default=0.2
        Standard deviation of the Gaussian noise, or the probability that an
        entry is corrupted (masking, salt-and-pepper; at most 1). Unused by
        a callable corruption.
    masked_loss : bool, default=False
        Take the reconstruction loss on the masked entries only, as a masked
        autoencoder does. Needs ``corruption="masking"`` and ``corruption_level > 0``.
        The validation loss of ``early_stopping`` is computed on clean data
        over every entry.
    {{hidden_layer_sizes..activation}}
    loss : {"squared_error", "binary_crossentropy"}, default="squared_error"
        Reconstruction loss, against the clean input. Cross-entropy requires
        inputs in [0, 1].
    {{alpha..device}}
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, shuffling, the validation split and the
        corruption. The global torch RNG is left untouched.
    {{verbose}}

    Attributes
    ----------
    {{net_..n_iter_}}
    loss_curve_ : list of float
        Training loss (on corrupted inputs) per epoch.
    {{validation_scores_..best_validation_score_}}
    mean_ : ndarray of shape (n_features_in_,)
        Per-feature mean of the training data: the first fill of :meth:`impute`
        unless ``corruption="masking"``.
    data_min_ : ndarray of shape (n_features_in_,)
        Per-feature minimum of the training data (the "pepper" value).
    data_max_ : ndarray of shape (n_features_in_,)
        Per-feature maximum of the training data (the "salt" value).
    {{latent_mean_..noise_scale_}}

    See Also
    --------
    AutoencoderTransformer : The same network without corruption.
    sklearn.impute.IterativeImputer : Model-based imputation of missing values.

    References
    ----------
    .. [1] P. Vincent, H. Larochelle, Y. Bengio and P.-A. Manzagol, "Extracting
       and composing robust features with denoising autoencoders", ICML 2008.
    .. [2] P. Vincent, H. Larochelle, I. Lajoie, Y. Bengio and P.-A. Manzagol,
       "Stacked denoising autoencoders", JMLR 11, 2010.
    .. [3] K. He, X. Chen, S. Xie, Y. Li, P. Dollár and R. Girshick, "Masked
       autoencoders are scalable vision learners", CVPR 2022.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_ae import DenoisingAE
    >>> X, _ = load_digits(return_X_y=True)
    >>> X = X / 16
    >>> dae = DenoisingAE(n_components=8, corruption="masking", corruption_level=0.3,
    ...                   hidden_layer_sizes=(64,), max_iter=3, random_state=0)
    >>> Z = dae.fit_transform(X)
    >>> Z.shape, dae.inverse_transform(Z).shape
    ((1797, 8), (1797, 64))
    >>> X_missing = X[:5].copy()
    >>> X_missing[:, ::4] = np.nan
    >>> X_filled = dae.impute(X_missing)
    >>> X_filled.shape, bool(np.isnan(X_filled).any())
    ((5, 64), False)
    """

    _module_class = DenoisingAutoencoder

    _parameter_constraints: dict = {
        **AutoencoderTransformer._parameter_constraints,
        "corruption": [StrOptions(set(CORRUPTIONS)), callable],
        "corruption_level": [Interval(Real, 0, None, closed="left")],
        "masked_loss": ["boolean"],
    }

    def __init__(
        self,
        n_components=2,
        *,
        architecture=None,
        corruption="gaussian",
        corruption_level=0.2,
        masked_loss=False,
        hidden_layer_sizes=(256, 64),
        activation="relu",
        loss="squared_error",
        alpha=1e-4,
        batch_size="auto",
        learning_rate_init=1e-3,
        max_iter=200,
        tol=1e-4,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        callbacks=None,
        compile=False,
        device="cpu",
        random_state=None,
        verbose=0,
    ):
        super().__init__(
            n_components=n_components,
            architecture=architecture,
            hidden_layer_sizes=hidden_layer_sizes,
            activation=activation,
            loss=loss,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate_init=learning_rate_init,
            max_iter=max_iter,
            tol=tol,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change,
            callbacks=callbacks,
            compile=compile,
            device=device,
            random_state=random_state,
            verbose=verbose,
        )
        self.corruption = corruption
        self.corruption_level = corruption_level
        self.masked_loss = masked_loss

    def _check_corruption_params(self):
        if self.corruption in ("masking", "salt_and_pepper") and self.corruption_level > 1:
            raise ValueError(
                "corruption_level is the fraction of corrupted entries for "
                f"corruption={self.corruption!r} and must be in [0, 1]; "
                f"got {self.corruption_level!r}."
            )
        if self.masked_loss and self.corruption != "masking":
            raise ValueError(
                "masked_loss=True takes the loss on the masked entries only and needs "
                f"corruption='masking'; got corruption={self.corruption!r}."
            )
        if self.masked_loss and self.corruption_level == 0:
            raise ValueError(
                "masked_loss=True with corruption_level=0 masks no entry, so there is no loss "
                "to train on; use corruption_level > 0."
            )

    def _validate_training_data(self, X, y, reset=True):
        self._check_corruption_params()
        return super()._validate_training_data(X, y, reset=reset)

    def _fit_data_statistics(self, X, y):
        # Before training: the salt-and-pepper values are buffers of the module.
        self.data_min_ = X.min(axis=0).astype(np.float64)
        self.data_max_ = X.max(axis=0).astype(np.float64)
        self.mean_ = X.mean(axis=0, dtype=np.float64)
        return super()._fit_data_statistics(X, y)

    def _update_data_statistics(self, X, y):
        self.data_min_ = np.minimum(self.data_min_, X.min(axis=0))
        self.data_max_ = np.maximum(self.data_max_, X.max(axis=0))
        self.mean_ = pooled_mean(
            self.mean_, X.mean(axis=0, dtype=np.float64), self.n_samples_seen_, len(X)
        )
        return super()._update_data_statistics(X, y)

    def _push_data_statistics(self):
        # Salt and pepper draws from the range of all the rows seen so far.
        self._module.set_feature_range(self.data_min_, self.data_max_)

    def _module_params(self, X):
        return {
            **super()._module_params(X),
            "corruption": self.corruption,
            "corruption_level": self.corruption_level,
            "masked_loss": self.masked_loss,
            "feature_min": self.data_min_,
            "feature_max": self.data_max_,
        }

    def impute(self, X, *, n_iter="auto"):
        """Fill the missing entries (NaN) of ``X`` with the model's reconstruction.

        Each missing entry starts at the value the model was trained to read
        as "unknown": 0, the masking value, for a model trained with
        ``corruption="masking"``; the training mean (``mean_``) otherwise. Then,
        ``n_iter`` times, the rows are reconstructed and their missing entries
        replaced by the reconstruction. Observed entries are never changed.

        A masking-trained model is trained for exactly this: one pass from the
        masking value gives its estimate of the masked entries. Feeding its
        own estimates back in drifts away from what it was trained on (it
        also "fills" genuine zeros), so more rounds make it worse, hence
        ``n_iter="auto"`` is 1 for it. For the other models one pass from the
        mean is a poor guess, and repeated rounds converge to a fixed point
        of the reconstruction, as iterative SVD imputation does: ``"auto"``
        is 10 rounds for them. Which kind of model imputes better depends on
        the data: hide some known entries of held-out rows and compare.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows with missing values marked ``np.nan``. Infinite values are
            an error.
        n_iter : int or "auto", default="auto"
            Number of reconstruct-and-replace rounds; 0 returns the starting
            fill. ``"auto"`` is 1 for ``corruption="masking"`` and 10 otherwise.

        Returns
        -------
        X_imputed : ndarray of shape (n_samples, n_features)
            ``X`` with its NaN entries filled, in ``X``'s float dtype.
        """
        check_is_fitted(self)
        if n_iter == "auto":
            n_iter = 1 if self._masking else 10
        if not isinstance(n_iter, Integral) or isinstance(n_iter, bool) or n_iter < 0:
            raise ValueError(f"n_iter must be a non-negative integer or 'auto', got {n_iter!r}.")
        X = validate_data(
            self,
            X,
            dtype=[np.float64, np.float32],
            ensure_all_finite="allow-nan",
            reset=False,
            copy=True,
        )
        missing = np.isnan(X)
        X[missing] = np.broadcast_to(self._impute_start().astype(X.dtype), X.shape)[missing]
        rows = missing.any(axis=1)
        if not rows.any() or n_iter == 0:
            return X
        # Only rows with a missing entry need the network.
        part, part_missing = X[rows], missing[rows]
        reconstruct = self._reconstruct_fn()
        for _ in range(n_iter):
            recon = self._apply(reconstruct, part)
            part[part_missing] = recon[part_missing]
        X[rows] = part
        return X

    @property
    def _masking(self):
        # The fitted corruption, whatever set_params did to the parameter since.
        return self._module.corruption == "masking"

    def _impute_start(self):
        if self._masking:
            return np.zeros_like(self.mean_)
        return self.mean_

    def _reconstruct_fn(self):
        return lambda module, x: module.decode(module.encode(x))
