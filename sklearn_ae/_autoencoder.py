"""The deep undercomplete autoencoder."""

import numpy as np
from sklearn.utils._param_validation import StrOptions

from ._base import BaseAutoencoder
from ._docstrings import fill_docstring
from ._utils import pooled_mean, pooled_moments
from .nn import Autoencoder

#: At most this many training rows estimate ``noise_scale_``.
NOISE_SCALE_ROWS = 2048


@fill_docstring
class AutoencoderTransformer(BaseAutoencoder):
    """Deep undercomplete autoencoder as a scikit-learn transformer.

    An MLP encoder maps each row to ``n_components`` numbers and a mirrored
    decoder maps them back; both are trained to reconstruct the input,
    by skorch, with Adam. With ``activation="identity"`` it learns the same
    subspace as :class:`~sklearn.decomposition.PCA` (in another basis).

    A plain autoencoder has no prior over its codes, so :meth:`sample`
    decodes draws from a full-covariance Gaussian fitted to the training
    codes after training ("ex-post density estimation").

    Parameters
    ----------
    n_components : int, default=2
        Width of the code (the bottleneck).
    {{architecture}}
    {{hidden_layer_sizes..activation}}
        The code and the output are linear (the output goes through a sigmoid
        with cross-entropy loss).
    {{loss..verbose}}

    Attributes
    ----------
    {{net_..noise_scale_}}

    See Also
    --------
    sklearn.decomposition.PCA : The linear baseline.
    PPCA : Probabilistic PCA, with an exact likelihood.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_ae import AutoencoderTransformer
    >>> X, _ = load_digits(return_X_y=True)
    >>> X = X / 16
    >>> ae = AutoencoderTransformer(n_components=5, max_iter=3, random_state=0)
    >>> Z = ae.fit_transform(X)
    >>> Z.shape, ae.inverse_transform(Z).shape, ae.sample(4, random_state=0).shape
    ((1797, 5), (1797, 64), (4, 64))
    """

    _module_class = Autoencoder

    _parameter_constraints: dict = {
        **BaseAutoencoder._parameter_constraints,
        "loss": [StrOptions({"squared_error", "binary_crossentropy"})],
    }

    def __init__(
        self,
        n_components=2,
        *,
        architecture=None,
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
        self.loss = loss

    def _module_params(self, X):
        return {**super()._module_params(X), "loss": self.loss}

    def _validate_training_data(self, X, y, reset=True):
        X, y = super()._validate_training_data(X, y, reset=reset)
        if self.loss == "binary_crossentropy" and (X.min() < 0 or X.max() > 1):
            raise ValueError(
                "loss='binary_crossentropy' needs data in [0, 1]; got values in "
                f"[{X.min():g}, {X.max():g}]. Scale with MinMaxScaler or use "
                "loss='squared_error'."
            )
        return X, y

    def _fit_model_statistics(self, X, y):
        # The float32 network is exact enough for these statistics; float64
        # inference would copy the network and double the cost of this pass.
        X32 = X.astype(np.float32, copy=False)
        codes = self.transform(X32)
        self._fit_code_statistics(codes.astype(np.float64))
        if self.loss == "binary_crossentropy":
            self.noise_scale_ = None
        else:
            # One number: evenly spaced rows estimate it to a fraction of a
            # percent, at a bounded cost of decoding.
            rows = slice(None, None, -(-len(X32) // NOISE_SCALE_ROWS))
            residual = self.inverse_transform(codes[rows]).astype(np.float64) - X32[rows]
            self.noise_scale_ = float(np.sqrt(np.mean(np.square(residual))))

    def _fit_code_statistics(self, codes):
        """Statistics of the training ``codes`` (float64) that the fitted model keeps."""
        self.latent_mean_ = codes.mean(axis=0)
        # ddof=0 and a 2-D result even for one sample or one component.
        self.latent_covariance_ = np.atleast_2d(np.cov(codes, rowvar=False, bias=True))

    def _pool_model_statistics(self, previous, n_previous, n_new):
        self.latent_mean_, self.latent_covariance_ = pooled_moments(
            previous["latent_mean_"],
            previous["latent_covariance_"],
            n_previous,
            self.latent_mean_,
            self.latent_covariance_,
            n_new,
        )
        if self.noise_scale_ is not None:
            variance = pooled_mean(
                previous["noise_scale_"] ** 2, self.noise_scale_**2, n_previous, n_new
            )
            self.noise_scale_ = float(np.sqrt(variance))

    def _sample_codes(self, n_samples, rng):
        # A symmetric square root via eigh tolerates the singular covariance of
        # codes that collapsed onto fewer dimensions, where Cholesky fails.
        eigval, eigvec = np.linalg.eigh(self.latent_covariance_)
        root = eigvec * np.sqrt(np.clip(eigval, 0, None))
        return self.latent_mean_ + rng.standard_normal((n_samples, len(eigval))) @ root.T
