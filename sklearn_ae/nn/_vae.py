"""Variational autoencoders: Gaussian encoder, reparameterised code, three likelihoods.

Everything is in nats per sample: the reconstruction term is the negative
log-likelihood summed over features, the KL term is summed over latent units.
"""

import math

import torch
from torch import nn
from torch.nn import functional as F

from ._contract import AutoencoderModule, ForwardOutput, LossOutput
from ._random import randn_like

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


def _constant_labels(c, like):
    """Class index ``c`` for every row of the batch ``like``."""
    # shape[0], not len(): the batch size stays symbolic in exported graphs.
    return torch.full((like.shape[0],), c, dtype=torch.long, device=like.device)


def _log_mean_exp(log_w):
    return torch.logsumexp(log_w, dim=1) - math.log(log_w.shape[1])


class VariationalAutoencoder(AutoencoderModule):
    """VAE with a diagonal Gaussian encoder and a standard normal prior.

    ``q(z | x) = N(mean(x), diag exp(logvar(x)))`` with two linear heads on a
    shared body (the log-variance softly clamped to
    ``[LOGVAR_MIN, LOGVAR_MAX]``), ``p(z) = N(0, I)``, and a decoder whose
    output parameterises ``p(x | z)``:

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
    body : torch.nn.Module
        Maps rows ``(batch, n_features)`` to features ``(batch, width)``.
    mean_head, logvar_head : torch.nn.Module
        Map the features to the posterior mean and (unclamped) log-variance,
        ``(batch, n_components)`` each.
    decoder : torch.nn.Module
        Maps codes ``(batch, n_components + n_conditions)`` to the raw
        parameters of ``p(x | z)``, ``(batch, n_features)`` (logits for
        Bernoulli).
    n_features : int
        Input width.
    n_components : int
        Latent width.
    likelihood : {"gaussian", "gaussian_fixed", "bernoulli"}, default="gaussian"
        Decoder likelihood.
    beta : float, default=1.0
        Target weight of the KL term.
    noise_scale_floor : float, default=1e-3
        Smallest standard deviation of the ``"gaussian"`` likelihood.
    noise_scale_init : float, default=1.0
        Initial standard deviation of the ``"gaussian"`` likelihood (before
        the first training step).

    Examples
    --------
    >>> import torch
    >>> from sklearn_ae.nn import VariationalAutoencoder, make_mlp
    >>> vae = VariationalAutoencoder(make_mlp([6, 4], activate_last=True), torch.nn.Linear(4, 2),
    ...                              torch.nn.Linear(4, 2), make_mlp([2, 4, 6]),
    ...                              n_features=6, n_components=2)
    >>> out = vae(torch.zeros(3, 6))
    >>> tuple(out.z.shape), tuple(vae.decode(out.mean).shape)
    ((3, 2), (3, 6))
    >>> sorted(vae.loss(out, torch.zeros(3, 6)).terms())
    ['kl', 'reconstruction']
    """

    #: names of the loss entries, besides ``"loss"``, that training logs.
    loss_terms = ("reconstruction", "kl")

    def __init__(
        self,
        body,
        mean_head,
        logvar_head,
        decoder,
        *,
        n_features,
        n_components,
        likelihood="gaussian",
        beta=1.0,
        noise_scale_floor=1e-3,
        noise_scale_init=1.0,
    ):
        super().__init__()
        if likelihood not in LIKELIHOODS:
            raise ValueError(f"likelihood must be one of {LIKELIHOODS}, got {likelihood!r}.")
        self.likelihood = likelihood
        self.n_features = n_features
        self.n_components = n_components
        self.beta = float(beta)
        self.kl_weight = float(beta)
        self.body = body
        self.mean_head = mean_head
        self.logvar_head = logvar_head
        self.decoder = decoder
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

    def decoded(self, z):
        """The decoder's raw output for codes with any number of leading axes.

        Importance sampling decodes ``(rows, K, m)`` codes at once; a
        convolutional or recurrent decoder takes ``(batch, m)`` only.
        """
        out = self.decoder(z.reshape(-1, z.shape[-1]))
        return out.reshape(*z.shape[:-1], out.shape[-1])

    def decode(self, z, y=None):
        """``E[x | z]``, the likelihood mean, in data space."""
        return self.likelihood_mean(self.decoded(z))

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
    def forward(self, x, y=None):
        mean, logvar = self.posterior(x)
        z = mean + torch.exp(0.5 * logvar) * randn_like(mean)
        return ForwardOutput(
            z=z, decoded=self.decoded(self._with_condition(z, y)), input=x, mean=mean, logvar=logvar
        )

    def _with_condition(self, z, y):
        """The decoder's input for codes ``z`` (the unconditional model: ``z`` itself)."""
        return z

    def _elbo_loss(self, reconstruction, kl):
        # The gradient sees kl_weight (lowered during a warm-up); the value
        # reported is the loss at the target beta.
        loss = reconstruction + self.kl_weight * kl + (self.beta - self.kl_weight) * kl.detach()
        return LossOutput(loss.mean(), reconstruction.mean(), {"kl": kl.mean()})

    def prior_mean(self, y, dtype):
        """Mean of ``p(z)`` for each row: 0 for the standard normal prior."""
        return None

    def loss(self, outputs, x, y=None):
        """Negative beta-ELBO per sample, with its two parts, averaged over the batch."""
        reconstruction = -self.log_likelihood(outputs.decoded, x)
        prior_mean = self.prior_mean(y, x.dtype)
        kl = gaussian_kl(outputs.mean, outputs.logvar, prior_mean).sum(-1)
        return self._elbo_loss(reconstruction, kl)

    # ----------------------------------------------------------- inference
    def _draws(self, x, eps):
        """Posterior draws for fixed noise ``eps`` of shape ``(K, m)``: ``z`` and ``log q``."""
        mean, logvar = self.posterior(x)
        z = mean[:, None, :] + torch.exp(0.5 * logvar)[:, None, :] * eps
        log_q = -0.5 * (eps.square() + logvar[:, None, :] + _LOG_2PI).sum(-1)
        return z, log_q

    def log_importance_weights(self, x, eps, y=None):
        """``log p(x | z_k) + log p(z_k) - log q(z_k | x)``, shape ``(n, K)``.

        ``z_k = mean(x) + std(x) * eps[k]``: the same ``eps`` for every row
        (common random numbers), so each row's weights depend on that row only.
        """
        z, log_q = self._draws(x, eps)
        prior_mean = self.prior_mean(y, x.dtype)
        centred = z if prior_mean is None else z - prior_mean[:, None, :]
        log_prior = -0.5 * (centred.square() + _LOG_2PI).sum(-1)
        y_k = None if y is None else y[:, None].expand(-1, z.shape[1])
        out = self.decoded(self._with_condition(z, y_k))
        return self.log_likelihood(out, x[:, None, :]) + log_prior - log_q

    def score_samples(self, x, y=None, *, eps, max_elements=None):
        """Importance-weighted estimate of ``log p(x)`` (Burda et al.) with ``K = len(eps)``.

        ``max_elements`` bounds the size of the intermediate tensors by
        processing the K samples in slices; the result does not depend on it.
        """
        log_w = _log_weights_in_chunks(
            lambda e: self.log_importance_weights(x, e, y), x, eps, max_elements
        )
        return _log_mean_exp(log_w)


class ConditionalVariationalAutoencoder(VariationalAutoencoder):
    """Conditional VAE: label-blind encoder, class-conditional prior and decoder.

    ``q(z | x)`` does not see the label; the prior is
    ``p(z | c) = N(m_c, I)`` with one learned mean per class (centred, since a
    common shift of every ``m_c`` and of the codes changes nothing); the
    decoder ``p(x | z, c)`` receives ``z`` with the one-hot label appended.
    Labels ``y`` are class indices.

    Parameters
    ----------
    body, mean_head, logvar_head, decoder
        As in :class:`VariationalAutoencoder`; the decoder takes
        ``n_components + n_classes`` inputs.
    n_classes : int
        Number of classes.
    class_prior : array-like of shape (n_classes,), default=None
        ``p(c)``, used without labels (uniform when None).
    **kwargs
        The other keywords of :class:`VariationalAutoencoder`.

    Examples
    --------
    >>> import torch
    >>> from sklearn_ae.nn import ConditionalVariationalAutoencoder, make_mlp
    >>> cvae = ConditionalVariationalAutoencoder(
    ...     make_mlp([6, 4], activate_last=True), torch.nn.Linear(4, 2), torch.nn.Linear(4, 2),
    ...     make_mlp([2 + 3, 4, 6]), n_features=6, n_components=2, n_classes=3)
    >>> out = cvae(torch.zeros(2, 6), torch.tensor([0, 2]))
    >>> tuple(out.decoded.shape), tuple(cvae.prior_means().shape)
    ((2, 6), (3, 2))
    """

    def __init__(
        self, body, mean_head, logvar_head, decoder, *, n_classes, class_prior=None, **kwargs
    ):
        super().__init__(body, mean_head, logvar_head, decoder, **kwargs)
        self.n_classes = n_classes
        self.prior_raw = nn.Parameter(torch.zeros(n_classes, self.n_components))
        if class_prior is None:
            class_prior = torch.full((n_classes,), 1 / n_classes)
        # float64, so that a float64 inference copy sums its classes exactly.
        log_prior = torch.log(torch.as_tensor(class_prior, dtype=torch.float64))
        self.register_buffer("log_class_prior", log_prior)

    @torch.no_grad()
    def set_class_prior(self, class_prior):
        """Replace ``p(c)`` (the class shares of data seen later)."""
        prior = torch.as_tensor(class_prior, dtype=torch.float64)
        self.log_class_prior.copy_(torch.log(prior).reshape(self.log_class_prior.shape))

    def prior_means(self):
        """Means ``m_c`` of ``p(z | c)``, shape ``(n_classes, n_components)``."""
        return self.prior_raw - self.prior_raw.mean(dim=0)

    def prior_mean(self, y, dtype):
        return self.prior_means().to(dtype)[y]

    def _with_condition(self, z, y):
        onehot = F.one_hot(y, self.n_classes).to(z.dtype)
        return torch.cat([z, onehot], dim=-1)

    def forward(self, x, y=None):
        if y is None:
            raise ValueError("ConditionalVariationalAutoencoder is trained with labels y.")
        return super().forward(x, y)

    def decode(self, z, y=None):
        """``E[x | z, c]`` for class indices ``y``; without labels, the mixture over classes.

        Without labels: ``E[x | z] = sum_c p(c | z) E[x | z, c]`` with
        ``p(c | z) ∝ p(c) p(z | c)``, ``p(c)`` the buffer ``log_class_prior``.
        """
        if y is not None:
            return self.likelihood_mean(self.decoded(self._with_condition(z, y)))
        means = self.prior_means().to(z.dtype)
        log_post = self.log_class_prior.to(z.dtype) - 0.5 * (z[:, None, :] - means).square().sum(-1)
        weights = torch.softmax(log_post, dim=1)
        out = 0
        for c in range(self.n_classes):
            out = out + weights[:, c : c + 1] * self.decode(z, _constant_labels(c, z))
        return out

    def score_samples(self, x, y=None, *, eps, max_elements=None):
        """Importance-weighted ``log p(x | c)`` for class indices ``y``, else ``log p(x)``.

        Without labels, ``log p(x) = log sum_c p(c) p(x | c)``: the same draws
        ``z_k ~ q(z | x)`` serve every class (the encoder does not see the
        label), and the sum over classes is exact.
        """
        if y is not None:
            return super().score_samples(x, y, eps=eps, max_elements=max_elements)
        log_class_prior = self.log_class_prior.to(x.dtype)
        log_w = torch.stack(
            [
                _log_weights_in_chunks(
                    lambda e, c=c: self.log_importance_weights(x, e, _constant_labels(c, x)),
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
