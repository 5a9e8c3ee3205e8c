"""Tests for sklearn_ae.callbacks."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_ae._vae import VAETransformer
from sklearn_ae.callbacks import KLWarmup

# Short fits often end before the codes spread out; the collapse warning
# is tested where it matters.
pytestmark = pytest.mark.filterwarnings("ignore:.*posterior collapse:UserWarning")

FAST = {"hidden_layer_sizes": (8,), "random_state": 0}


@pytest.fixture(scope="module")
def X(digits):
    return digits[0][:200]


@pytest.mark.parametrize("beta", [1.0, 2.5])
def test_kl_warmup_ramps_linearly_from_zero_to_beta(X, beta):
    vae = VAETransformer(beta=beta, kl_warmup=4, max_iter=7, **FAST).fit(X)
    weights = vae.net_.history[:, "kl_weight"]
    assert_allclose(weights, beta * np.array([0, 1 / 4, 2 / 4, 3 / 4, 1, 1, 1]))
    # Back at the target after training.
    assert vae.net_.module_.kl_weight == beta


def test_kl_warmup_weight_function():
    warmup = KLWarmup(n_epochs=3)
    assert [warmup.weight(epoch, 1.5) for epoch in (1, 2, 3, 4, 10)] == [0, 0.5, 1.0, 1.5, 1.5]
    assert KLWarmup(n_epochs=0).weight(1, 2.0) == 2.0


def test_no_warmup_means_full_weight_and_no_schedule(X):
    vae = VAETransformer(beta=2.0, max_iter=2, **FAST).fit(X)
    assert "kl_weight" not in vae.net_.history[-1]
    assert vae.net_.module_.kl_weight == 2.0


def test_kl_warmup_longer_than_training_warns(X):
    with pytest.warns(UserWarning, match="never reaches beta"):
        VAETransformer(kl_warmup=3, max_iter=3, **FAST).fit(X)


def test_kl_warmup_warns_when_early_stopping_ends_it(X):
    # A huge tol makes every epoch "no improvement": training stops at epoch 2.
    vae = VAETransformer(kl_warmup=5, max_iter=20, tol=1e9, n_iter_no_change=1, **FAST)
    with pytest.warns(UserWarning, match=r"stopped after 2 epoch\(s\), within the KL warm-up"):
        vae.fit(X)
    assert vae.n_iter_ == 2
    assert vae.net_.module_.kl_weight == vae.beta


def test_kl_warmup_warmed_model_differs_from_plain(X):
    plain = VAETransformer(max_iter=4, **FAST).fit(X)
    warmed = VAETransformer(kl_warmup=3, max_iter=4, **FAST).fit(X)
    # Same seed, same data: only the KL weight of the first epochs differs.
    assert plain.kl_curve_[0] == warmed.kl_curve_[0]  # before any step
    # Adam's first step moves each weight by the learning rate times the sign
    # of its gradient, which the KL term may not flip: compare after two steps.
    assert plain.kl_curve_[2] != warmed.kl_curve_[2]
    assert not np.allclose(plain.transform(X), warmed.transform(X))


def test_kl_warmup_invalid_length(X):
    with pytest.raises(ValueError, match="n_epochs must be a non-negative integer"):
        KLWarmup(n_epochs=-2).initialize()
    with pytest.raises(InvalidParameterError, match="kl_warmup"):
        VAETransformer(kl_warmup=1.5, max_iter=2).fit(X)


def test_kl_warmup_is_usable_as_user_callback(X):
    # Passed by the user, it drives the module the same way (and is copied).
    callback = KLWarmup(n_epochs=2)
    vae = VAETransformer(max_iter=3, callbacks=[("warmup", callback)], **FAST).fit(X)
    assert_allclose(vae.net_.history[:, "kl_weight"], [0, 0.5, 1])
    assert vae.callbacks[0][1] is callback
