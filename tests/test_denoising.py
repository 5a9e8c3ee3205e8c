"""Tests for sklearn_ae._denoising.DenoisingAE and its torch module."""

import copy

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import NotFittedError
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_ae._autoencoder import AutoencoderTransformer
from sklearn_ae._denoising import DenoisingAE
from sklearn_ae.nn import DenoisingAutoencoder, ForwardOutput

from _helpers import mlp_module, mnist_train_heldout

CORRUPTIONS = ["gaussian", "masking", "salt_and_pepper"]
FAST = {"hidden_layer_sizes": (16,), "max_iter": 3, "random_state": 0}


def _data(n_samples=120, n_features=10, seed=0):
    """Low-rank data in [0, 1] with a different range per feature."""
    rng = np.random.default_rng(seed)
    Z = rng.standard_normal((n_samples, 3))
    X = 1 / (1 + np.exp(-Z @ rng.standard_normal((3, n_features))))
    return X * np.linspace(0.5, 1.0, n_features)


# --------------------------------------------------------------- corruption
@pytest.mark.parametrize("noise", CORRUPTIONS)
def test_denoising_ae_corrupts_in_training_only(noise):
    X = _data()
    dae = DenoisingAE(corruption=noise, corruption_level=0.5, **FAST).fit(X)
    Z = dae.transform(X)
    assert_array_equal(Z, dae.transform(X))
    # The same as the fitted module in eval mode applied by hand, in float64.
    module = copy.deepcopy(dae.net_.module_).double().eval()
    with torch.no_grad():
        assert_allclose(Z, module.encode(torch.tensor(X)).numpy(), rtol=1e-12, atol=1e-12)
        x = torch.tensor(X)
        assert torch.equal(module(x).input, x)
        recon = module.decode(module.encode(x))
        assert_allclose(dae.inverse_transform(Z), recon.numpy(), rtol=1e-10, atol=1e-12)
        score = -(recon - x).square().mean(dim=1)
        assert_allclose(dae.score_samples(X), score.numpy(), rtol=1e-10, atol=1e-12)
        module.train()
        assert not torch.equal(module(x).input, x)


def test_denoising_ae_gaussian_corruption_statistics():
    torch.manual_seed(0)
    module = mlp_module(
        DenoisingAutoencoder, 400, 2, corruption="gaussian", corruption_level=0.3
    ).train()
    x = torch.rand(500, 400)
    delta = (module.corrupt(x) - x).double()
    assert abs(delta.mean().item()) < 0.003
    assert delta.std().item() == pytest.approx(0.3, rel=0.01)
    # Fresh noise on every call.
    assert not torch.equal(module.corrupt(x), module.corrupt(x))


@pytest.mark.parametrize("corruption_level", [0.1, 0.5])
def test_denoising_ae_masking_corruption_statistics(corruption_level):
    torch.manual_seed(0)
    module = mlp_module(
        DenoisingAutoencoder, 400, 2, corruption="masking", corruption_level=corruption_level
    )
    x = torch.rand(500, 400) + 0.5  # no entry is 0 before masking
    x_tilde, mask = module.corrupt_with_mask(x)
    changed = x_tilde != x
    assert torch.equal(changed, mask)
    assert (x_tilde[changed] == 0).all()
    # 200,000 Bernoulli draws: the standard error of the fraction is < 0.0012.
    assert changed.double().mean().item() == pytest.approx(corruption_level, abs=0.005)


def test_denoising_ae_salt_and_pepper_uses_training_min_and_max():
    X = _data(n_samples=300, n_features=10)
    dae = DenoisingAE(corruption="salt_and_pepper", corruption_level=0.4, **FAST).fit(X)
    assert_allclose(dae.data_min_, X.min(axis=0))
    assert_allclose(dae.data_max_, X.max(axis=0))
    module = dae.net_.module_
    # Rows strictly inside the range, so every corrupted entry shows.
    x = torch.tensor(np.tile((X.min(axis=0) + X.max(axis=0)) / 2, (2000, 1)), dtype=torch.float32)
    torch.manual_seed(0)
    x_tilde, mask = module.corrupt_with_mask(x)
    assert mask.double().mean().item() == pytest.approx(0.4, abs=0.01)
    low = torch.tensor(X.min(axis=0), dtype=torch.float32).expand_as(x)
    high = torch.tensor(X.max(axis=0), dtype=torch.float32).expand_as(x)
    assert torch.equal(x_tilde == low, mask & (x_tilde != high))
    is_salt = x_tilde[mask] == high[mask]
    assert ((x_tilde[mask] == low[mask]) | is_salt).all()
    assert is_salt.double().mean().item() == pytest.approx(0.5, abs=0.02)
    assert torch.equal(x_tilde[~mask], x[~mask])


@pytest.mark.parametrize("noise", CORRUPTIONS)
def test_denoising_ae_random_state_repeats_and_leaves_global_rng(noise):
    X = _data()
    state = torch.get_rng_state()
    Z1 = DenoisingAE(corruption=noise, **FAST).fit_transform(X)
    assert torch.equal(state, torch.get_rng_state())
    Z2 = DenoisingAE(corruption=noise, **FAST).fit_transform(X)
    assert_array_equal(Z1, Z2)
    Z3 = DenoisingAE(corruption=noise, **{**FAST, "random_state": 1}).fit_transform(X)
    assert not np.array_equal(Z1, Z3)


def test_denoising_ae_noise_changes_training():
    # Gaussian noise of level 0 is the plain autoencoder's training problem;
    # a real noise level must change the fitted model.
    X = _data()
    Z0 = DenoisingAE(corruption_level=0.0, **FAST).fit_transform(X)
    Z1 = DenoisingAE(corruption_level=0.5, **FAST).fit_transform(X)
    assert not np.allclose(Z0, Z1)


# --------------------------------------------------------------- masked loss
def test_denoising_ae_masked_loss_counts_masked_entries_only():
    torch.manual_seed(0)
    module = mlp_module(
        DenoisingAutoencoder, 6, 2, corruption="masking", corruption_level=0.5, masked_loss=True
    )
    x = torch.rand(8, 6)
    mask = torch.rand(8, 6) < 0.5
    recon = x.clone()
    recon[~mask] += 10.0  # wrong where not masked: must not count
    recon[mask] += 0.5  # off by 0.5 where masked
    z = torch.zeros(8, 2)
    losses = module.loss(ForwardOutput(z=z, decoded=recon, input=x, mask=mask), x)
    assert losses.loss.item() == pytest.approx(0.25)
    # Without a mask (evaluation), every entry counts.
    full = module.loss(ForwardOutput(z=z, decoded=recon, input=x), x).loss.item()
    expected = ((recon - x) ** 2).mean().item()
    assert full == pytest.approx(expected)

    plain = mlp_module(DenoisingAutoencoder, 6, 2, corruption="masking", corruption_level=0.5)
    masked = ForwardOutput(z=z, decoded=recon, input=x, mask=mask)
    assert plain.loss(masked, x).loss.item() == pytest.approx(expected)


def test_denoising_ae_masked_loss_gradient_ignores_unmasked_outputs():
    torch.manual_seed(0)
    module = mlp_module(
        DenoisingAutoencoder, 6, 2, corruption="masking", corruption_level=0.5, masked_loss=True
    )
    x = torch.rand(8, 6)
    module.train()
    out = module(x)
    out.decoded.retain_grad()
    module.loss(out, x).loss.backward()
    grad = out.decoded.grad
    assert (grad[~out.mask] == 0).all()
    assert (grad[out.mask] != 0).any()


@pytest.mark.parametrize("noise", ["gaussian", "salt_and_pepper"])
def test_denoising_ae_masked_loss_needs_masking(noise):
    with pytest.raises(ValueError, match=r"masked_loss=True .*needs corruption='masking'"):
        DenoisingAE(corruption=noise, masked_loss=True, **FAST).fit(_data())


def test_denoising_ae_masked_loss_needs_positive_corruption_level():
    with pytest.raises(ValueError, match="corruption_level=0 masks no entry"):
        DenoisingAE(corruption="masking", corruption_level=0.0, masked_loss=True, **FAST).fit(
            _data()
        )


def test_denoising_ae_masked_loss_changes_training():
    X = _data()
    params = {"corruption": "masking", "corruption_level": 0.5, **FAST}
    masked = DenoisingAE(masked_loss=True, **params).fit(X)
    full = DenoisingAE(masked_loss=False, **params).fit(X)
    assert np.isfinite(masked.loss_curve_).all()
    # Same seed, same corruption draws: only the loss differs.
    assert not np.allclose(masked.transform(X), full.transform(X))


# --------------------------------------------------------------- parameters
@pytest.mark.parametrize(
    "params, match",
    [
        ({"corruption": "uniform"}, "'corruption' parameter"),
        ({"corruption_level": -0.1}, "'corruption_level' parameter"),
        ({"masked_loss": "yes"}, "'masked_loss' parameter"),
        ({"loss": "huber"}, "'loss' parameter"),
    ],
)
def test_denoising_ae_rejects_bad_params(params, match):
    with pytest.raises(InvalidParameterError, match=match):
        DenoisingAE(**params, **FAST).fit(_data())


@pytest.mark.parametrize("noise", ["masking", "salt_and_pepper"])
def test_denoising_ae_fraction_corruption_level_at_most_one(noise):
    with pytest.raises(ValueError, match=r"fraction of corrupted entries .* in \[0, 1\]"):
        DenoisingAE(corruption=noise, corruption_level=1.5, **FAST).fit(_data())


def test_denoising_ae_gaussian_corruption_level_may_exceed_one():
    DenoisingAE(corruption="gaussian", corruption_level=1.5, **FAST).fit(_data())


def test_denoising_ae_cross_entropy_needs_unit_range():
    with pytest.raises(ValueError, match=r"needs data in \[0, 1\]"):
        DenoisingAE(loss="binary_crossentropy", **FAST).fit(_data() * 3)


# --------------------------------------------------------------- impute
def _with_missing(X, fraction, seed=0):
    rng = np.random.default_rng(seed)
    missing = rng.random(X.shape) < fraction
    return np.where(missing, np.nan, X), missing


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_denoising_ae_impute_keeps_known_values(dtype):
    X = _data().astype(dtype)
    dae = DenoisingAE(corruption="masking", corruption_level=0.3, **FAST).fit(X)
    X_missing, missing = _with_missing(X, 0.3)
    before = X_missing.copy()
    filled = dae.impute(X_missing)
    assert filled.dtype == dtype
    assert not np.isnan(filled).any()
    assert_array_equal(filled[~missing], X[~missing])
    assert_array_equal(X_missing, before)  # the input is not modified
    assert not np.allclose(filled[missing], np.broadcast_to(dae.mean_, X.shape)[missing])


def test_denoising_ae_impute_without_missing_is_identity():
    X = _data()
    dae = DenoisingAE(corruption="masking", **FAST).fit(X)
    assert_array_equal(dae.impute(X), X)


@pytest.mark.parametrize("noise", CORRUPTIONS)
def test_denoising_ae_impute_zero_iterations_is_the_starting_fill(noise):
    # The masking value 0 for a masking-trained model, the training mean otherwise.
    X = _data()
    dae = DenoisingAE(corruption=noise, **FAST).fit(X)
    X_missing, missing = _with_missing(X, 0.3)
    filled = dae.impute(X_missing, n_iter=0)
    assert_allclose(dae.mean_, X.mean(axis=0))
    start = np.zeros(X.shape[1]) if noise == "masking" else X.mean(axis=0)
    assert_allclose(filled[missing], np.broadcast_to(start, X.shape)[missing])


@pytest.mark.parametrize(
    "noise, rounds", [("masking", 1), ("gaussian", 10), ("salt_and_pepper", 10)]
)
def test_denoising_ae_impute_auto_rounds(noise, rounds):
    X = _data()
    dae = DenoisingAE(corruption=noise, **FAST).fit(X)
    X_missing, _ = _with_missing(X, 0.3)
    filled = dae.impute(X_missing)
    assert_array_equal(filled, dae.impute(X_missing, n_iter=rounds))
    assert not np.array_equal(filled, dae.impute(X_missing, n_iter=rounds + 1))


def test_denoising_ae_impute_is_row_wise():
    X = _data()
    dae = DenoisingAE(corruption="masking", **FAST).fit(X)
    X_missing, _ = _with_missing(X[:20], 0.3)
    filled = dae.impute(X_missing)
    rows = np.vstack([dae.impute(row[None, :]) for row in X_missing])
    assert_allclose(filled, rows, rtol=1e-7, atol=1e-12)


def test_denoising_ae_impute_works_for_any_noise():
    X = _data()
    plain_like = DenoisingAE(corruption="gaussian", **FAST).fit(X)
    X_missing, missing = _with_missing(X, 0.2)
    filled = plain_like.impute(X_missing, n_iter=3)
    assert_array_equal(filled[~missing], X[~missing])
    assert np.isfinite(filled).all()


def test_denoising_ae_impute_rejects_wrong_width():
    X = _data()
    dae = DenoisingAE(corruption="masking", **FAST).fit(X)
    with pytest.raises(ValueError, match="X has 9 features, but DenoisingAE is expecting 10"):
        dae.impute(X[:, :9])


def test_denoising_ae_impute_rejects_infinity():
    X = _data()
    dae = DenoisingAE(corruption="masking", **FAST).fit(X)
    X_bad = X.copy()
    X_bad[0, 0] = np.inf
    X_bad[1, 1] = np.nan
    with pytest.raises(ValueError, match="Input X contains infinity"):
        dae.impute(X_bad)


@pytest.mark.parametrize("n_iter", [-1, 1.5, "3", True, None])
def test_denoising_ae_impute_rejects_bad_n_iter(n_iter):
    X = _data()
    dae = DenoisingAE(corruption="masking", **FAST).fit(X)
    with pytest.raises(ValueError, match="n_iter must be a non-negative integer or 'auto'"):
        dae.impute(X, n_iter=n_iter)


def test_denoising_ae_impute_needs_fit():
    with pytest.raises(NotFittedError):
        DenoisingAE().impute(_data())


def test_denoising_ae_transform_still_rejects_nan():
    X = _data()
    dae = DenoisingAE(corruption="masking", **FAST).fit(X)
    X_missing, _ = _with_missing(X, 0.1)
    with pytest.raises(ValueError, match="Input X contains NaN"):
        dae.transform(X_missing)


# --------------------------------------------------------------- quality (MNIST)
MNIST_NET = {
    "n_components": 128,
    "hidden_layer_sizes": (256,),
    "batch_size": 128,
    "max_iter": 20,
    "random_state": 0,
}
MNIST_CORRUPTION_LEVELS = {"gaussian": 1.0, "masking": 0.5, "salt_and_pepper": 0.4}


@pytest.fixture(scope="module")
def mnist_plain_ae():
    X_train, X_test = mnist_train_heldout()
    return X_train, X_test, AutoencoderTransformer(**MNIST_NET).fit(X_train)


def _corrupt(X, noise, level, low, high, seed=1):
    rng = np.random.default_rng(seed)
    if noise == "gaussian":
        return X + level * rng.standard_normal(X.shape).astype(X.dtype)
    hit = rng.random(X.shape) < level
    if noise == "masking":
        return np.where(hit, 0, X)
    return np.where(hit, np.where(rng.random(X.shape) < 0.5, high, low), X)


@pytest.mark.slow
@pytest.mark.parametrize("noise", CORRUPTIONS)
def test_denoising_ae_denoises_mnist_better_than_plain_ae(mnist_plain_ae, noise):
    X_train, X_test, plain = mnist_plain_ae
    level = MNIST_CORRUPTION_LEVELS[noise]
    dae = DenoisingAE(corruption=noise, corruption_level=level, **MNIST_NET).fit(X_train)
    X_noisy = _corrupt(X_test, noise, level, X_train.min(axis=0), X_train.max(axis=0))

    def clean_error(model):
        return np.mean((model.inverse_transform(model.transform(X_noisy)) - X_test) ** 2)

    ratio = clean_error(dae) / clean_error(plain)
    print(f"{noise}: error on clean digits, denoising / plain = {ratio:.3f}")
    assert ratio < 0.85


@pytest.mark.slow
def test_denoising_ae_impute_mnist_beats_mean_imputation(mnist_plain_ae):
    X_train, X_test, _ = mnist_plain_ae
    X_missing, missing = _with_missing(X_test, 0.3, seed=2)
    mean_fill = np.broadcast_to(X_train.mean(axis=0), X_test.shape)
    mean_error = np.mean((mean_fill - X_test)[missing] ** 2)

    def gain(model, **kwargs):
        error = np.mean((model.impute(X_missing, **kwargs) - X_test)[missing] ** 2)
        return mean_error / error

    masking = DenoisingAE(corruption="masking", corruption_level=0.3, **MNIST_NET).fit(X_train)
    # Trained without corruption: the plain autoencoder's problem, with impute.
    clean = DenoisingAE(corruption="gaussian", corruption_level=0.0, **MNIST_NET).fit(X_train)
    gains = {
        "masking, auto (1 round from 0)": gain(masking),
        "masking, 10 rounds": gain(masking, n_iter=10),
        "no noise, auto (10 rounds from the mean)": gain(clean),
        "no noise, 1 round": gain(clean, n_iter=1),
    }
    for name, value in gains.items():
        print(f"impute 30% missing pixels, {name}: mean-imputation error / error = {value:.2f}")
    assert gains["masking, auto (1 round from 0)"] > 2.5
    # The choices behind n_iter="auto": one round for a masking model, which
    # drifts when fed its own output, and many for the others.
    assert gains["masking, 10 rounds"] < gains["masking, auto (1 round from 0)"]
    assert gains["no noise, auto (10 rounds from the mean)"] > gains["no noise, 1 round"]
