"""The contractive autoencoder."""

from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval

from ._autoencoder import AutoencoderTransformer
from ._docstrings import fill_docstring
from .architectures import MLP
from .nn._regularised import ContractiveAutoencoder

# Rows per batch of :meth:`ContractiveAE.jacobian_norm`: each row holds a
# (n_components, width) slice of the Jacobian in float64.
_JACOBIAN_BATCH_ROWS = 256


@fill_docstring
class ContractiveAE(AutoencoderTransformer):
    """Contractive autoencoder: the encoder is penalised for its sensitivity to the input.

    The loss is the reconstruction error plus
    ``contractive_weight * mean_batch ||J_f(x)||_F^2``, the squared Frobenius
    norm of the Jacobian of the encoder ``f`` at each input. For the MLP
    (``architecture=None`` or ``MLP``) it is computed exactly, in closed form:
    ``J(x) = W_K D_{K-1} W_{K-1} ... D_1 W_1`` with ``D_k`` the diagonal
    matrix of the activation's derivatives at layer ``k``, evaluated in the
    same pass as the code by one batched product started from the code side,
    finished through the Gram matrix of the first layer's weights when that is
    cheaper. Nothing is approximated. The price is about
    ``2 * h_1^2 * (batch_size * n_components + n_features)`` multiply-adds per
    mini-batch on top of the plain autoencoder's (``h_1`` the first hidden
    width): several times a plain epoch for a wide first layer (measured in
    ``benchmarks/bench_contractive_cost.py``).

    For any other architecture the training penalty is an unbiased estimate
    by random projections, ``||J||_F^2 = E_v ||J^T v||^2`` with
    ``v ~ N(0, I)`` in code space, averaged over ``n_projections``
    vector-Jacobian products per mini-batch (each one more backward pass,
    differentiated again by training); :meth:`jacobian_norm` computes the
    exact value, with one product per code unit.

    Parameters
    ----------
    n_components : int, default=2
        Width of the code (the bottleneck).
    {{architecture}}
    contractive_weight : float, default=0.1
        Weight ``lambda`` of the Jacobian penalty; 0 gives the plain
        autoencoder.
    n_projections : int, default=1
        Random projections per mini-batch of the training penalty's estimate,
        for architectures other than the MLP (whose penalty is exact). More
        lower its variance at a cost linear in their number; from
        ``n_components`` on, the exact sum is used.
    {{hidden_layer_sizes..activation}}
        The penalty's gradient flows through the activation's derivative,
        which is piecewise constant for ``"relu"``; smooth activations
        (``"logistic"``, the original CAE's, or ``"tanh"``) let it also move
        the pre-activations into flat regions.
    {{loss..verbose}}

    Attributes
    ----------
    {{net_}}
    {{device_..n_iter_}}
    loss_curve_ : list of float
        Training loss (reconstruction plus penalty) per epoch; the parts are
        ``train_reconstruction`` and ``train_contractive`` (the weighted penalty) in
        ``history_``.
    {{validation_scores_..noise_scale_}}

    See Also
    --------
    AutoencoderTransformer : The same network without the penalty.
    DenoisingAE : Robustness to input perturbations learned from noise.

    References
    ----------
    .. [1] S. Rifai, P. Vincent, X. Muller, X. Glorot and Y. Bengio,
       "Contractive auto-encoders: explicit invariance during feature
       extraction", ICML 2011.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_ae import ContractiveAE
    >>> X, _ = load_digits(return_X_y=True)
    >>> X = X / 16
    >>> cae = ContractiveAE(n_components=5, hidden_layer_sizes=(64,), max_iter=3,
    ...                     random_state=0)
    >>> Z = cae.fit_transform(X)
    >>> Z.shape, cae.inverse_transform(Z).shape, cae.jacobian_norm(X).shape
    ((1797, 5), (1797, 64), (1797,))
    """

    _module_class = ContractiveAutoencoder

    _parameter_constraints: dict = {
        **AutoencoderTransformer._parameter_constraints,
        "contractive_weight": [Interval(Real, 0, None, closed="left")],
        "n_projections": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        n_components=2,
        *,
        architecture=None,
        contractive_weight=0.1,
        n_projections=1,
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
        self.contractive_weight = contractive_weight
        self.n_projections = n_projections

    def _module_params(self, X):
        # The closed form (None) for the MLP; projections for any other network.
        exact = isinstance(self._architecture(), MLP)
        return {
            **super()._module_params(X),
            "contractive_weight": self.contractive_weight,
            "n_projections": None if exact else self.n_projections,
        }

    def jacobian_norm(self, X, *, squared=True):
        """Frobenius norm of the encoder's Jacobian at each row of ``X``.

        Computed exactly, in float64 whatever ``X``'s dtype: by the closed
        form of the training penalty for the MLP, with one vector-Jacobian
        product per code unit for any other architecture.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Points at which to differentiate the encoder.
        squared : bool, default=True
            Return ``||J_f(x)||_F^2``, the quantity the penalty averages;
            ``False`` returns ``||J_f(x)||_F``.

        Returns
        -------
        norms : ndarray of shape (n_samples,), float64
        """
        X = self._check_X(X).astype(np.float64, copy=False)
        sq_norm = self._apply(
            lambda module, x: module.jacobian_sq_norm(x), X, batch_rows=_JACOBIAN_BATCH_ROWS
        )
        return sq_norm if squared else np.sqrt(sq_norm)
