"""Tests for sklearn_ae._sparse.SparseAE and its torch module."""

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_ae._autoencoder import AutoencoderTransformer
from sklearn_ae._sparse import SparseAE
from sklearn_ae.nn import ForwardOutput, SparseAutoencoder

from _helpers import low_rank_tanh_data, mlp_module, mnist_train_heldout

FAST = {"hidden_layer_sizes": (16,), "max_iter": 3, "random_state": 0}


# --------------------------------------------------------------- the penalty
def _with_code(z):
    return ForwardOutput(z=z, decoded=torch.zeros(len(z), 5), input=torch.zeros(len(z), 5))


def test_sparse_ae_l1_penalty_value():
    module = mlp_module(SparseAutoencoder, 5, 4, sparsity="l1", sparsity_weight=0.3)
    z = torch.tensor([[1.0, -2.0, 0.0, 0.5], [0.0, 0.0, -1.0, 0.0]])
    # mean over the batch of sum_j |z_j| = (3.5 + 1) / 2
    assert module.penalty(_with_code(z), None)["sparsity"].item() == pytest.approx(0.3 * 2.25)


def test_sparse_ae_kl_penalty_value():
    rho = 0.1
    module = mlp_module(
        SparseAutoencoder, 5, 3, sparsity="kl", sparsity_weight=2.0, sparsity_target=rho
    )
    z = torch.tensor([[0.2, 0.1, 0.9], [0.4, 0.1, 0.5]], dtype=torch.float64)
    rho_hat = np.array([0.3, 0.1, 0.7])
    kl = rho * np.log(rho / rho_hat) + (1 - rho) * np.log((1 - rho) / (1 - rho_hat))
    penalty = module.penalty(_with_code(z), None)["sparsity"].item()
    assert penalty == pytest.approx(2.0 * kl.sum(), rel=1e-12)
    # At the target the divergence vanishes.
    at_target = torch.full((4, 3), rho, dtype=torch.float64)
    assert module.penalty(_with_code(at_target), None)["sparsity"].item() == pytest.approx(
        0, abs=1e-12
    )


def test_sparse_ae_kl_penalty_stays_finite_for_saturated_units():
    module = mlp_module(SparseAutoencoder, 5, 2, sparsity="kl", sparsity_weight=1.0)
    z = torch.tensor([[0.0, 1.0], [0.0, 1.0]])
    assert torch.isfinite(module.penalty(_with_code(z), None)["sparsity"])


def test_sparse_ae_loss_adds_the_penalty():
    torch.manual_seed(0)
    module = mlp_module(SparseAutoencoder, 5, 8, sparsity="l1", sparsity_weight=0.5)
    x = torch.randn(6, 5)
    out = module(x)
    losses = module.loss(out, x)
    expected = ((out.decoded - x) ** 2).mean() + 0.5 * out.z.abs().sum(dim=1).mean()
    assert losses.loss.item() == pytest.approx(expected.item(), rel=1e-6)
    assert set(losses.terms()) == {"reconstruction", "sparsity"}


# --------------------------------------------------------------- the estimator
def test_sparse_ae_kl_codes_are_sigmoid_units():
    X = low_rank_tanh_data()
    Z = SparseAE(n_components=6, sparsity="kl", **FAST).fit_transform(X)
    assert ((Z > 0) & (Z < 1)).all()


def test_sparse_ae_l1_codes_are_linear():
    Z = SparseAE(n_components=6, sparsity="l1", **FAST).fit_transform(low_rank_tanh_data())
    assert (Z < 0).any() and (Z > 0).any()


@pytest.mark.parametrize("sparsity", ["l1", "kl"])
def test_sparse_ae_overcomplete_code(sparsity):
    # The code may be wider than the input.
    X = low_rank_tanh_data(n_features=5)
    sae = SparseAE(n_components=20, sparsity=sparsity, **FAST).fit(X)
    Z = sae.transform(X)
    assert Z.shape == (len(X), 20)
    assert sae.inverse_transform(Z).shape == X.shape
    assert sae.get_feature_names_out().shape == (20,)


@pytest.mark.parametrize("sparsity", ["l1", "kl"])
def test_sparse_ae_achieved_sparsity_attributes(sparsity):
    X = low_rank_tanh_data()
    sae = SparseAE(n_components=8, sparsity=sparsity, **FAST).fit(X)
    magnitude = np.abs(sae.transform(X))
    assert sae.code_mean_activation_.shape == (8,)
    assert_allclose(sae.code_mean_activation_, magnitude.mean(axis=0), rtol=1e-6)
    if sparsity == "kl":
        assert_allclose(sae.code_mean_activation_, sae.transform(X).mean(axis=0), rtol=1e-6)
    assert 0 <= sae.code_zero_fraction_ <= 1
    threshold = 1e-2 * magnitude.max()
    assert sae.code_zero_fraction_ == pytest.approx(np.mean(magnitude <= threshold))


def test_sparse_ae_zero_fraction_is_relative_to_code_scale():
    # Scaling the encoder's output layer (and undoing it in the decoder)
    # shrinks the L1 penalty, not the sparsity: the zero fraction must not move.
    X = low_rank_tanh_data()
    sae = SparseAE(n_components=8, **FAST).fit(X)
    before = sae.code_zero_fraction_
    last = sae.net_.module_.encoder[-1]
    with torch.no_grad():
        last.weight.mul_(1e-3)
        last.bias.mul_(1e-3)
    sae._fit_model_statistics(X, None)
    assert sae.code_zero_fraction_ == pytest.approx(before)


@pytest.mark.parametrize("sparsity", ["l1", "kl"])
def test_sparse_ae_history_logs_terms(sparsity):
    sae = SparseAE(n_components=4, sparsity=sparsity, sparsity_weight=0.1, **FAST).fit(
        low_rank_tanh_data()
    )
    history = sae.net_.history
    recon = np.asarray(history[:, "train_reconstruction"])
    penalty = np.asarray(history[:, "train_sparsity"])
    assert (penalty > 0).all()
    assert_allclose(recon + penalty, sae.loss_curve_, rtol=1e-5)


def test_sparse_ae_zero_weight_is_the_plain_autoencoder():
    X = low_rank_tanh_data()
    Z = SparseAE(n_components=3, sparsity="l1", sparsity_weight=0.0, **FAST).fit_transform(X)
    Z_plain = AutoencoderTransformer(n_components=3, **FAST).fit_transform(X)
    assert_array_equal(Z, Z_plain)


def test_sparse_ae_weight_changes_training():
    X = low_rank_tanh_data()
    Z0 = SparseAE(n_components=3, sparsity_weight=0.0, **FAST).fit_transform(X)
    Z1 = SparseAE(n_components=3, sparsity_weight=0.1, **FAST).fit_transform(X)
    assert not np.allclose(Z0, Z1)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"sparsity": "l2"}, "'sparsity' parameter"),
        ({"sparsity_weight": -1.0}, "'sparsity_weight' parameter"),
        ({"sparsity_target": 0.0}, "'sparsity_target' parameter"),
        ({"sparsity_target": 1.0}, "'sparsity_target' parameter"),
    ],
)
def test_sparse_ae_rejects_bad_params(params, match):
    with pytest.raises(InvalidParameterError, match=match):
        SparseAE(**params, **FAST).fit(low_rank_tanh_data())


def test_sparse_module_rejects_bad_params():
    with pytest.raises(ValueError, match="sparsity must be one of"):
        mlp_module(SparseAutoencoder, 4, 2, sparsity="l0")
    with pytest.raises(ValueError, match=r"sparsity_target must be in \(0, 1\)"):
        mlp_module(SparseAutoencoder, 4, 2, sparsity_target=1.5)


# --------------------------------------------------------------- quality (MNIST)
MNIST_NET = {
    "n_components": 128,
    "hidden_layer_sizes": (256,),
    "batch_size": 128,
    "max_iter": 15,
    "random_state": 0,
}


def _test_error(model, X):
    return float(np.mean((model.inverse_transform(model.transform(X)) - X) ** 2))


@pytest.fixture(scope="module")
def mnist_fit():
    """``fit(**penalty)``: a SparseAE of MNIST_NET on MNIST, fitted once per module."""
    X_train, X_test = mnist_train_heldout()
    fitted = {}

    def fit(**params):
        key = tuple(sorted(params.items()))
        if key not in fitted:
            fitted[key] = SparseAE(**MNIST_NET, **params).fit(X_train)
        return fitted[key]

    fit.X_test = X_test
    return fit


@pytest.fixture(scope="module")
def mnist_plain(mnist_fit):
    # A zero weight is the plain autoencoder, bit for bit (see the test above).
    return mnist_fit(sparsity="l1", sparsity_weight=0.0)


@pytest.mark.slow
def test_sparse_ae_kl_mean_activation_near_target_mnist(mnist_fit):
    rho = 0.05
    sae = mnist_fit(sparsity="kl", sparsity_weight=1e-2, sparsity_target=rho)
    activation = sae.code_mean_activation_
    print(
        f"KL: mean activation {activation.mean():.4f} (target {rho}), units in "
        f"[{activation.min():.4f}, {activation.max():.4f}]"
    )
    # Without the penalty, sigmoid units would sit near 0.5 on average.
    assert abs(activation.mean() - rho) < 0.2 * rho
    assert (activation > 0.5 * rho).all() and (activation < 1.5 * rho).all()
    held_out = sae.transform(mnist_fit.X_test).mean()
    assert abs(held_out - rho) < 0.3 * rho


@pytest.mark.slow
def test_sparse_ae_l1_zero_fraction_rises_with_weight_mnist(mnist_fit, mnist_plain):
    fractions = [mnist_plain.code_zero_fraction_]
    for weight in (1e-3, 1e-2):
        fractions.append(mnist_fit(sparsity="l1", sparsity_weight=weight).code_zero_fraction_)
    print("L1: near-zero fraction at weights 0, 1e-3, 1e-2:", [round(f, 3) for f in fractions])
    assert fractions[1] > 1.5 * fractions[0]
    assert fractions[2] > fractions[1] + 0.3


@pytest.mark.slow
@pytest.mark.parametrize(
    "params, factor",
    [
        ({"sparsity": "l1", "sparsity_weight": 1e-3}, 3.5),
        ({"sparsity": "kl", "sparsity_weight": 1e-2, "sparsity_target": 0.05}, 6.0),
    ],
)
def test_sparse_ae_reconstruction_within_factor_of_plain_ae_mnist(
    mnist_fit, mnist_plain, params, factor
):
    X_test = mnist_fit.X_test
    ratio = _test_error(mnist_fit(**params), X_test) / _test_error(mnist_plain, X_test)
    print(f"{params}: held-out error / plain autoencoder's = {ratio:.2f}")
    assert ratio < factor
