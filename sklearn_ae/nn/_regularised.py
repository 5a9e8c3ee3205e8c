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
from ._contract import ForwardOutput, LossOutput
from ._layers import ACTIVATIONS
from ._random import rand_like, randn_like

CORRUPTIONS = ("gaussian", "masking", "salt_and_pepper")
_ROUTES = ("auto", "direct", "gram")
SPARSITIES = ("l1", "kl")


class DenoisingAutoencoder(Autoencoder):
    """Autoencoder trained to reconstruct clean inputs from corrupted ones.

    In training mode every forward pass draws a fresh corruption from the
    training generator (:func:`~sklearn_ae.nn.training_generator`); in eval
    mode the input is used as it is.

    Parameters
    ----------
    encoder, decoder, n_features, n_components, loss
        As in :class:`~sklearn_ae.nn.Autoencoder`.
    corruption : {"gaussian", "masking", "salt_and_pepper"} or callable, \
            default="gaussian"
        ``"gaussian"`` adds ``corruption_level * N(0, 1)`` to every entry;
        ``"masking"`` sets each entry to 0 with probability ``corruption_level``;
        ``"salt_and_pepper"`` sets each entry, with probability
        ``corruption_level``, to ``feature_min`` or ``feature_max`` (one or the
        other with probability 1/2). A callable maps a batch ``(batch,
        n_features)`` to its corrupted version of the same shape (a
        downsampling, a mask of its own, a watermark), drawing any randomness
        with :func:`~sklearn_ae.nn.rand_like` or :func:`~sklearn_ae.nn.randn_like`
        (the estimator's generator).
    corruption_level : float, default=0.2
        Noise scale or corruption probability (unused by a callable).
    masked_loss : bool, default=False
        With masking, take the reconstruction loss on the masked
        entries only (a masked autoencoder) instead of on all entries.
    feature_min, feature_max : array-like of shape (n_features,), default=None
        The "pepper" and "salt" values; 0 and 1 when None.

    Examples
    --------
    >>> import torch
    >>> from sklearn_ae.nn import DenoisingAutoencoder, make_mlp
    >>> dae = DenoisingAutoencoder(make_mlp([6, 2]), make_mlp([2, 6]), n_features=6,
    ...                            n_components=2, corruption="masking", corruption_level=0.5)
    >>> x_tilde, mask = dae.corrupt_with_mask(torch.ones(4, 6))
    >>> bool(((x_tilde == 0) == mask).all())
    True
    """

    def __init__(
        self,
        encoder,
        decoder,
        *,
        n_features,
        n_components,
        loss="squared_error",
        corruption="gaussian",
        corruption_level=0.2,
        masked_loss=False,
        feature_min=None,
        feature_max=None,
    ):
        super().__init__(
            encoder, decoder, n_features=n_features, n_components=n_components, loss=loss
        )
        if not callable(corruption) and corruption not in CORRUPTIONS:
            raise ValueError(
                f"corruption must be one of {CORRUPTIONS} or a callable, got {corruption!r}."
            )
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

    @torch.no_grad()
    def set_feature_range(self, feature_min, feature_max):
        """Replace the per-feature values of salt and pepper (for data seen later)."""
        self.feature_min.copy_(torch.as_tensor(feature_min).reshape(self.feature_min.shape))
        self.feature_max.copy_(torch.as_tensor(feature_max).reshape(self.feature_max.shape))

    def corrupt_with_mask(self, x):
        """``(x_tilde, mask)``: a fresh corruption of ``x`` and the entries it hit.

        ``mask`` is a boolean tensor shaped like ``x`` for masking and
        salt-and-pepper noise, ``None`` for Gaussian noise (which hits all)
        and for a callable corruption.
        """
        if callable(self.corruption):
            x_tilde = self.corruption(x)
            if not isinstance(x_tilde, torch.Tensor) or x_tilde.shape != x.shape:
                shape = tuple(getattr(x_tilde, "shape", ()))
                raise ValueError(
                    f"The corruption {self.corruption!r} must return a tensor of the "
                    f"batch's shape {tuple(x.shape)}, got {type(x_tilde).__name__} of "
                    f"shape {shape}."
                )
            return x_tilde, None
        if self.corruption == "gaussian":
            return x + self.corruption_level * randn_like(x), None
        hit = rand_like(x) < self.corruption_level
        if self.corruption == "masking":
            return x.masked_fill(hit, 0.0), hit
        salt = rand_like(x) < 0.5
        value = torch.where(salt, self.feature_max.to(x.dtype), self.feature_min.to(x.dtype))
        return torch.where(hit, value, x), hit

    def loss(self, outputs, x, y=None):
        mask = outputs.mask
        if not (self.masked_loss and mask is not None):
            return super().loss(outputs, x)
        err = self.entry_error(outputs.decoded, x)
        # Mean over the masked entries of the batch; a batch with none masked
        # contributes a zero loss (and no gradient) instead of 0 / 0.
        reconstruction = (err * mask).sum() / mask.sum().clamp(min=1)
        return LossOutput(reconstruction, reconstruction)


class SparseAutoencoder(Autoencoder):
    """Autoencoder with a sparsity penalty on its code activations.

    Parameters
    ----------
    encoder, decoder, n_features, n_components, loss
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
    >>> from sklearn_ae.nn import SparseAutoencoder, make_mlp
    >>> sae = SparseAutoencoder(make_mlp([4, 8]), make_mlp([8, 4]), n_features=4,
    ...                         n_components=8, sparsity="kl")
    >>> z = sae.encode(torch.zeros(3, 4))
    >>> tuple(z.shape), bool(((z > 0) & (z < 1)).all())
    ((3, 8), True)
    """

    loss_terms = ("reconstruction", "sparsity")

    def __init__(
        self,
        encoder,
        decoder,
        *,
        n_features,
        n_components,
        loss="squared_error",
        sparsity="l1",
        sparsity_weight=1e-3,
        sparsity_target=0.05,
    ):
        super().__init__(
            encoder, decoder, n_features=n_features, n_components=n_components, loss=loss
        )
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
        return {"sparsity": self.sparsity_weight * self.sparsity_penalty(outputs.z)}


class ContractiveAutoencoder(Autoencoder):
    """Autoencoder penalised by the squared Frobenius norm of the encoder's Jacobian.

    For an MLP encoder ``f = L_K o a o ... o a o L_1`` the Jacobian is
    ``J(x) = W_K D_{K-1} W_{K-1} ... D_1 W_1`` with ``D_k = diag(a'(pre_k))``,
    and :meth:`encode_with_jacobian` evaluates its squared norm in closed form
    in the same pass as the code: a batched product of diagonally scaled
    weight matrices started from the narrower end (the code, for an
    undercomplete model), finished, when cheaper, through the Gram matrix
    ``W_1 W_1^T`` of the first layer with a hand-written backward (see
    :func:`mlp_jacobian_sq_norm`). Nothing is approximated.

    Any other encoder (convolutional, recurrent, the user's own) is
    differentiated by autograd: ``||J||_F^2 = E_v ||J^T v||^2`` for
    ``v ~ N(0, I)`` in code space, estimated in training with
    ``n_projections`` vector-Jacobian products per batch (unbiased, and
    exact in expectation; each costs one more backward pass, differentiated
    again by training), and computed exactly, with one product per code unit,
    by :meth:`jacobian_sq_norm`.

    Parameters
    ----------
    encoder, decoder, n_features, n_components, loss
        As in :class:`~sklearn_ae.nn.Autoencoder`.
    contractive_weight : float, default=0.1
        Weight ``lambda`` of ``lambda * mean_batch ||J_f(x)||_F^2``.
    n_projections : int or None, default=None
        None: the closed form, for an encoder that is a
        :func:`~sklearn_ae.nn.make_mlp` stack. An integer: the number of
        random projections of the training estimate, for any encoder (as
        many as ``n_components`` or more gives the exact value).

    Examples
    --------
    >>> import torch
    >>> from sklearn_ae.nn import ContractiveAutoencoder, make_mlp
    >>> cae = ContractiveAutoencoder(make_mlp([5, 4, 2], "tanh"), make_mlp([2, 4, 5], "tanh"),
    ...                              n_features=5, n_components=2)
    >>> z, sq_norm = cae.encode_with_jacobian(torch.zeros(3, 5))
    >>> tuple(z.shape), tuple(sq_norm.shape)
    ((3, 2), (3,))
    """

    loss_terms = ("reconstruction", "contractive")

    def __init__(
        self,
        encoder,
        decoder,
        *,
        n_features,
        n_components,
        loss="squared_error",
        contractive_weight=0.1,
        n_projections=None,
    ):
        super().__init__(
            encoder, decoder, n_features=n_features, n_components=n_components, loss=loss
        )
        if n_projections is None and not is_mlp(encoder):
            raise ValueError(
                "The closed-form contractive penalty needs an MLP encoder (Linear layers "
                f"and elementwise activations), got {type(encoder).__name__}; pass "
                "n_projections to estimate the penalty by random projections instead."
            )
        self.contractive_weight = float(contractive_weight)
        self.n_projections = n_projections

    def encode_with_jacobian(self, x):
        """``(z, ||J_f(x)||_F^2)`` per row of ``x``: the training estimate of the norm."""
        if self.n_projections is None:
            return mlp_jacobian_sq_norm(self.encoder, x)
        return projected_jacobian_sq_norm(self.encoder, x, self.n_projections)

    def jacobian_sq_norm(self, x):
        """Per-row squared Frobenius norm of the encoder's Jacobian, exactly."""
        if self.n_projections is None:
            return mlp_jacobian_sq_norm(self.encoder, x)[1]
        return projected_jacobian_sq_norm(self.encoder, x, None)[1]

    def forward(self, x, y=None):
        # No corruption here, in training or not: the penalty needs the
        # Jacobian at the input actually encoded.
        z, sq_norm = self.encode_with_jacobian(x)
        return ForwardOutput(z=z, decoded=self.decoder(z), input=x, jacobian_sq_norm=sq_norm)

    def penalty(self, outputs, x):
        return {"contractive": self.contractive_weight * outputs.jacobian_sq_norm.mean()}


def is_mlp(module):
    """Whether ``module`` is a flat stack of Linear layers and elementwise activations.

    Examples
    --------
    >>> import torch
    >>> from sklearn_ae.nn import is_mlp, make_mlp
    >>> is_mlp(make_mlp([4, 3, 2])), is_mlp(torch.nn.Conv1d(1, 1, 3))
    (True, False)
    """
    allowed = (nn.Linear, *ACTIVATIONS.values())
    return isinstance(module, nn.Sequential) and all(isinstance(m, allowed) for m in module)


def projected_jacobian_sq_norm(encoder, x, n_projections):
    """Code and per-row ``||J||_F^2`` of any encoder, by vector-Jacobian products.

    ``||J||_F^2 = sum_i ||J^T e_i||^2`` over the code's unit vectors (exact,
    ``n_components`` products), or ``mean_k ||J^T v_k||^2`` over
    ``n_projections`` draws ``v_k ~ N(0, I)`` from the training generator (an
    unbiased estimate). With ``n_projections=None``, or at least
    ``n_components``, the exact sum. Differentiable in the weights (the
    products are built with ``create_graph`` when gradients are on).

    Parameters
    ----------
    encoder : torch.nn.Module
        Maps ``(batch, n_in)`` to ``(batch, n_out)``.
    x : torch.Tensor of shape (batch, n_in)
    n_projections : int or None

    Returns
    -------
    out : torch.Tensor of shape (batch, n_out)
    sq_norm : torch.Tensor of shape (batch,)

    Examples
    --------
    >>> import torch
    >>> from sklearn_ae.nn import projected_jacobian_sq_norm
    >>> lin = torch.nn.Linear(3, 2)
    >>> _, sq_norm = projected_jacobian_sq_norm(lin, torch.zeros(4, 3), None)
    >>> bool(torch.allclose(sq_norm, lin.weight.square().sum().expand(4)))
    True
    """
    train = torch.is_grad_enabled()
    # Inference runs under inference_mode, which rules autograd out; a Jacobian
    # needs it, on a copy of the batch that autograd may track.
    with torch.inference_mode(False), torch.enable_grad():
        x = x.clone().requires_grad_(True)
        out = encoder(x)
        n_out = out.shape[1]
        exact = n_projections is None or n_projections >= n_out
        if exact:
            directions = torch.eye(n_out, dtype=out.dtype, device=out.device)
            directions = directions[:, None, :].expand(-1, len(x), -1)
        else:
            directions = randn_like(out.expand(n_projections, *out.shape))
        sq_norm = 0
        for v in directions:
            (grad,) = torch.autograd.grad(
                out, x, grad_outputs=v, create_graph=train, retain_graph=True
            )
            sq_norm = sq_norm + grad.flatten(1).square().sum(dim=1)
        if not exact:
            sq_norm = sq_norm / n_projections
    if not train:
        out, sq_norm = out.detach(), sq_norm.detach()
    return out, sq_norm


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
