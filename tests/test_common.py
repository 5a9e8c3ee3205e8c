"""scikit-learn's own estimator checks, over every public estimator."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_ae import (
    PPCA,
    DenoisingAE,
    SparseAE,
    VAETransformer,
)

from _helpers import NEURAL

# Tiny networks and few epochs: the checks fit a few hundred times, and what
# they test (the API contract) does not depend on training to convergence.
FAST = {"hidden_layer_sizes": (8,), "max_iter": 3, "random_state": 0}

ESTIMATORS = [
    # Every estimator at its default parameters...
    PPCA(),
    *(cls() for cls in NEURAL),
    # ...with two components (some checks fit data with exactly two features,
    # so this is also n_components == n_features)...
    PPCA(n_components=2),
    *(cls(n_components=2, max_iter=3, random_state=0) for cls in NEURAL),
    # ...and each family of configurations that changes the training code path.
    # Cross-entropy and Bernoulli models need data in [0, 1], which no tag can
    # ask of the checks (their data go beyond 1): they have tests of their own.
    DenoisingAE(corruption="masking", masked_loss=True, **FAST),
    DenoisingAE(corruption="salt_and_pepper", **FAST),
    SparseAE(sparsity="kl", **FAST),
    VAETransformer(likelihood="gaussian_fixed", kl_warmup=1, **FAST),
    VAETransformer(early_stopping=True, **FAST),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
