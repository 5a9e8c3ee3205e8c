"""The sparse autoencoder."""

from numbers import Real

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions

from ._autoencoder import AutoencoderTransformer
from ._docstrings import fill_docstring
from ._utils import pooled_mean
from .nn._regularised import SPARSITIES, SparseAutoencoder

#: A code entry counts as zero in ``code_zero_fraction_`` when its magnitude
#: is at most this fraction of the largest magnitude in the training codes.
ZERO_TOLERANCE = 1e-2


@fill_docstring
class SparseAE(AutoencoderTransformer):
    """Sparse autoencoder: a penalty keeps most code units near zero.

    Sparsity is a bottleneck of its own, so the code may be as wide as the
    input or wider (``n_components`` is not capped by ``n_features``).

    - ``sparsity="l1"`` adds ``sparsity_weight * mean_batch sum_j |z_j|`` to
      the loss, on a linear code.
    - ``sparsity="kl"`` makes the code ``sigmoid`` units, so :meth:`transform`
      returns values in (0, 1), and adds
      ``sparsity_weight * sum_j KL(rho || rho_hat_j)``, where ``rho`` is
      ``sparsity_target`` and ``rho_hat_j`` unit ``j``'s mean activation
      over the mini-batch.

    Parameters
    ----------
    n_components : int, default=2
        Width of the code; may exceed the number of features.
    {{architecture}}
    sparsity : {"l1", "kl"}, default="l1"
        Form of the sparsity penalty, see above.
    sparsity_weight : float, default=1e-3
        Weight of the penalty (``lambda`` for L1, ``beta`` for KL).
    sparsity_target : float, default=0.05
        Target mean activation ``rho`` of each code unit, in (0, 1); used by
        the KL form only.
    {{hidden_layer_sizes..alpha}}
        With the L1 form it also keeps the decoder from growing without bound
        to shrink the code.
    {{batch_size}}
        The KL form estimates ``rho_hat`` per mini-batch, so very small
        batches make it noisy.
    {{learning_rate_init..verbose}}

    Attributes
    ----------
    {{net_}}
    {{device_..n_iter_}}
    loss_curve_ : list of float
        Training loss (reconstruction plus penalty) per epoch; the parts are
        ``train_reconstruction`` and ``train_sparsity`` (the weighted penalty) in
        ``history_``.
    {{validation_scores_..best_validation_score_}}
    code_mean_activation_ : ndarray of shape (n_components,)
        Mean activation of each code unit on the training data: ``mean |z_j|``
        for the L1 form, ``mean z_j`` (to compare with ``sparsity_target``)
        for the KL form.
    code_zero_fraction_ : float
        Fraction of the training code entries that are near zero: magnitude
        at most ``1e-2`` times the largest magnitude among all training code
        entries. Relative, so that shrinking the whole code (which the L1
        penalty also rewards) does not count as sparsity.
    {{latent_mean_..noise_scale_}}

    See Also
    --------
    AutoencoderTransformer : The same network without the penalty.
    sklearn.decomposition.DictionaryLearning : Sparse linear codes.

    References
    ----------
    .. [1] A. Ng, "Sparse autoencoder", CS294A lecture notes, Stanford, 2011.
    .. [2] I. Goodfellow, Y. Bengio and A. Courville, "Deep Learning", MIT
       Press, 2016, section 14.2.1.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_ae import SparseAE
    >>> X, _ = load_digits(return_X_y=True)
    >>> X = X / 16
    >>> sae = SparseAE(n_components=128, sparsity="kl", hidden_layer_sizes=(64,),
    ...                max_iter=3, random_state=0)
    >>> Z = sae.fit_transform(X)
    >>> Z.shape, sae.inverse_transform(Z).shape, sae.code_mean_activation_.shape
    ((1797, 128), (1797, 64), (128,))
    """

    _module_class = SparseAutoencoder

    _parameter_constraints: dict = {
        **AutoencoderTransformer._parameter_constraints,
        "sparsity": [StrOptions(set(SPARSITIES))],
        "sparsity_weight": [Interval(Real, 0, None, closed="left")],
        "sparsity_target": [Interval(Real, 0, 1, closed="neither")],
    }

    def __init__(
        self,
        n_components=2,
        *,
        architecture=None,
        sparsity="l1",
        sparsity_weight=1e-3,
        sparsity_target=0.05,
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
        self.sparsity = sparsity
        self.sparsity_weight = sparsity_weight
        self.sparsity_target = sparsity_target

    def _module_params(self, X):
        return {
            **super()._module_params(X),
            "sparsity": self.sparsity,
            "sparsity_weight": self.sparsity_weight,
            "sparsity_target": self.sparsity_target,
        }

    def _pool_model_statistics(self, previous, n_previous, n_new):
        super()._pool_model_statistics(previous, n_previous, n_new)
        for name in ("code_mean_activation_", "code_zero_fraction_"):
            setattr(self, name, pooled_mean(previous[name], getattr(self, name), n_previous, n_new))

    def _fit_code_statistics(self, codes):
        super()._fit_code_statistics(codes)
        magnitude = np.abs(codes)
        self.code_mean_activation_ = magnitude.mean(axis=0)
        scale = magnitude.max() if magnitude.size else 0.0
        self.code_zero_fraction_ = float(np.mean(magnitude <= ZERO_TOLERANCE * scale))
