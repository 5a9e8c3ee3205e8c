"""Architectures as a parameter: every model with every network, and the user's own."""

import pickle

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler
from torch import nn

from sklearn_ae import AutoencoderTransformer, ContractiveAE, DenoisingAE, VAETransformer
from sklearn_ae.architectures import MLP, Conv1dNet, ConvNet, RecurrentNet, TorchModules
from sklearn_ae.nn import ConvDecoder, ConvEncoder, mlp_jacobian_sq_norm, projected_jacobian_sq_norm

from _helpers import NEURAL

FAST = {"max_iter": 2, "random_state": 0}


def _user_modules():
    encoder = nn.Sequential(nn.Linear(64, 32), nn.ReLU())
    decoder = nn.Sequential(nn.Linear(5, 32), nn.ReLU(), nn.Linear(32, 64))
    return TorchModules(encoder=encoder, decoder=decoder)


@pytest.fixture(scope="module")
def data(digits):
    X, y = digits
    return X[:300], y[:300]


# -------------------------------------------------------- the user's modules
@pytest.mark.parametrize("cls", NEURAL)
def test_torch_modules_work_with_every_estimator(cls, data):
    X, y = data
    est = cls(n_components=5, architecture=_user_modules(), **FAST).fit(X, y)
    Z = est.transform(X)
    assert Z.shape == (len(X), 5)
    assert est.inverse_transform(Z).shape == X.shape
    assert est.sample(4, random_state=0).shape == (4, 64)
    scores = est.score_samples(X[:10])
    assert scores.shape == (10,) and np.all(np.isfinite(scores))
    # clone gives an unfitted copy with its own modules; refitting repeats exactly.
    twin = clone(est)
    assert twin.architecture.encoder is not est.architecture.encoder
    assert_array_equal(twin.fit(X, y).transform(X), Z)
    restored = pickle.loads(pickle.dumps(est))
    assert_array_equal(restored.transform(X), Z)
    assert_array_equal(restored.score_samples(X[:10]), scores)


def test_torch_modules_are_never_trained_and_the_seed_decides_their_start(data):
    X, _ = data
    arch = _user_modules()
    before = [p.detach().clone() for p in arch.encoder.parameters()]
    first = AutoencoderTransformer(n_components=5, architecture=arch, **FAST).fit(X)
    for p, q in zip(arch.encoder.parameters(), before, strict=True):
        assert torch.equal(p, q)
    # Other initial weights in the user's modules: the fit is the same.
    other = _user_modules()
    second = AutoencoderTransformer(n_components=5, architecture=other, **FAST).fit(X)
    assert_array_equal(first.transform(X), second.transform(X))


def test_conditional_torch_modules_get_a_conditioning_layer(data):
    from sklearn_ae import ConditionalVAE

    X, y = data
    cvae = ConditionalVAE(n_components=5, architecture=_user_modules(), **FAST).fit(X, y)
    samples = cvae.sample(20, y=3, random_state=0)
    other = cvae.sample(20, y=7, random_state=0)
    # The same codes decoded with another label give other data.
    assert not np.allclose(samples, other)


# -------------------------------------------------------- every architecture
ARCHITECTURES = [
    MLP((16,), "tanh"),
    ConvNet(input_shape=(1, 8, 8), channels=(4, 8)),
    Conv1dNet(input_shape=(8, 8), channels=(4,)),
    RecurrentNet(input_shape=(8, 8), hidden_size=6),
    RecurrentNet(input_shape=(-1, 1), cell="gru", hidden_size=4, bidirectional=True),
]


@pytest.mark.parametrize("architecture", ARCHITECTURES, ids=lambda a: type(a).__name__)
@pytest.mark.parametrize("cls", NEURAL)
def test_every_estimator_trains_with_every_architecture(cls, architecture, data):
    X, y = data
    est = cls(n_components=3, architecture=architecture, **FAST).fit(X, y)
    Z = est.transform(X)
    assert Z.shape == (len(X), 3) and np.all(np.isfinite(Z))
    assert est.inverse_transform(Z).shape == X.shape
    assert est.loss_curve_[-1] < est.loss_curve_[0] or est.n_iter_ == 1
    # Seeded: the same fit twice gives the same model.
    again = cls(n_components=3, architecture=clone(architecture), **FAST).fit(X, y)
    assert_array_equal(again.transform(X), Z)


def test_architecture_parameters_are_searchable_in_a_pipeline(data):
    X, y = data
    pipe = Pipeline(
        [
            ("scale", MinMaxScaler()),
            ("ae", AutoencoderTransformer(n_components=4, architecture=ConvNet((1, 8, 8)), **FAST)),
            ("clf", LogisticRegression(max_iter=200)),
        ]
    )
    grid = {"ae__architecture__channels": [(4,), (4, 8)]}
    search = GridSearchCV(pipe, grid, cv=2).fit(X, y)
    assert search.best_params_["ae__architecture__channels"] in grid["ae__architecture__channels"]
    assert len(search.cv_results_["params"]) == 2
    # The search fitted clones: the estimator in the grid is untouched.
    assert pipe.get_params()["ae__architecture__channels"] == (16, 32)


@pytest.mark.parametrize(
    "shape", [(1, 28, 28), (3, 9, 7), (2, 5, 1), (1, 1, 13)], ids=lambda s: "x".join(map(str, s))
)
def test_conv_decoder_gives_back_any_image_size(shape):
    n = int(np.prod(shape))
    for stride in (1, 2, 3):
        enc = ConvEncoder(shape, (4, 6), kernel_size=3, stride=stride, activation="relu")
        dec = ConvDecoder(2, shape, (4, 6), kernel_size=3, stride=stride, activation="relu")
        assert enc(torch.zeros(3, n)).dim() == 2
        assert tuple(dec(torch.zeros(3, 2)).shape) == (3, n)


def test_conv1d_rows_are_read_time_major():
    # A row is (T, C): channel c of step t sits at t * C + c. With a 1x1
    # convolution that reads channel 0 only, the code of a row only depends
    # on the entries of that channel.
    enc = ConvEncoder((5, 2), (1,), kernel_size=1, stride=1, activation="identity")
    with torch.no_grad():
        enc.convs[0].weight.copy_(torch.tensor([[[1.0], [0.0]]]))
        enc.convs[0].bias.zero_()
    x = torch.arange(10.0).reshape(1, 10)
    assert_array_equal(enc(x).detach().numpy().ravel(), [0.0, 2.0, 4.0, 6.0, 8.0])


# ------------------------------------------------------------------ bad input
def test_row_width_not_matching_input_shape_names_both(data):
    X, _ = data
    ae = AutoencoderTransformer(architecture=ConvNet(input_shape=(1, 28, 28)), **FAST)
    with pytest.raises(ValueError, match=r"1 x 28 x 28 = 784 features, but X has 64 features"):
        ae.fit(X)
    ae = AutoencoderTransformer(architecture=RecurrentNet(input_shape=(-1, 3)), **FAST)
    with pytest.raises(ValueError, match="multiple of 3, but X has 64 features"):
        ae.fit(X)


def test_module_returning_the_wrong_shape_names_expected_and_actual(data):
    X, _ = data
    bad_decoder = TorchModules(
        encoder=nn.Sequential(nn.Linear(64, 8), nn.ReLU()), decoder=nn.Linear(5, 63)
    )
    with pytest.raises(ValueError, match=r"(?s)returns shape \(2, 63\).*expected \(2, 64\)"):
        AutoencoderTransformer(n_components=5, architecture=bad_decoder, **FAST).fit(X)
    bad_encoder = TorchModules(encoder=nn.Linear(50, 8), decoder=nn.Linear(5, 64))
    with pytest.raises(ValueError, match=r"(?s)encoder of TorchModules.*batch of shape \(2, 64\)"):
        AutoencoderTransformer(n_components=5, architecture=bad_encoder, **FAST).fit(X)


def test_an_architecture_the_model_cannot_use_is_a_clear_error(data):
    X, _ = data
    with pytest.raises(ValueError, match=r"Wrap your modules in .*TorchModules"):
        AutoencoderTransformer(architecture=nn.Linear(64, 2), **FAST).fit(X)
    with pytest.raises(ValueError, match="architecture must be None or an architecture"):
        AutoencoderTransformer(architecture="conv", **FAST).fit(X)
    with pytest.raises(ValueError, match="input_shape of 3 numbers"):
        AutoencoderTransformer(architecture=ConvNet(input_shape=(64,)), **FAST).fit(X)
    with pytest.raises(ValueError, match="input_shape may hold at most one -1"):
        AutoencoderTransformer(architecture=ConvNet(input_shape=(-1, -1, 1)), **FAST).fit(X)


def test_failed_build_leaves_the_estimator_unfitted(data):
    from sklearn.exceptions import NotFittedError

    X, _ = data
    ae = AutoencoderTransformer(**FAST).fit(X)
    ae.set_params(architecture=ConvNet(input_shape=(1, 28, 28)))
    with pytest.raises(ValueError):
        ae.fit(X)
    with pytest.raises(NotFittedError):
        ae.transform(X)


# ------------------------------------------------- the contractive penalty
def test_projected_jacobian_norm_is_exact_with_a_full_basis():
    torch.manual_seed(0)
    mlp = nn.Sequential(nn.Linear(6, 5), nn.Tanh(), nn.Linear(5, 3)).double()
    x = torch.randn(7, 6, dtype=torch.float64)
    _, closed = mlp_jacobian_sq_norm(mlp, x)
    _, basis = projected_jacobian_sq_norm(mlp, x, None)
    assert_allclose(basis.detach().numpy(), closed.detach().numpy(), rtol=1e-12)


def test_projected_jacobian_norm_is_unbiased():
    torch.manual_seed(0)
    mlp = nn.Sequential(nn.Linear(6, 5), nn.Tanh(), nn.Linear(5, 3)).double()
    x = torch.randn(7, 6, dtype=torch.float64)
    _, exact = mlp_jacobian_sq_norm(mlp, x)
    draws = torch.stack([projected_jacobian_sq_norm(mlp, x, 1)[1] for _ in range(4000)])
    mean, stderr = draws.mean(dim=0), draws.std(dim=0) / np.sqrt(len(draws))
    assert torch.all((mean - exact).abs() < 4 * stderr)
    # One projection is noisy; more lower the variance.
    many = torch.stack([projected_jacobian_sq_norm(mlp, x, 2)[1] for _ in range(4000)])
    assert torch.all(many.var(dim=0) < draws.var(dim=0))


def test_projected_jacobian_penalty_trains_the_weights():
    torch.manual_seed(0)
    mlp = nn.Sequential(nn.Linear(4, 3), nn.Tanh(), nn.Linear(3, 2))
    x = torch.randn(5, 4)
    _, sq_norm = projected_jacobian_sq_norm(mlp, x, 1)
    sq_norm.sum().backward()
    assert mlp[0].weight.grad is not None and mlp[0].weight.grad.abs().sum() > 0


def test_contractive_ae_on_a_conv_net_has_the_exact_jacobian_norm(data):
    X, _ = data
    cae = ContractiveAE(n_components=3, architecture=ConvNet((1, 8, 8), channels=(4,)), **FAST)
    cae.fit(X)
    encoder = cae._module.encoder.double().eval()
    rows = torch.tensor(X[:4])
    expected = [
        torch.autograd.functional.jacobian(encoder, row[None]).square().sum() for row in rows
    ]
    assert_allclose(cae.jacobian_norm(X[:4]), torch.stack(expected).numpy(), rtol=1e-8)


# ------------------------------------------------------ the user's corruption
def _halve(x):
    # A degradation that needs no randomness: every other feature blanked.
    out = x.clone()
    out[:, ::2] = 0
    return out


def test_denoising_ae_trains_on_a_user_corruption_only_in_training(data):
    X, _ = data
    calls = []

    def corrupt(x):
        calls.append(tuple(x.shape))
        return _halve(x)

    dae = DenoisingAE(n_components=4, corruption=corrupt, **FAST).fit(X)
    assert calls and all(shape[1] == 64 for shape in calls)
    n_calls = len(calls)
    Z = dae.transform(X)
    assert_array_equal(dae.transform(X), Z)
    assert len(calls) == n_calls
    plain = DenoisingAE(n_components=4, corruption="gaussian", corruption_level=0.0, **FAST)
    assert not np.allclose(plain.fit(X).transform(X), Z)
    # A module-level function pickles with the model.
    restored = pickle.loads(pickle.dumps(DenoisingAE(corruption=_halve, **FAST).fit(X)))
    assert restored.transform(X).shape == (len(X), 2)


def test_user_corruption_of_the_wrong_shape_is_a_clear_error(data):
    X, _ = data
    with pytest.raises(ValueError, match=r"must return a tensor of the batch's shape"):
        DenoisingAE(corruption=lambda x: x[:, :10], **FAST).fit(X)


# --------------------------------------------------------------- training
def test_recurrent_biases_get_no_weight_decay(data):
    X, _ = data
    ae = AutoencoderTransformer(architecture=RecurrentNet((8, 8), hidden_size=4), **FAST).fit(X)
    groups = ae.net_.optimizer_.param_groups
    names = {id(p): n for n, p in ae._module.named_parameters()}
    for group in groups:
        for p in group["params"]:
            is_bias = "bias" in names[id(p)].rsplit(".", 1)[-1]
            assert (group["weight_decay"] == 0) == is_bias, names[id(p)]


def test_history_holds_plain_per_epoch_records(data):
    X, _ = data
    vae = VAETransformer(n_components=2, early_stopping=True, **{**FAST, "max_iter": 3}).fit(X)
    assert len(vae.history_) == vae.n_iter_ == 3
    assert {"epoch", "train_loss", "valid_loss", "train_kl", "valid_kl", "dur"} <= set(
        vae.history_[0]
    )
    assert not any(key.endswith("_best") or key == "batches" for key in vae.history_[0])
    assert [e["train_loss"] for e in vae.history_] == vae.loss_curve_
    assert pickle.loads(pickle.dumps(vae.history_)) == vae.history_
