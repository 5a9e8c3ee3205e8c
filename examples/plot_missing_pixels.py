"""
============================================
Filling in missing pixels with masking noise
============================================

A :class:`~sklearn_ae.DenoisingAE` trained with ``corruption="masking"`` sees
digits with random pixels hidden and learns to guess them from the others.
Its :meth:`~sklearn_ae.DenoisingAE.impute` method uses that skill on data
with missing values marked ``NaN``: the missing entries are filled in, the
observed ones are left alone. With ``masked_loss=True`` the training loss is
taken on the hidden pixels only, the objective of a masked autoencoder.

We compare it with scikit-learn's mean and nearest-neighbour imputers.
"""

# %%
# Digits with holes
# -----------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.impute import KNNImputer, SimpleImputer
from sklearn.model_selection import train_test_split

from sklearn_ae import DenoisingAE
from sklearn_ae.plotting import ReconstructionDisplay

X, y = load_digits(return_X_y=True)
X_train, X_test = train_test_split(X / 16, test_size=0.3, random_state=0)
rng = np.random.default_rng(0)


def hide(X, fraction):
    """A copy of X with a random ``fraction`` of its pixels set to NaN."""
    X = X.copy()
    X[rng.random(X.shape) < fraction] = np.nan
    return X


# %%
# Training the imputers
# ---------------------
# The autoencoder is trained on complete digits, hiding half of the pixels of
# every mini-batch anew; the other imputers learn from the same digits.
dae = DenoisingAE(
    n_components=16,
    corruption="masking",
    corruption_level=0.5,
    masked_loss=True,
    hidden_layer_sizes=(128,),
    max_iter=150,
    random_state=0,
).fit(X_train)
imputers = {
    "mean": SimpleImputer().fit(X_train),
    "5 nearest neighbours": KNNImputer(n_neighbors=5).fit(X_train),
}

# %%
# What the autoencoder fills in
# -----------------------------
# Missing pixels are drawn in red. With 40% of the pixels gone, the digits
# are still recognisable once filled in.
X_missing = hide(X_test, 0.4)
X_filled = dae.impute(X_missing)
disp = ReconstructionDisplay.from_predictions(
    X_test, X_filled, X_corrupted=X_missing, n_images=10, estimator_name="DenoisingAE.impute"
)
disp.ax_.set_yticklabels(["original", "40% missing", "filled in"])
disp.figure_.set_size_inches(8, 3.2)

# %%
# Error on the missing pixels
# ---------------------------
# The root-mean-square error over the missing pixels only, for growing
# fractions of missing pixels. The mean imputer ignores the rest of the
# image; the autoencoder uses it and does much better. On these small digits,
# nearest neighbours do better still: 1,257 training digits cover the space
# of 8x8 digits densely, and a neighbour search over them is cheap. The
# autoencoder is a parametric model instead: it imputes without keeping the
# training data, at a cost that does not grow with it, which is what matters
# for large data sets.
fractions = [0.1, 0.3, 0.5, 0.7]
errors = {name: [] for name in ["DenoisingAE", *imputers]}
for fraction in fractions:
    X_missing = hide(X_test, fraction)
    missing = np.isnan(X_missing)
    fills = {"DenoisingAE": dae.impute(X_missing)}
    fills.update({name: imp.transform(X_missing) for name, imp in imputers.items()})
    for name, X_hat in fills.items():
        errors[name].append(np.sqrt(np.mean((X_hat[missing] - X_test[missing]) ** 2)))

fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
for name, values in errors.items():
    ax.plot(fractions, values, marker="o", label=name)
ax.set_xlabel("fraction of pixels missing")
ax.set_ylabel("RMSE on the missing pixels")
ax.set_ylim(bottom=0)
ax.legend()
for name, values in errors.items():
    print(f"{name:22s}", "  ".join(f"{v:.3f}" for v in values))
plt.show()
