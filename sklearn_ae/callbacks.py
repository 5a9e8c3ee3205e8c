"""Training-time schedules, as skorch callbacks.

They act on the torch module that the net trains (``net.module_``) and record
what they set in ``net.history``, so a fitted estimator shows the schedule it
was trained with (the estimator's ``history_``).
"""

import warnings
from numbers import Integral

from skorch.callbacks import Callback

__all__ = ["KLWarmup"]


class KLWarmup(Callback):
    """Linear KL warm-up: the KL weight rises from 0 to ``beta`` over ``n_epochs``.

    At the start of epoch ``e`` (counted from 1) it sets the module's
    ``kl_weight`` to ``beta * min(1, (e - 1) / n_epochs)``: 0 in the first
    epoch, the full ``beta`` from epoch ``n_epochs + 1`` on, so a fit needs
    more than ``n_epochs`` epochs to reach it. ``beta`` is read from the
    module's ``beta`` attribute. The weight used is recorded as
    ``history[:, "kl_weight"]``.

    Weighting the KL term down early lets the decoder learn to use the code
    before the KL term can push every posterior onto the prior, a common
    cause of posterior collapse (Bowman et al., 2016).

    The module is expected to report its loss at the target ``beta`` (as
    :class:`~sklearn_ae.nn.VariationalAutoencoder` does) so that early
    stopping compares epochs on one objective. A :class:`UserWarning` is
    raised at the start of training when ``n_epochs >= max_epochs`` (the
    weight would never reach ``beta``) and at the end when early stopping
    ended training inside the warm-up; the module's ``kl_weight`` is reset to
    ``beta`` at the end of training either way.

    Parameters
    ----------
    n_epochs : int
        Length of the warm-up, in epochs (0 disables it).

    References
    ----------
    .. [1] S. R. Bowman, L. Vilnis, O. Vinyals, A. M. Dai, R. Jozefowicz and
       S. Bengio, "Generating Sentences from a Continuous Space", CoNLL, 2016.
    .. [2] C. K. Sønderby, T. Raiko, L. Maaløe, S. K. Sønderby and O. Winther,
       "Ladder Variational Autoencoders", NeurIPS, 2016.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_ae import VAETransformer
    >>> X, _ = load_digits(return_X_y=True)
    >>> vae = VAETransformer(kl_warmup=2, max_iter=3, random_state=0).fit(X / 16)
    >>> [round(epoch["kl_weight"], 2) for epoch in vae.history_]
    [0.0, 0.5, 1.0]
    """

    def __init__(self, n_epochs):
        self.n_epochs = n_epochs

    def initialize(self):
        if not isinstance(self.n_epochs, Integral) or self.n_epochs < 0:
            raise ValueError(f"n_epochs must be a non-negative integer, got {self.n_epochs!r}.")
        return self

    def weight(self, epoch, beta):
        """The KL weight of epoch ``epoch`` (counted from 1) for a target ``beta``."""
        if self.n_epochs == 0:
            return float(beta)
        return float(beta) * min(1.0, (epoch - 1) / self.n_epochs)

    def on_train_begin(self, net, **kwargs):
        max_epochs = getattr(net, "max_epochs", None)
        if self.n_epochs > 0 and max_epochs is not None and self.n_epochs >= max_epochs:
            warnings.warn(
                f"The KL warm-up lasts {self.n_epochs} epochs but training runs at most "
                f"{max_epochs}: the KL weight never reaches beta, so the model is "
                "trained on a smaller KL weight than asked for. Raise max_iter above "
                "kl_warmup or shorten the warm-up.",
                UserWarning,
                stacklevel=2,
            )

    def on_epoch_begin(self, net, **kwargs):
        module = net.module_
        # skorch opens the epoch's history row before the callbacks run.
        weight = self.weight(len(net.history), module.beta)
        module.kl_weight = weight
        net.history.record("kl_weight", weight)

    def on_train_end(self, net, **kwargs):
        module = net.module_
        epochs = len(net.history)
        max_epochs = getattr(net, "max_epochs", None)
        # Stopping early (not at max_epochs, already warned about) inside the warm-up.
        stopped_early = max_epochs is None or epochs < max_epochs
        if 0 < epochs <= self.n_epochs and stopped_early and module.beta > 0:
            warnings.warn(
                f"Training stopped after {epochs} epoch(s), within the KL warm-up of "
                f"{self.n_epochs} epochs: the KL weight reached "
                f"{self.weight(epochs, module.beta):g} of beta={module.beta:g}. Raise "
                "n_iter_no_change or shorten the warm-up.",
                UserWarning,
                stacklevel=2,
            )
        module.kl_weight = module.beta
