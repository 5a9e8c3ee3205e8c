"""Tests for sklearn_ae._contractive.ContractiveAE and the closed-form Jacobian."""

import copy

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_ae._autoencoder import AutoencoderTransformer
from sklearn_ae._contractive import ContractiveAE
from sklearn_ae.nn import ACTIVATIONS, make_mlp
from sklearn_ae.nn._regularised import (
    ContractiveAutoencoder,
    _GramSquaredNorm,
    _sq_norm_of_product,
    mlp_jacobian_sq_norm,
)

from _helpers import low_rank_tanh_data, mlp_module, mnist_train_heldout

FAST = {"hidden_layer_sizes": (16,), "max_iter": 3, "random_state": 0}


def _autograd_sq_norms(encoder, X):
    """||J||_F^2 per row by torch's generic autograd Jacobian, in float64."""
    encoder = copy.deepcopy(encoder).double()
    x = torch.as_tensor(X, dtype=torch.float64)
    return np.array(
        [torch.autograd.functional.jacobian(encoder, row).square().sum().item() for row in x]
    )


def _finite_difference_sq_norms(encoder, X, eps=1e-6):
    """||J||_F^2 per row by central differences, in float64."""
    encoder = copy.deepcopy(encoder).double()
    out = []
    with torch.no_grad():
        for row in torch.as_tensor(X, dtype=torch.float64):
            steps = eps * torch.eye(len(row), dtype=torch.float64)
            jac = (encoder(row + steps) - encoder(row - steps)) / (2 * eps)
            out.append(jac.square().sum().item())
    return np.array(out)


# ---------------------------------------------------- the Jacobian and the penalty
@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("sizes", [[7, 2], [7, 5, 3], [7, 6, 5, 3], [3, 5, 6, 8]])
def test_mlp_jacobian_sq_norm_matches_autograd(activation, sizes):
    torch.manual_seed(0)
    mlp = make_mlp(sizes, activation).double()
    x = torch.randn(9, sizes[0], dtype=torch.float64)
    out, sq_norm = mlp_jacobian_sq_norm(mlp, x)
    assert_allclose(out.detach().numpy(), mlp(x).detach().numpy(), rtol=1e-14)
    assert_allclose(sq_norm.detach().numpy(), _autograd_sq_norms(mlp, x), rtol=1e-10)


def test_mlp_jacobian_sq_norm_one_sigmoid_layer_closed_form():
    # THEORY.md: for h = sigmoid(W x + b), ||J||^2 = sum_j (h_j (1 - h_j))^2 ||W_j||^2.
    torch.manual_seed(0)
    mlp = make_mlp([6, 4], "logistic", activate_last=True).double()
    x = torch.randn(5, 6, dtype=torch.float64)
    h, sq_norm = mlp_jacobian_sq_norm(mlp, x)
    W = mlp[0].weight
    expected = ((h * (1 - h)).square() * W.square().sum(dim=1)).sum(dim=1)
    assert_allclose(sq_norm.detach().numpy(), expected.detach().numpy(), rtol=1e-12)


@pytest.mark.parametrize("activation", ["tanh", "logistic", "relu", "gelu"])
def test_contractive_ae_jacobian_norm_matches_independent_jacobians(activation):
    X = low_rank_tanh_data()
    cae = ContractiveAE(
        n_components=3, hidden_layer_sizes=(12, 8), activation=activation, max_iter=3
    ).fit(X)
    norms = cae.jacobian_norm(X[:15])
    assert norms.dtype == np.float64
    encoder = cae.net_.module_.encoder
    assert_allclose(norms, _autograd_sq_norms(encoder, X[:15]), rtol=1e-10)
    assert_allclose(norms, _finite_difference_sq_norms(encoder, X[:15]), rtol=1e-6)
    assert_allclose(cae.jacobian_norm(X[:15], squared=False), np.sqrt(norms))
    # float32 input: the same float64 computation.
    assert_allclose(cae.jacobian_norm(X[:15].astype(np.float32)), norms, rtol=1e-6)


def test_contractive_ae_penalty_is_weighted_mean_of_sq_norms():
    torch.manual_seed(0)
    module = mlp_module(
        ContractiveAutoencoder, 8, 3, (10, 6), "tanh", contractive_weight=0.7
    ).double()
    x = torch.randn(16, 8, dtype=torch.float64)
    module.train()
    losses = module.loss(module(x), x)
    expected = 0.7 * _autograd_sq_norms(module.encoder, x).mean()
    assert losses.extra["contractive"].item() == pytest.approx(expected, rel=1e-12)
    recon = ((module.decode(module.encode(x)) - x) ** 2).mean().item()
    assert losses.loss.item() == pytest.approx(recon + expected, rel=1e-12)


def test_contractive_ae_penalty_gradient_matches_autograd_jacobian():
    # The closed form must carry the right gradient, not only the right value.
    torch.manual_seed(0)
    module = mlp_module(ContractiveAutoencoder, 6, 2, (5,), "tanh").double()
    x = torch.randn(4, 6, dtype=torch.float64)
    module.jacobian_sq_norm(x).sum().backward()
    closed = [_grad(p).clone() for p in module.encoder.parameters()]
    module.zero_grad(set_to_none=True)
    total = sum(
        torch.autograd.functional.jacobian(module.encoder, row, create_graph=True).square().sum()
        for row in x
    )
    total.backward()
    for got, want in zip(closed, map(_grad, module.encoder.parameters()), strict=True):
        assert_allclose(got.numpy(), want.numpy(), rtol=1e-10, atol=1e-14)


def _grad(param):
    # The code layer's bias does not enter the Jacobian: no gradient at all.
    return torch.zeros_like(param) if param.grad is None else param.grad


@pytest.mark.parametrize("shape", [(16, 3, 5, 7), (2, 2, 9, 4)])
def test_gram_squared_norm_matches_direct_product(shape):
    # The Gram-matrix route and its hand-written backward against autograd
    # through the plain product, with unequal weights on the batch entries.
    batch, rows, width, n_in = shape
    gen = torch.Generator().manual_seed(0)
    M = torch.randn(batch, rows, width, dtype=torch.float64, generator=gen, requires_grad=True)
    W = torch.randn(width, n_in, dtype=torch.float64, generator=gen, requires_grad=True)
    weights = torch.rand(batch, dtype=torch.float64, generator=gen)

    direct = (M @ W).square().sum(dim=(1, 2))
    grad_M, grad_W = torch.autograd.grad((weights * direct).sum(), (M, W))
    gram = _GramSquaredNorm.apply(M, W)
    got_M, got_W = torch.autograd.grad((weights * gram).sum(), (M, W))
    assert_allclose(gram.detach().numpy(), direct.detach().numpy(), rtol=1e-12)
    assert_allclose(got_M.numpy(), grad_M.numpy(), rtol=1e-12, atol=1e-12)
    assert_allclose(got_W.numpy(), grad_W.numpy(), rtol=1e-12, atol=1e-12)
    for route in ("auto", "direct", "gram"):
        value = _sq_norm_of_product(M, W, route=route).detach().numpy()
        assert_allclose(value, direct.detach().numpy(), rtol=1e-12)


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_mlp_jacobian_sq_norm_routes_agree_in_value_and_gradient(activation):
    torch.manual_seed(0)
    mlp = make_mlp([12, 9, 6, 2], activation).double()
    x = torch.randn(20, 12, dtype=torch.float64)
    results = {}
    for route in ("direct", "gram"):
        mlp.zero_grad(set_to_none=True)
        _, sq_norm = mlp_jacobian_sq_norm(mlp, x, route=route)
        (sq_norm * torch.linspace(0.5, 1.5, len(x), dtype=torch.float64)).sum().backward()
        results[route] = (sq_norm.detach(), [_grad(p).clone() for p in mlp.parameters()])
    assert_allclose(results["gram"][0].numpy(), results["direct"][0].numpy(), rtol=1e-12)
    for got, want in zip(results["gram"][1], results["direct"][1], strict=True):
        assert_allclose(got.numpy(), want.numpy(), rtol=1e-10, atol=1e-14)


def test_mlp_jacobian_sq_norm_rejects_unknown_route():
    with pytest.raises(ValueError, match="route must be 'auto', 'direct' or 'gram'"):
        mlp_jacobian_sq_norm(make_mlp([3, 2]), torch.zeros(1, 3), route="fast")


# --------------------------------------------------------------- the estimator
def test_contractive_ae_zero_weight_is_the_plain_autoencoder():
    X = low_rank_tanh_data()
    Z = ContractiveAE(n_components=3, contractive_weight=0.0, **FAST).fit_transform(X)
    Z_plain = AutoencoderTransformer(n_components=3, **FAST).fit_transform(X)
    assert_array_equal(Z, Z_plain)


def test_contractive_ae_penalty_contracts_on_small_data():
    X = low_rank_tanh_data(n_samples=300)
    params = {"n_components": 3, "hidden_layer_sizes": (32,), "activation": "tanh"}
    params |= {"max_iter": 60, "random_state": 0}
    weak = ContractiveAE(contractive_weight=0.0, **params).fit(X)
    strong = ContractiveAE(contractive_weight=1.0, **params).fit(X)
    assert strong.jacobian_norm(X).mean() < 0.5 * weak.jacobian_norm(X).mean()


def test_contractive_ae_history_logs_terms():
    cae = ContractiveAE(n_components=3, **FAST).fit(low_rank_tanh_data())
    history = cae.net_.history
    recon = np.asarray(history[:, "train_reconstruction"])
    penalty = np.asarray(history[:, "train_contractive"])
    assert (penalty > 0).all()
    assert_allclose(recon + penalty, cae.loss_curve_, rtol=1e-5)


def test_contractive_ae_transform_is_row_wise_and_deterministic():
    X = low_rank_tanh_data()
    cae = ContractiveAE(n_components=3, **FAST).fit(X)
    Z = cae.transform(X)
    assert_array_equal(Z, cae.transform(X))
    rows = np.vstack([cae.transform(row[None, :]) for row in X[:10]])
    assert_allclose(Z[:10], rows, rtol=1e-7, atol=1e-12)


def test_contractive_ae_jacobian_norm_rejects_wrong_width():
    X = low_rank_tanh_data()
    cae = ContractiveAE(n_components=3, **FAST).fit(X)
    with pytest.raises(ValueError, match="X has 9 features, but ContractiveAE is expecting 10"):
        cae.jacobian_norm(X[:, :9])


def test_contractive_ae_rejects_negative_weight():
    with pytest.raises(InvalidParameterError, match="'contractive_weight' parameter"):
        ContractiveAE(contractive_weight=-0.1, **FAST).fit(low_rank_tanh_data())


# --------------------------------------------------------------- quality (MNIST)
@pytest.mark.slow
def test_contractive_ae_mnist_jacobian_norm_lower_than_plain_ae():
    X_train, X_test = mnist_train_heldout()
    params = {
        "n_components": 32,
        "hidden_layer_sizes": (256,),
        "activation": "tanh",
        "batch_size": 128,
        "max_iter": 10,
        "random_state": 0,
    }
    plain = AutoencoderTransformer(**params).fit(X_train)
    cae = ContractiveAE(contractive_weight=0.1, **params).fit(X_train)
    # Both encoders through the same closed form (itself checked against autograd).
    with torch.no_grad():
        x = torch.as_tensor(X_test, dtype=torch.float64)
        _, plain_norms = mlp_jacobian_sq_norm(copy.deepcopy(plain.net_.module_.encoder).double(), x)
    plain_norm, cae_norm = plain_norms.mean().item(), cae.jacobian_norm(X_test).mean()
    ratio = cae_norm / plain_norm
    # Shrinking every code (which the decoder can undo) also lowers ||J||; relative to
    # the spread of the codes, the sensitivity that remains is the real contraction.
    spread = {m: m.transform(X_test).var(axis=0).sum() for m in (plain, cae)}
    relative = (cae_norm / spread[cae]) / (plain_norm / spread[plain])

    def error(model):
        return np.mean((model.inverse_transform(model.transform(X_test)) - X_test) ** 2)

    print(f"held-out mean ||J||_F^2, contractive / plain = {ratio:.4f}")
    print(f"... divided by the total code variance, contractive / plain = {relative:.2f}")
    print(f"held-out reconstruction error, contractive / plain = {error(cae) / error(plain):.2f}")
    assert ratio < 0.5
    assert relative < 0.75
