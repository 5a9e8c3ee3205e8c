"""The variational autoencoder (Kingma & Welling, 2014) as a scikit-learn transformer."""

import warnings
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions

from ._base import BaseAutoencoder
from ._docstrings import fill_docstring
from ._lazy import is_lazy
from ._utils import pooled_mean, pooled_moments
from .callbacks import KLWarmup
from .nn._vae import LIKELIHOODS, VariationalAutoencoder, gaussian_kl

#: Seed of the importance-sampling noise of ``score_samples``. The same K
#: noise vectors serve every row and every call (common random numbers), so
#: the estimate is a deterministic, row-wise function of the data.
IWAE_SEED = 0

#: Threshold, on the variance over the data of a unit's posterior mean, above
#: which the unit counts as active (Burda et al., 2015).
ACTIVE_UNIT_THRESHOLD = 0.01

#: The learned Gaussian noise scale is kept above this fraction of the
#: training data's root-mean-square feature standard deviation.
NOISE_SCALE_FLOOR = 1e-3

# Elements of the (rows, K, n_features) tensors of one importance-sampling
# chunk: 2**22 float64 numbers are 32 MiB, a few of them live at once.
_IWAE_CHUNK_ELEMENTS = 2**22


def iwae_noise(n_samples, n_components):
    """The fixed standard normal draws ``eps`` of shape ``(K, m)`` used by ``score_samples``."""
    generator = torch.Generator().manual_seed(IWAE_SEED)
    return torch.randn((n_samples, n_components), generator=generator, dtype=torch.float64)


@fill_docstring
class VAETransformer(BaseAutoencoder):
    """Variational autoencoder as a scikit-learn transformer.

    The generative model is ``z ~ N(0, I)``, ``x | z ~ p(x | z)`` with the
    parameters of ``p(x | z)`` produced by an MLP decoder; an MLP encoder
    gives the approximate posterior
    ``q(z | x) = N(mu(x), diag sigma^2(x))``. Training maximises the
    beta-ELBO ``E_q[log p(x | z)] - beta * KL(q(z | x) || p(z))`` with the
    reparameterisation ``z = mu + sigma * eps`` and the KL in closed form,
    by skorch, with Adam.

    :meth:`transform` returns the posterior mean ``mu(x)``: the embedding is
    deterministic (sampled codes are for generation, see
    :meth:`sample_latent`). :meth:`inverse_transform` decodes codes to the
    likelihood mean ``E[x | z]``, :meth:`sample` decodes prior draws, and
    :meth:`score_samples` estimates ``log p(x)`` in nats, always with the
    plain (``beta = 1``) model, so that models trained with different
    ``beta``, ``n_components`` or architectures compare honestly, also with
    :class:`PPCA`.

    Parameters
    ----------
    n_components : int, default=2
        Dimension of the latent space.
    {{architecture}}
    beta : float, default=1.0
        Weight of the KL term in the training objective (beta-VAE). Larger
        values give smoother, less informative codes and blurrier
        reconstructions; smaller values the reverse. ``beta`` does not enter
        :meth:`score_samples`.
    kl_warmup : int, default=0
        Number of epochs over which the KL weight rises linearly from 0 to
        ``beta`` (see :class:`~sklearn_ae.callbacks.KLWarmup`), a remedy
        against posterior collapse. A :class:`UserWarning` is raised when
        ``kl_warmup >= max_iter``, since ``beta`` would never be reached.
    likelihood : {"gaussian", "gaussian_fixed", "bernoulli"}, default="gaussian"
        Decoder distribution ``p(x | z)``:

        - ``"gaussian"``: ``N(g(z), s^2 I)`` with one standard deviation
          ``s`` shared by all features (``noise_scale_``), learned by
          maximum likelihood: at every training step it is set to its
          optimal value given the decoder, the root mean squared error per
          feature of the batch (Rybkin et al., 2021), and the fitted model
          keeps a running average of it. It is kept above ``1e-3`` times the
          data's root-mean-square feature standard deviation (``1e-3`` for
          constant data), so the
          likelihood stays bounded (and training finite) on data a decoder
          can reproduce exactly. Scores are continuous densities, in the same
          units as :class:`PPCA`.
        - ``"gaussian_fixed"``: ``N(g(z), I)``, unit variance in the data's
          own units: the reconstruction term is half the squared error plus
          ``n_features / 2 * log(2 pi)``. Standardise the data first (e.g.
          ``StandardScaler``) so that unit variance means something. A fixed
          variance ``v`` is the same model with ``beta`` multiplied by ``v``
          (the ELBO is scaled by ``1 / v``, up to a constant).
        - ``"bernoulli"``: independent Bernoulli pixels with means ``g(z)``;
          the data must lie in [0, 1]. Scores are log-probabilities of binary
          data; for grey levels in (0, 1) they are not normalised densities
          and do not compare with the Gaussian ones.
    n_importance_samples : int, default=50
        Number ``K`` of importance samples of :meth:`score_samples`. The
        estimate rises towards ``log p(x)`` as ``K`` grows, at a cost linear
        in ``K``. On a 10-component model of MNIST digits, ``K = 50`` gains
        13 nats over ``K = 1`` (the ELBO) and stays 7 nats (2%) below
        ``K = 5000``: compare models at the same ``K``.
    {{hidden_layer_sizes}}
        ``()`` with ``activation="identity"`` gives a linear VAE, whose
        optimum is probabilistic PCA.
    {{activation}}
    {{alpha..max_iter}}
    tol : float, default=1e-4
        Training stops when the monitored loss (negative beta-ELBO, in nats
        per sample) has not improved by at least ``tol`` for
        ``n_iter_no_change`` consecutive epochs.
    {{early_stopping..device}}
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, shuffling, the reparameterisation noise
        and the validation split. The global torch RNG is left untouched.
    {{verbose}}

    Attributes
    ----------
    {{net_}}
    {{device_..n_iter_}}
    loss_curve_ : list of float
        Negative beta-ELBO per epoch (nats per sample, at the target
        ``beta`` even during a warm-up, single-sample estimate).
    reconstruction_curve_ : list of float
        Mean ``-E_q[log p(x | z)]`` per epoch, nats per sample.
    kl_curve_ : list of float
        Mean ``KL(q(z | x) || p(z))`` per epoch, nats per sample.
    {{validation_scores_..best_validation_score_}}
    kl_per_unit_ : ndarray of shape (n_components,)
        Mean KL of each latent unit over the training data, in nats. A unit
        near 0 carries no information (posterior collapse).
    active_units_ : int
        Number of active latent units: units whose posterior mean varies
        across the training data with variance above 0.01 (the criterion of
        Burda et al., 2015; the prior has unit variance). When it is 0, the
        posterior has collapsed onto the prior and ``fit`` warns.
    noise_scale_ : float or None
        Standard deviation of the Gaussian likelihood: learned for
        ``"gaussian"``, 1.0 for ``"gaussian_fixed"``, None for
        ``"bernoulli"``.

    See Also
    --------
    ConditionalVAE : The same model conditioned on a class label.
    PPCA : Probabilistic PCA, the linear Gaussian model with an exact likelihood.
    AutoencoderTransformer : The deterministic autoencoder.

    Notes
    -----
    The encoder's log-variance is softly clamped to [-16, 8] (standard
    deviations from about 3e-4 to 55), which rules out the overflows that
    turn VAE losses into NaN.

    :meth:`score_samples` uses the importance-weighted estimate of Burda et
    al. (2015), ``log 1/K sum_k p(x | z_k) p(z_k) / q(z_k | x)``, with
    ``z_k = mu(x) + sigma(x) * eps_k``. The ``K`` noise vectors ``eps_k``
    are drawn once from a fixed seed and reused for every row (common random
    numbers): the score of a row depends on that row only, repeats exactly,
    and differences between models are not blurred by sampling noise. In
    expectation it is a lower bound of ``log p(x)`` that tightens as ``K``
    grows (``K = 1`` is the ELBO). Rows are processed in chunks, so memory
    stays bounded whatever the number of rows.

    References
    ----------
    .. [1] D. P. Kingma and M. Welling, "Auto-Encoding Variational Bayes",
       ICLR, 2014.
    .. [2] Y. Burda, R. Grosse and R. Salakhutdinov, "Importance Weighted
       Autoencoders", ICLR, 2016.
    .. [3] I. Higgins et al., "beta-VAE: Learning Basic Visual Concepts with
       a Constrained Variational Framework", ICLR, 2017.
    .. [4] J. Lucas, G. Tucker, R. Grosse and M. Norouzi, "Don't Blame the
       ELBO! A Linear VAE Perspective on Posterior Collapse", NeurIPS, 2019.
    .. [5] O. Rybkin, K. Daniilidis and S. Levine, "Simple and Effective VAE
       Training with Calibrated Decoders", ICML, 2021.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_ae import VAETransformer
    >>> X, _ = load_digits(return_X_y=True)
    >>> X = X / 16
    >>> vae = VAETransformer(n_components=4, max_iter=3, random_state=0)
    >>> Z = vae.fit_transform(X)
    >>> Z.shape, vae.inverse_transform(Z).shape, vae.sample(5, random_state=0).shape
    ((1797, 4), (1797, 64), (5, 64))
    >>> mean, std = vae.posterior(X[:10])
    >>> mean.shape, std.shape, vae.score_samples(X[:10]).shape, vae.kl_per_unit_.shape
    ((10, 4), (10, 4), (10,), (4,))
    """

    _module_class = VariationalAutoencoder
    _n_heads = 2

    _parameter_constraints: dict = {
        **BaseAutoencoder._parameter_constraints,
        "beta": [Interval(Real, 0, None, closed="left")],
        "kl_warmup": [Interval(Integral, 0, None, closed="left")],
        "likelihood": [StrOptions(set(LIKELIHOODS))],
        "n_importance_samples": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        n_components=2,
        *,
        architecture=None,
        beta=1.0,
        kl_warmup=0,
        likelihood="gaussian",
        n_importance_samples=50,
        hidden_layer_sizes=(256, 64),
        activation="relu",
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
        self.beta = beta
        self.kl_warmup = kl_warmup
        self.likelihood = likelihood
        self.n_importance_samples = n_importance_samples

    # ------------------------------------------------------------------ hooks
    def _check_likelihood_support(self, X, likelihood):
        if likelihood == "bernoulli" and X.size and (X.min() < 0 or X.max() > 1):
            what = "Negative values in data" if X.min() < 0 else "Values above 1 in data"
            raise ValueError(
                f"{what} passed to {type(self).__name__}: likelihood='bernoulli' needs "
                f"data in [0, 1], got values in [{X.min():g}, {X.max():g}]. Scale with "
                "MinMaxScaler or use likelihood='gaussian'."
            )

    def _validate_training_data(self, X, y, reset=True):
        X, y = super()._validate_training_data(X, y, reset=reset)
        self._check_likelihood_support(X, self.likelihood)
        return X, y

    @property
    def _fitted_likelihood(self):
        # Read from the fitted model: set_params(likelihood=...) after fit
        # must not change what the fitted model scores.
        return "bernoulli" if self.noise_scale_ is None else "gaussian"

    def _fit_data_statistics(self, X, y):
        # Each feature's mean and variance, pooled over chunks of rows: the
        # scale of the data, which starts and floors the learned noise.
        self._feature_moments_ = (X.mean(axis=0, dtype=np.float64), X.var(axis=0, dtype=np.float64))
        return super()._fit_data_statistics(X, y)

    def _update_data_statistics(self, X, y):
        self._feature_moments_ = pooled_moments(
            *self._feature_moments_,
            self.n_samples_seen_,
            X.mean(axis=0, dtype=np.float64),
            X.var(axis=0, dtype=np.float64),
            len(X),
        )
        return super()._update_data_statistics(X, y)

    def _module_params(self, X):
        # Root-mean-square feature standard deviation.
        variance = float(np.mean(self._feature_moments_[1]))
        if not variance < float(np.finfo(np.float32).max):
            # The likelihood's variance lives in a float32 buffer.
            raise ValueError(
                f"{type(self).__name__} trains in float32, but the data's mean feature "
                f"variance ({variance:g}) is beyond float32's range. Scale the data first, "
                "for example with StandardScaler or MinMaxScaler."
            )
        scale = np.sqrt(variance) if variance > 0 else 1.0
        return {
            **super()._module_params(X),
            "likelihood": self.likelihood,
            "beta": self.beta,
            "noise_scale_floor": NOISE_SCALE_FLOOR * scale,
            "noise_scale_init": scale,
        }

    def _fit_extra_callbacks(self):
        if self.kl_warmup > 0:
            return [("kl_warmup", KLWarmup(self.kl_warmup))]
        return []

    def _network_parts(self, network):
        return (network.body, *network.heads, network.decoder)

    def _fit_model_statistics(self, X, y):
        self.reconstruction_curve_ = [float(e["train_reconstruction"]) for e in self.history_]
        self.kl_curve_ = [float(e["train_kl"]) for e in self.history_]
        mean, logvar = self._posterior_parameters(X.astype(np.float64, copy=False))
        self.kl_per_unit_ = self._kl_per_unit(mean, logvar, y)
        # Kept for pooling over chunks of rows.
        self._posterior_mean_moments_ = (mean.mean(axis=0), np.var(mean, axis=0))
        self._set_active_units()
        if self.likelihood == "bernoulli":
            self.noise_scale_ = None
        else:
            self.noise_scale_ = self._module.noise_scale()

    def _check_fitted_model(self):
        if self.active_units_ == 0 and self.n_samples_seen_ > 1:
            warnings.warn(
                f"{type(self).__name__}: posterior collapse, no latent unit is active (the "
                f"posterior mean varies by less than {ACTIVE_UNIT_THRESHOLD} across the "
                f"training data; mean KL {float(np.sum(self.kl_per_unit_)):.3g} nats). The "
                "codes carry almost no information: lower beta, set kl_warmup or train "
                "longer.",
                UserWarning,
                stacklevel=5,
            )

    def _set_active_units(self):
        variance = self._posterior_mean_moments_[1]
        self.active_units_ = int(np.sum(variance > ACTIVE_UNIT_THRESHOLD))

    def _pool_model_statistics(self, previous, n_previous, n_new):
        self.kl_per_unit_ = pooled_mean(
            previous["kl_per_unit_"], self.kl_per_unit_, n_previous, n_new
        )
        self._posterior_mean_moments_ = pooled_moments(
            *previous["_posterior_mean_moments_"], n_previous, *self._posterior_mean_moments_, n_new
        )
        self._set_active_units()

    def _kl_per_unit(self, mean, logvar, y):
        kl = gaussian_kl(torch.from_numpy(mean), torch.from_numpy(logvar))
        return kl.mean(dim=0).numpy()

    def _posterior_parameters(self, X):
        """Posterior means and log-variances of validated ``X``."""

        def posterior(module, x):
            mean, logvar = module.posterior(x)
            return {"mean": mean, "logvar": logvar}

        out = self._apply(posterior, X)
        return out["mean"], out["logvar"]

    def _sample_codes(self, n_samples, rng):
        return rng.standard_normal((n_samples, self.n_components_))

    # --------------------------------------------------------------- inference
    def posterior(self, X):
        """Parameters of the approximate posterior ``q(z | x) = N(mean, diag std**2)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or lazy source
            Data; a lazy source is read block by block.

        Returns
        -------
        mean : ndarray of shape (n_samples, n_components)
            Posterior means, the same as :meth:`transform`.
        std : ndarray of shape (n_samples, n_components)
            Posterior standard deviations.
        """
        if is_lazy(X):
            return self._by_block(lambda rows, _: self.posterior(rows), X)
        X = self._check_X(X)
        mean, logvar = self._posterior_parameters(X)
        return mean, np.exp(0.5 * logvar)

    def sample_latent(self, X, random_state=None):
        """Draw one code per row from ``q(z | x)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data.
        random_state : int, RandomState instance or None, default=None
            Seed of the draws; ``None`` uses NumPy's global random state.

        Returns
        -------
        Z : ndarray of shape (n_samples, n_components)
            Posterior draws ``mean + std * eps``.
        """
        mean, std = self.posterior(X)
        rng = check_random_state(random_state)
        eps = rng.standard_normal(mean.shape)
        return (mean + std * eps).astype(mean.dtype, copy=False)

    def score_samples(self, X):
        """Importance-weighted estimate of the log-likelihood ``log p(x)`` of each sample.

        Computed with ``K = n_importance_samples`` importance samples from
        ``q(z | x)`` and ``beta = 1`` whatever ``beta`` was used in training
        (see Notes). Deterministic and row-wise: the same noise serves every
        row and every call.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or lazy source
            Data to score; a lazy source is read block by block.

        Returns
        -------
        log_likelihood : ndarray of shape (n_samples,)
            Estimated ``log p(x)``, in nats per sample.
        """
        if is_lazy(X):
            return self._by_block(lambda rows, _: self.score_samples(rows), X)
        return self._score_inputs({"x": self._check_X(X)})

    def _score_inputs(self, inputs):
        """Importance-weighted scores of the rows of ``inputs`` (``x``, and labels ``y``)."""
        self._check_likelihood_support(inputs["x"], self._fitted_likelihood)
        eps = iwae_noise(self.n_importance_samples, self.n_components_)

        def score(module, x, y=None):
            e = eps.to(device=x.device, dtype=x.dtype)
            return module.score_samples(x, y, eps=e, max_elements=_IWAE_CHUNK_ELEMENTS)

        # Rows in chunks sized for n_importance_samples decoder passes per row;
        # max_elements splits the K samples when even one row would exceed it.
        per_row = self.n_importance_samples * (self.n_features_in_ + self.n_components_)
        return self._apply(score, inputs, batch_rows=max(1, _IWAE_CHUNK_ELEMENTS // per_row))

    def score(self, X, y=None):
        """Mean estimated log-likelihood, in nats per sample (see :meth:`score_samples`).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data to score.
        y : None
            Ignored; present for API consistency.

        Returns
        -------
        score : float
        """
        return super().score(X, y)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        if self.likelihood == "bernoulli":
            tags.input_tags.positive_only = True
        return tags
