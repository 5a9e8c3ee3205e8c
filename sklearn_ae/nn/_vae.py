"""Variational autoencoders: Gaussian encoder, reparameterised code, three likelihoods.

Everything is in nats per sample: the reconstruction term is the negative
log-likelihood summed over features, the KL term is summed over latent units.
"""

import math

import torch
from torch import nn
from torch.nn import functional as F

from ._layers import make_mlp

#: Decoder likelihoods ``p(x | z)`` understood by the variational modules.
LIKELIHOODS = ("gaussian", "gaussian_fixed", "bernoulli")

# Range of the encoder's log-variance. The upper end (variance e^8, about 3000
# prior variances) is never wanted and keeps exp() far from overflow; the lower
# end (standard deviation e^-8, about 3e-4) is below what any posterior of
# scaled data needs yet keeps z = mean + std * eps resolvable in float32.
LOGVAR_MIN, LOGVAR_MAX = -16.0, 8.0

_LOG_2PI = math.log(2 * math.pi)


def soft_clamp(x, low, high):
    """``x`` squashed into ``(low, high)``: the identity well inside, smooth at the edges.

    A hard ``clamp`` has zero gradient outside the range, so a unit pushed past
    a bound could never come back; softplus edges always pass some gradient.
    """
    x = high - F.softplus(high - x)
    return low + F.softplus(x - low)


def gaussian_kl(mean, logvar, prior_mean=None):
    """Per-unit ``KL(N(mean, exp(logvar)) || N(prior_mean, 1))``, elementwise, in nats.

    ``prior_mean=None`` is the standard normal prior; the closed form is
    ``0.5 * ((mean - prior_mean)**2 + exp(logvar) - logvar - 1)``.
    """
    diff = mean if prior_mean is None else mean - prior_mean
    return 0.5 * (diff.square() + logvar.exp() - logvar - 1.0)


def _log_weights_in_chunks(log_weights, x, eps, max_elements):
    """``log_weights(eps)`` computed over slices of ``eps`` and concatenated on axis 1.

    Each slice keeps ``len(x) * k * (n_features + n_components)`` below
    ``max_elements``, so memory is bounded whatever the number of samples K.
    """
    if max_elements is None:
        return log_weights(eps)
    step = max(1, max_elements // (len(x) * (x.shape[1] + eps.shape[1])))
    return torch.cat([log_weights(eps[i : i + step]) for i in range(0, len(eps), step)], dim=1)


def _log_mean_exp(log_w):
    return torch.logsumexp(log_w, dim=1) - math.log(log_w.shape[1])


class VariationalAutoencoder(nn.Module):
    """VAE with a diagonal Gaussian encoder and a standard normal prior.

    ``q(z | x) = N(mean(x), diag exp(logvar(x)))`` with two linear heads on a
    shared MLP body (the log-variance softly clamped to
    ``[LOGVAR_MIN, LOGVAR_MAX]``), ``p(z) = N(0, I)``, and a mirrored MLP
    decoder whose output parameterises ``p(x | z)``:

    - ``"gaussian"``: ``N(g(z), s^2 I)`` with one variance ``s^2`` shared
      by all features. At each training step ``s^2`` takes its
      maximum-likelihood value given the decoder, the batch's mean squared
      error per feature (the "optimal sigma" of Rybkin et al., 2021), floored
      at ``noise_scale_floor^2`` so the likelihood stays bounded; a running
      average of it (the buffer ``noise_var``) is the variance of the fitted
      model. A variance learned by gradient steps moves by about one
      learning rate per step in log scale, far too slowly to follow a
      decoder whose error falls by orders of magnitude;
    - ``"gaussian_fixed"``: ``N(g(z), I)``, i.e. half the squared error plus
      a constant;
    - ``"bernoulli"``: independent Bernoulli variables with logits ``g(z)``.

    Training minimises the negative beta-ELBO per sample,
    ``-E_q[log p(x | z)] + beta * KL(q(z | x) || p(z))``, with one
    reparameterised draw ``z = mean + std * eps``. ``kl_weight`` is the weight
    the *gradient* uses; a warm-up schedule lowers it during the first
    epochs. The *reported* loss always uses the target ``beta``, so that
    losses of different epochs (and early stopping) compare like with like.

    Parameters
    ----------
    n_features : int
        Input width.
    n_components : int
        Latent width.
    hidden_layer_sizes : sequence of int, default=()
        Encoder hidden widths; the decoder uses them in reverse.
    activation : str, default="relu"
        Hidden activation, see :data:`sklearn_ae.nn.ACTIVATIONS`.
    likelihood : {"gaussian", "gaussian_fixed", "bernoulli"}, default="gaussian"
        Decoder likelihood.
    beta : float, default=1.0
        Target weight of the KL term.
    noise_scale_floor : float, default=1e-3
        Smallest standard deviation of the ``"gaussian"`` likelihood.
    noise_scale_init : float, default=1.0
        Initial standard deviation of the ``"gaussian"`` likelihood (before
        the first training step).
    n_conditions : int, default=0
        Width of a condition vector appended to the decoder's input (used by
        :class:`ConditionalVariationalAutoencoder`).

    Examples
    --------
    >>> import torch
    >>> from sklearn_ae.nn import VariationalAutoencoder
    >>> vae = VariationalAutoencoder(n_features=6, n_components=2, hidden_layer_sizes=(4,))
    >>> out = vae(torch.zeros(3, 6))
    >>> tuple(out["z"].shape), tuple(vae.decode(out["mean"]).shape)
    ((3, 2), (3, 6))
    >>> sorted(vae.loss(out, torch.zeros(3, 6)))
    ['kl', 'loss', 'reconstruction']
    """

    #: names of the loss entries, besides ``"loss"``, that training logs.
    loss_terms = ("reconstruction", "kl")

    def __init__(
        self,
        n_features,
        n_components,
        hidden_layer_sizes=(),
        activation="relu",
        likelihood="gaussian",
        beta=1.0,
        noise_scale_floor=1e-3,
        noise_scale_init=1.0,
        n_conditions=0,
    ):
        super().__init__()
        if likelihood not in LIKELIHOODS:
            raise ValueError(f"likelihood must be one of {LIKELIHOODS}, got {likelihood!r}.")
        hidden = list(hidden_layer_sizes)
        self.likelihood = likelihood
        self.n_features = n_features
        self.beta = float(beta)
        self.kl_weight = float(beta)
        # With no hidden layer the body is the identity and both heads are linear.
        self.body = make_mlp([n_features, *hidden], activation, activate_last=True)
        width = hidden[-1] if hidden else n_features
        self.mean_head = nn.Linear(width, n_components)
        self.logvar_head = nn.Linear(width, n_components)
        self.decoder = make_mlp(
            [n_components + n_conditions, *hidden[::-1], n_features], activation
        )
        if likelihood == "gaussian":
            self.noise_floor_var = float(noise_scale_floor) ** 2
            init_var = max(float(noise_scale_init) ** 2, self.noise_floor_var)
            self.register_buffer("noise_var", torch.tensor(init_var))

    # ------------------------------------------------------------- encoder
    def posterior(self, x):
        """Mean and log-variance of ``q(z | x)``, each of shape ``(n, n_components)``."""
        h = self.body(x)
        logvar = soft_clamp(self.logvar_head(h), LOGVAR_MIN, LOGVAR_MAX)
        return self.mean_head(h), logvar

    def encode(self, x):
        """The posterior mean: the deterministic code of ``x``."""
        return self.posterior(x)[0]

    # ------------------------------------------------------------- decoder
    #: weight of the newest batch in the running average of the noise variance.
    noise_momentum = 0.1

    def noise_scale(self):
        """Standard deviation of the Gaussian likelihoods, as a float."""
        if self.likelihood == "gaussian":
            return math.sqrt(float(self.noise_var))
        return 1.0

    def _noise_variance(self, sq):
        """The variance the likelihood uses, from the squared errors ``sq`` of a batch.

        In training, the batch's maximum-likelihood value (the running average
        is updated with it); in evaluation, the running average.
        """
        if not self.training:
            return self.noise_var.to(sq.dtype)
        mse = sq.detach().mean() / self.n_features
        var = mse.clamp(min=self.noise_floor_var)
        with torch.no_grad():
            self.noise_var.lerp_(var.to(self.noise_var.dtype), self.noise_momentum)
        return var

    def likelihood_mean(self, out):
        """``E[x | z]`` from the decoder's raw output (logits for Bernoulli)."""
        return torch.sigmoid(out) if self.likelihood == "bernoulli" else out

    def decode(self, z):
        """``E[x | z]``, the likelihood mean, in data space."""
        return self.likelihood_mean(self.decoder(z))

    def log_likelihood(self, out, x):
        """``log p(x | z)`` summed over features; ``out`` and ``x`` broadcast."""
        if self.likelihood == "bernoulli":
            out, x = torch.broadcast_tensors(out, x)
            return -F.binary_cross_entropy_with_logits(out, x, reduction="none").sum(-1)
        sq = (x - out).square().sum(-1)
        if self.likelihood == "gaussian_fixed":
            return -0.5 * (sq + self.n_features * _LOG_2PI)
        var = self._noise_variance(sq)
        return -0.5 * (sq / var + self.n_features * (torch.log(var) + _LOG_2PI))

    # ------------------------------------------------------------ training
    def forward(self, x):
        mean, logvar = self.posterior(x)
        z = mean + torch.exp(0.5 * logvar) * torch.randn_like(mean)
        return {"mean": mean, "logvar": logvar, "z": z, "out": self.decoder(z)}

    def _elbo_loss(self, reconstruction, kl):
        # The gradient sees kl_weight (lowered during a warm-up); the value
        # reported is the loss at the target beta.
        loss = reconstruction + self.kl_weight * kl + (self.beta - self.kl_weight) * kl.detach()
        return {"loss": loss.mean(), "reconstruction": reconstruction.mean(), "kl": kl.mean()}

    def loss(self, outputs, x):
        """Negative beta-ELBO per sample, with its two parts, averaged over the batch."""
        reconstruction = -self.log_likelihood(outputs["out"], x)
        kl = gaussian_kl(outputs["mean"], outputs["logvar"]).sum(-1)
        return self._elbo_loss(reconstruction, kl)

    # ----------------------------------------------------------- inference
    def _draws(self, x, eps):
        """Posterior draws for fixed noise ``eps`` of shape ``(K, m)``: ``z`` and ``log q``."""
        mean, logvar = self.posterior(x)
        z = mean[:, None, :] + torch.exp(0.5 * logvar)[:, None, :] * eps
        log_q = -0.5 * (eps.square() + logvar[:, None, :] + _LOG_2PI).sum(-1)
        return z, log_q

    def log_importance_weights(self, x, eps):
        """``log p(x | z_k) + log p(z_k) - log q(z_k | x)``, shape ``(n, K)``.

        ``z_k = mean(x) + std(x) * eps[k]``: the same ``eps`` for every row
        (common random numbers), so each row's weights depend on that row only.
        """
        z, log_q = self._draws(x, eps)
        log_prior = -0.5 * (z.square() + _LOG_2PI).sum(-1)
        return self.log_likelihood(self.decoder(z), x[:, None, :]) + log_prior - log_q

    def score_samples(self, x, eps, max_elements=None):
        """Importance-weighted estimate of ``log p(x)`` (Burda et al.) with ``K = len(eps)``.

        ``max_elements`` bounds the size of the intermediate tensors by
        processing the K samples in slices; the result does not depend on it.
        """
        log_w = _log_weights_in_chunks(
            lambda e: self.log_importance_weights(x, e), x, eps, max_elements
        )
        return _log_mean_exp(log_w)


class ConditionalVariationalAutoencoder(VariationalAutoencoder):
    """Conditional VAE: label-blind encoder, class-conditional prior and decoder.

    ``q(z | x)`` does not see the label; the prior is
    ``p(z | c) = N(m_c, I)`` with one learned mean per class (centred, since a
    common shift of every ``m_c`` and of the codes changes nothing); the
    decoder ``p(x | z, c)`` receives ``z`` and the one-hot label. Training
    inputs are ``{"x": X, "y": one_hot}``.

    Parameters
    ----------
    n_classes : int
        Number of classes (width of the one-hot label).
    **kwargs
        Those of :class:`VariationalAutoencoder`, ``n_conditions`` excepted.

    Examples
    --------
    >>> import torch
    >>> from sklearn_ae.nn import ConditionalVariationalAutoencoder
    >>> cvae = ConditionalVariationalAutoencoder(6, 2, n_classes=3)
    >>> y = torch.eye(3)[[0, 2]]
    >>> out = cvae(torch.zeros(2, 6), y)
    >>> tuple(out["out"].shape), tuple(cvae.prior_means().shape)
    ((2, 6), (3, 2))
    """

    def __init__(
        self,
        n_features,
        n_components,
        hidden_layer_sizes=(),
        activation="relu",
        likelihood="gaussian",
        beta=1.0,
        noise_scale_floor=1e-3,
        noise_scale_init=1.0,
        *,
        n_classes,
    ):
        super().__init__(
            n_features,
            n_components,
            hidden_layer_sizes,
            activation,
            likelihood,
            beta,
            noise_scale_floor,
            noise_scale_init,
            n_conditions=n_classes,
        )
        self.n_classes = n_classes
        self.prior_raw = nn.Parameter(torch.zeros(n_classes, n_components))

    def prior_means(self):
        """Means ``m_c`` of ``p(z | c)``, shape ``(n_classes, n_components)``."""
        return self.prior_raw - self.prior_raw.mean(dim=0)

    def decode(self, z, y):
        """``E[x | z, c]`` for one-hot labels ``y``."""
        return self.likelihood_mean(self.decoder(torch.cat([z, y], dim=-1)))

    def decode_marginal(self, z, log_class_prior):
        """``E[x | z] = sum_c p(c | z) E[x | z, c]`` with ``p(c | z) ∝ p(c) p(z | c)``."""
        means = self.prior_means().to(z.dtype)
        log_post = log_class_prior - 0.5 * (z[:, None, :] - means).square().sum(-1)
        weights = torch.softmax(log_post, dim=1)
        eye = torch.eye(self.n_classes, dtype=z.dtype, device=z.device)
        out = 0
        for c in range(self.n_classes):
            onehot = eye[c].expand(len(z), -1)
            out = out + weights[:, c : c + 1] * self.decode(z, onehot)
        return out

    def forward(self, x, y):
        mean, logvar = self.posterior(x)
        z = mean + torch.exp(0.5 * logvar) * torch.randn_like(mean)
        out = self.decoder(torch.cat([z, y], dim=-1))
        return {"mean": mean, "logvar": logvar, "z": z, "out": out}

    def loss(self, outputs, inputs):
        x, y = inputs["x"], inputs["y"]
        reconstruction = -self.log_likelihood(outputs["out"], x)
        prior_mean = y @ self.prior_means()
        kl = gaussian_kl(outputs["mean"], outputs["logvar"], prior_mean).sum(-1)
        return self._elbo_loss(reconstruction, kl)

    def log_importance_weights(self, x, eps, y):
        """Log weights of ``p(x, z | c) / q(z | x)`` for one-hot ``y``, shape ``(n, K)``."""
        z, log_q = self._draws(x, eps)
        prior_mean = (y @ self.prior_means().to(x.dtype))[:, None, :]
        log_prior = -0.5 * ((z - prior_mean).square() + _LOG_2PI).sum(-1)
        y_k = y[:, None, :].expand(-1, z.shape[1], -1)
        out = self.decoder(torch.cat([z, y_k], dim=-1))
        return self.log_likelihood(out, x[:, None, :]) + log_prior - log_q

    def score_samples(self, x, eps, y, max_elements=None):
        """Importance-weighted estimate of ``log p(x | c)`` for one-hot ``y``."""
        log_w = _log_weights_in_chunks(
            lambda e: self.log_importance_weights(x, e, y), x, eps, max_elements
        )
        return _log_mean_exp(log_w)

    def score_samples_marginal(self, x, eps, log_class_prior, max_elements=None):
        """Importance-weighted estimate of ``log p(x) = log sum_c p(c) p(x | c)``.

        The same draws ``z_k ~ q(z | x)`` serve every class (the encoder does
        not see the label), and the sum over classes is exact.
        """
        eye = torch.eye(self.n_classes, dtype=x.dtype, device=x.device)
        log_w = torch.stack(
            [
                _log_weights_in_chunks(
                    lambda e, c=c: self.log_importance_weights(x, e, eye[c].expand(len(x), -1)),
                    x,
                    eps,
                    max_elements,
                )
                + log_class_prior[c]
                for c in range(self.n_classes)
            ],
            dim=2,
        )
        return torch.logsumexp(log_w.flatten(1), dim=1) - math.log(log_w.shape[1])
