"""scikit-learn's own estimator checks, over every public estimator."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_ae import (
    PPCA,
    AutoencoderTransformer,
    ConditionalVAE,
    ContractiveAE,
    DenoisingAE,
    SparseAE,
    VAETransformer,
)

# Tiny networks and few epochs: the checks fit a few hundred times, and what
# they test (the API contract) does not depend on training to convergence.
FAST = {"hidden_layer_sizes": (8,), "max_iter": 3, "random_state": 0}

ESTIMATORS = [
    PPCA(),
    AutoencoderTransformer(**FAST),
    DenoisingAE(noise="gaussian", **FAST),
    DenoisingAE(noise="masking", masked_loss=True, **FAST),
    DenoisingAE(noise="salt_and_pepper", **FAST),
    SparseAE(sparsity="l1", **FAST),
    SparseAE(sparsity="kl", **FAST),
    ContractiveAE(**FAST),
    VAETransformer(**FAST),
    VAETransformer(likelihood="gaussian_fixed", kl_warmup=1, **FAST),
    ConditionalVAE(**FAST),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
