"""Regularised autoencoders: denoising, sparse and contractive.

Each module is the plain :class:`~sklearn_ae.nn.Autoencoder` plus the one
piece that differs: the training-time input path (``corrupt_with_mask``) or an
extra loss term (:meth:`penalty`).
"""

import math

import torch
from torch import nn
from torch.autograd.function import once_differentiable

from ._autoencoder import Autoencoder

CORRUPTIONS = ("gaussian", "masking", "salt_and_pepper")
_ROUTES = ("auto", "direct", "gram")
SPARSITIES = ("l1", "kl")


class DenoisingAutoencoder(Autoencoder):
    """Autoencoder trained to reconstruct clean inputs from corrupted ones.

    In training mode every forward pass draws a fresh corruption from torch's
    random generator; in eval mode the input is used as it is.

    Parameters
    ----------
    n_features, n_components, hidden_layer_sizes, activation, loss
        As in :class:`~sklearn_ae.nn.Autoencoder`.
    corruption : {"gaussian", "masking", "salt_and_pepper"}, default="gaussian"
        ``"gaussian"`` adds ``corruption_level * N(0, 1)`` to every entry;
        ``"masking"`` sets each entry to 0 with probability ``corruption_level``;
        ``"salt_and_pepper"`` sets each entry, with probability
        ``corruption_level``, to ``feature_min`` or ``feature_max`` (one or the
        other with probability 1/2).
    corruption_level : float, default=0.2
        Standard deviation (gaussian) or fraction of corrupted entries.
    masked_loss : bool, default=False
        With masking noise, take the reconstruction loss on the masked
        entries only (masked autoencoder). Outside training no entry is
        masked and the loss covers every entry.
    feature_min, feature_max : array-like of shape (n_features,), default=None
        Pepper and salt values; default 0 and 1. Stored as buffers, so they
        follow the module to its device and dtype.

    Examples
    --------
    >>> import torch
    >>> from sklearn_ae.nn import DenoisingAutoencoder
    >>> dae = DenoisingAutoencoder(6, 2, corruption="masking", corruption_level=0.5)
    >>> out = dae(torch.ones(4, 6))
    >>> tuple(out["mask"].shape)
    (4, 6)
    """

    def __init__(
        self,
        n_features,
        n_components,
        hidden_layer_sizes=(),
        activation="relu",
        loss="squared_error",
        corruption="gaussian",
        corruption_level=0.2,
        masked_loss=False,
        feature_min=None,
        feature_max=None,
    ):
        super().__init__(n_features, n_components, hidden_layer_sizes, activation, loss)
        if corruption not in CORRUPTIONS:
            raise ValueError(f"corruption must be one of {CORRUPTIONS}, got {corruption!r}.")
        if masked_loss and corruption != "masking":
            raise ValueError(
                f"masked_loss=True needs corruption='masking', got corruption={corruption!r}."
            )
        self.corruption = corruption
        self.corruption_level = float(corruption_level)
        self.masked_loss = bool(masked_loss)
        low = torch.zeros(n_features) if feature_min is None else torch.as_tensor(feature_min)
        high = torch.ones(n_features) if feature_max is None else torch.as_tensor(feature_max)
        self.register_buffer("feature_min", low.to(torch.float32).reshape(n_features))
        self.register_buffer("feature_max", high.to(torch.float32).reshape(n_features))

    def corrupt_with_mask(self, x):
        """``(x_tilde, mask)``: a fresh corruption of ``x`` and the entries it hit.

        ``mask`` is a boolean tensor shaped like ``x`` for masking and
        salt-and-pepper noise, ``None`` for Gaussian noise (which hits all).
        """
        if self.corruption == "gaussian":
            return x + self.corruption_level * torch.randn_like(x), None
        hit = torch.rand_like(x) < self.corruption_level
        if self.corruption == "masking":
            return x.masked_fill(hit, 0.0), hit
        salt = torch.rand_like(x) < 0.5
        value = torch.where(salt, self.feature_max.to(x.dtype), self.feature_min.to(x.dtype))
        return torch.where(hit, value, x), hit

    def loss(self, outputs, x):
        mask = outputs.get("mask")
        if not (self.masked_loss and mask is not None):
            return super().loss(outputs, x)
        err = self.entry_error(outputs["recon"], x)
        # Mean over the masked entries of the batch; a batch with none masked
        # contributes a zero loss (and no gradient) instead of 0 / 0.
        recon = (err * mask).sum() / mask.sum().clamp(min=1)
        return {"loss": recon, "reconstruction": recon}


class SparseAutoencoder(Autoencoder):
    """Autoencoder with a sparsity penalty on its code activations.

    Parameters
    ----------
    n_features, n_components, hidden_layer_sizes, activation, loss
        As in :class:`~sklearn_ae.nn.Autoencoder`; ``n_components`` may
        exceed ``n_features`` (an overcomplete code).
    sparsity : {"l1", "kl"}, default="l1"
        ``"l1"``: ``weight * mean_batch sum_j |z_j|`` on a linear code.
        ``"kl"``: the code is ``sigmoid(pre-activation)`` and the penalty is
        ``weight * sum_j KL(rho || rho_hat_j)``, ``rho_hat_j`` the batch mean
        of unit ``j``.
    sparsity_weight : float, default=1e-3
        Weight of the penalty.
    sparsity_target : float, default=0.05
        ``rho``, the target mean activation of the KL form.

    Examples
    --------
    >>> import torch
    >>> from sklearn_ae.nn import SparseAutoencoder
    >>> sae = SparseAutoencoder(4, 8, sparsity="kl")
    >>> z = sae.encode(torch.zeros(3, 4))
    >>> tuple(z.shape), bool(((z > 0) & (z < 1)).all())
    ((3, 8), True)
    """

    loss_terms = ("reconstruction", "sparsity")

    def __init__(
        self,
        n_features,
        n_components,
        hidden_layer_sizes=(),
        activation="relu",
        loss="squared_error",
        sparsity="l1",
        sparsity_weight=1e-3,
        sparsity_target=0.05,
    ):
        super().__init__(n_features, n_components, hidden_layer_sizes, activation, loss)
        if sparsity not in SPARSITIES:
            raise ValueError(f"sparsity must be one of {SPARSITIES}, got {sparsity!r}.")
        if not 0 < sparsity_target < 1:
            raise ValueError(f"sparsity_target must be in (0, 1), got {sparsity_target!r}.")
        self.sparsity = sparsity
        self.sparsity_weight = float(sparsity_weight)
        self.sparsity_target = float(sparsity_target)

    def encode(self, x):
        z = self.encoder(x)
        return torch.sigmoid(z) if self.sparsity == "kl" else z

    def sparsity_penalty(self, z):
        """The unweighted penalty of a batch of codes ``z``."""
        if self.sparsity == "l1":
            return z.abs().sum(dim=1).mean()
        rho = self.sparsity_target
        # Clamping keeps log finite when a unit saturates over a whole batch;
        # it only binds within 1e-6 of 0 or 1.
        rho_hat = z.mean(dim=0).clamp(1e-6, 1 - 1e-6)
        kl = rho * torch.log(rho / rho_hat) + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat))
        return kl.sum()

    def penalty(self, outputs, x):
        return {"sparsity": self.sparsity_weight * self.sparsity_penalty(outputs["z"])}


class ContractiveAutoencoder(Autoencoder):
    """Autoencoder penalised by the squared Frobenius norm of the encoder's Jacobian.

    The Jacobian of the MLP encoder ``f = L_K o a o ... o a o L_1`` is
    ``J(x) = W_K D_{K-1} W_{K-1} ... D_1 W_1`` with ``D_k = diag(a'(pre_k))``.
    :meth:`encode_with_jacobian` evaluates its squared norm in closed form in
    the same pass as the code: a batched product of diagonally scaled weight
    matrices started from the narrower end (the code, for an undercomplete
    model), finished, when cheaper, through the Gram matrix ``W_1 W_1^T`` of
    the first layer with a hand-written backward (see
    :func:`mlp_jacobian_sq_norm`). Nothing is approximated, and training
    needs no second differentiation pass beyond ordinary backprop.

    Parameters
    ----------
    n_features, n_components, hidden_layer_sizes, activation, loss
        As in :class:`~sklearn_ae.nn.Autoencoder`.
    contractive_weight : float, default=0.1
        Weight ``lambda`` of ``lambda * mean_batch ||J_f(x)||_F^2``.

    Examples
    --------
    >>> import torch
    >>> from sklearn_ae.nn import ContractiveAutoencoder
    >>> cae = ContractiveAutoencoder(5, 2, hidden_layer_sizes=(4,), activation="tanh")
    >>> z, sq_norm = cae.encode_with_jacobian(torch.zeros(3, 5))
    >>> tuple(z.shape), tuple(sq_norm.shape)
    ((3, 2), (3,))
    """

    loss_terms = ("reconstruction", "contractive")

    def __init__(
        self,
        n_features,
        n_components,
        hidden_layer_sizes=(),
        activation="relu",
        loss="squared_error",
        contractive_weight=0.1,
    ):
        super().__init__(n_features, n_components, hidden_layer_sizes, activation, loss)
        self.contractive_weight = float(contractive_weight)

    def encode_with_jacobian(self, x):
        """``(z, ||J_f(x)||_F^2)`` per row of ``x``, in one pass."""
        return mlp_jacobian_sq_norm(self.encoder, x)

    def jacobian_sq_norm(self, x):
        """Per-row squared Frobenius norm of the encoder's Jacobian."""
        return self.encode_with_jacobian(x)[1]

    def forward(self, x):
        # No corruption here, in training or not: the penalty needs the
        # Jacobian at the input actually encoded.
        z, sq_norm = self.encode_with_jacobian(x)
        return {"z": z, "recon": self.decoder(z), "input": x, "jacobian_sq_norm": sq_norm}

    def penalty(self, outputs, x):
        return {"contractive": self.contractive_weight * outputs["jacobian_sq_norm"].mean()}


_SQRT_2PI = math.sqrt(2 * math.pi)


def _gelu_derivative(pre):
    # torch's default GELU is the exact x * Phi(x): derivative Phi(x) + x phi(x).
    cdf = 0.5 * (1 + torch.erf(pre / math.sqrt(2)))
    return cdf + pre * torch.exp(-0.5 * pre.square()) / _SQRT_2PI


def _silu_derivative(pre):
    s = torch.sigmoid(pre)
    return s * (1 + pre * (1 - s))


def _elu_derivative(pre, alpha):
    return torch.where(pre > 0, torch.ones_like(pre), alpha * torch.exp(pre.clamp(max=0)))


def activation_derivative(module, pre, post):
    """Elementwise derivative ``a'(pre)`` of an activation module.

    ``post = module(pre)`` is passed in so that sigmoid and tanh reuse it.
    Exact closed forms for the activations of :data:`sklearn_ae.nn.ACTIVATIONS`;
    any other elementwise module is differentiated by autograd.
    """
    if isinstance(module, nn.Identity):
        return torch.ones_like(pre)
    if isinstance(module, nn.ReLU):
        return (pre > 0).to(pre.dtype)
    if isinstance(module, nn.Sigmoid):
        return post * (1 - post)
    if isinstance(module, nn.Tanh):
        return 1 - post.square()
    if isinstance(module, nn.ELU):
        return _elu_derivative(pre, module.alpha)
    if isinstance(module, nn.GELU) and module.approximate == "none":
        return _gelu_derivative(pre)
    if isinstance(module, nn.SiLU):
        return _silu_derivative(pre)
    with torch.enable_grad():
        leaf = pre.detach().requires_grad_(True)
        (grad,) = torch.autograd.grad(module(leaf).sum(), leaf, create_graph=pre.requires_grad)
    return grad


def mlp_jacobian_sq_norm(mlp, x, *, route="auto"):
    """Output and per-row squared Frobenius norm of the Jacobian of an MLP.

    ``J = W_K D_{K-1} ... D_1 W_1``, ``D_k = diag(a'(pre_k))``, is built from
    the narrower end: from the output side it is ``n_out`` rows wide all the
    way, so its cost is about ``n_out`` forward passes, and the last and
    widest product, by ``W_1``, goes through the Gram matrix ``W_1 W_1^T``
    when that is cheaper (see :func:`_sq_norm_of_product`). The value is
    exact, and differentiable in the weights (for smooth activations also
    through ``a'``).

    Parameters
    ----------
    mlp : torch.nn.Sequential
        ``Linear`` layers separated by elementwise activations, as built by
        :func:`~sklearn_ae.nn.make_mlp`.
    x : torch.Tensor of shape (batch, n_in)
    route : {"auto", "direct", "gram"}, default="auto"
        How the product by ``W_1`` is finished (output-side case only):
        ``"auto"`` picks the cheaper; the others force one, for tests and
        benchmarks.

    Returns
    -------
    out : torch.Tensor of shape (batch, n_out)
        ``mlp(x)``.
    sq_norm : torch.Tensor of shape (batch,)
        ``||d out / d x||_F^2`` for each row, differentiable in the weights.

    Examples
    --------
    >>> import torch
    >>> from sklearn_ae.nn import make_mlp, mlp_jacobian_sq_norm
    >>> mlp = make_mlp([5, 4, 2], "tanh")
    >>> out, sq_norm = mlp_jacobian_sq_norm(mlp, torch.randn(3, 5))
    >>> tuple(out.shape), tuple(sq_norm.shape)
    ((3, 2), (3,))
    """
    if route not in _ROUTES:
        raise ValueError(f"route must be 'auto', 'direct' or 'gram', got {route!r}.")
    weights, scales = [], []
    h = x
    for layer in mlp:
        if isinstance(layer, nn.Linear):
            if len(weights) > len(scales):
                # Two Linear layers in a row: the identity between them.
                scales.append(None)
            weights.append(layer.weight)
            h = layer(h)
        else:
            post = layer(h)
            scales.append(activation_derivative(layer, h, post))
            h = post
    if len(scales) == len(weights):
        # A trailing activation scales the output side.
        out_scale = scales.pop()
    else:
        out_scale = None

    n_out, n_in = weights[-1].shape[0], weights[0].shape[1]
    if n_out <= n_in:
        # Rows of J from the output side: (batch, n_out, width) all the way;
        # the widest product, by the first layer's weights, comes last.
        jac = weights[-1].expand(len(x), -1, -1)
        if out_scale is not None:
            jac = out_scale.unsqueeze(2) * jac
        if len(weights) == 1:
            return h, jac.square().sum(dim=(1, 2))
        # scales[k] sits between weights[k] and weights[k + 1].
        for k in range(len(weights) - 2, 0, -1):
            if scales[k] is not None:
                jac = jac * scales[k].unsqueeze(1)
            jac = jac @ weights[k]
        if scales[0] is not None:
            jac = jac * scales[0].unsqueeze(1)
        return h, _sq_norm_of_product(jac, weights[0], route=route)
    # Columns of J from the input side: (batch, width, n_in).
    jac = weights[0].expand(len(x), -1, -1)
    for weight, scale in zip(weights[1:], scales, strict=True):
        if scale is not None:
            jac = scale.unsqueeze(2) * jac
        jac = weight @ jac
    if out_scale is not None:
        jac = out_scale.unsqueeze(2) * jac
    return h, jac.square().sum(dim=(1, 2))


def _sq_norm_of_product(M, W, *, route="auto"):
    """``||M_b W||_F^2`` for each ``M_b`` of the batch ``M`` (batch, rows, width).

    Directly, ``J = M W`` costs ``rows * width * n_in`` multiply-adds per
    sample, twice more in backprop. Through the Gram matrix ``G = W W^T``,
    ``||M_b W||^2 = sum(M_b * (M_b G))``, whose backward needs no second
    product with ``G`` (:class:`_GramSquaredNorm`): cheaper whenever the
    batch's rows outnumber the width enough to pay for ``G``, as in training.
    Both are exact; ``route="auto"`` uses the cheaper one.
    """
    if route not in _ROUTES:
        raise ValueError(f"route must be 'auto', 'direct' or 'gram', got {route!r}.")
    batch_rows = M.shape[0] * M.shape[1]
    width, n_in = W.shape
    if torch.is_grad_enabled() and (M.requires_grad or W.requires_grad):
        gram_cost, direct_cost = 2 * width * (n_in + batch_rows), 3 * batch_rows * n_in
    else:
        gram_cost, direct_cost = width * (n_in + batch_rows), batch_rows * n_in
    if route == "gram" or (route == "auto" and gram_cost < direct_cost):
        return _GramSquaredNorm.apply(M, W)
    return (M @ W).square().sum(dim=(1, 2))


class _GramSquaredNorm(torch.autograd.Function):
    """``sum(M_b * (M_b W W^T))`` per batch entry, with a hand-written backward.

    Autograd would differentiate through ``M G`` with one more product by
    ``G``; the gradient in ``M`` is ``2 M G``, already at hand, and the one in
    ``W`` is ``2 S W`` with ``S = sum_b g_b M_b^T M_b``.
    """

    @staticmethod
    def forward(ctx, M, W):
        MG = M @ (W @ W.T)
        ctx.save_for_backward(M, MG, W)
        return (M * MG).sum(dim=(1, 2))

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_out):
        M, MG, W = ctx.saved_tensors
        g = grad_out[:, None, None]
        grad_M = grad_W = None
        if ctx.needs_input_grad[0]:
            grad_M = 2 * g * MG
        if ctx.needs_input_grad[1]:
            width = M.shape[-1]
            S = (g * M).reshape(-1, width).T @ M.reshape(-1, width)
            grad_W = 2 * (S @ W)
        return grad_M, grad_W
