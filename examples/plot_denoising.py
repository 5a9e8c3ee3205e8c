"""
===========================================
Denoising digits: three kinds of corruption
===========================================

A :class:`~sklearn_ae.DenoisingAE` is trained to reconstruct clean digits
from corrupted copies, made afresh for every mini-batch. Once trained it
cleans new corrupted images: ``inverse_transform(transform(X_noisy))``.
We train one model per kind of corruption and compare it with a plain
autoencoder trained on clean digits only.
"""

# %%
# Data and corruptions
# --------------------
# The test digits are corrupted the way each model is trained: additive
# Gaussian noise, masking (a random 40% of the pixels set to 0), and
# salt-and-pepper (a random 20% set to black or white).
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from sklearn_ae import AutoencoderTransformer, DenoisingAE
from sklearn_ae.plotting import ReconstructionDisplay

X, y = load_digits(return_X_y=True)
X_train, X_test = train_test_split(X / 16, test_size=0.3, random_state=0)
rng = np.random.default_rng(0)

corruption_levels = {"gaussian": 0.3, "masking": 0.4, "salt_and_pepper": 0.2}


def corrupt(X, noise, level):
    X = X.copy()
    if noise == "gaussian":
        return X + level * rng.standard_normal(X.shape)
    hit = rng.random(X.shape) < level
    if noise == "masking":
        X[hit] = 0.0
    else:  # salt and pepper: black or white with equal odds
        X[hit] = rng.integers(0, 2, size=hit.sum())
    return X


X_noisy = {noise: corrupt(X_test, noise, level) for noise, level in corruption_levels.items()}

# %%
# One denoising autoencoder per corruption
# ----------------------------------------
params = dict(n_components=16, hidden_layer_sizes=(128,), max_iter=100, random_state=0)
denoisers = {
    noise: DenoisingAE(corruption=noise, corruption_level=level, **params).fit(X_train)
    for noise, level in corruption_levels.items()
}
plain = AutoencoderTransformer(**params).fit(X_train)

# %%
# Before and after
# ----------------
# Each panel shows clean test digits, their corrupted versions, and what the
# denoising autoencoder makes of the corrupted ones. The model never saw these
# digits, nor these particular corruptions.
fig, axes = plt.subplots(3, 1, figsize=(8, 9), layout="constrained")
for ax, (noise, model) in zip(axes, denoisers.items(), strict=True):
    ReconstructionDisplay.from_estimator(
        model, X_test, X_corrupted=X_noisy[noise], n_images=10, image_shape=(8, 8), ax=ax
    )
    ax.set_title(f'corruption="{noise}"')


# %%
# How much noise is removed?
# --------------------------
# The mean squared error to the clean digits, for the corrupted inputs
# themselves, for a plain autoencoder's reconstruction of them, and for the
# denoising autoencoder's. The plain autoencoder already removes much of the
# noise (its bottleneck cannot represent it), but training on corrupted
# inputs does better on every kind of corruption.
def mse(A):
    return np.mean((A - X_test) ** 2)


rows = {
    "corrupted input": [mse(X_noisy[n]) for n in corruption_levels],
    "plain autoencoder": [
        mse(plain.inverse_transform(plain.transform(X_noisy[n]))) for n in corruption_levels
    ],
    "denoising autoencoder": [
        mse(m.inverse_transform(m.transform(X_noisy[n]))) for n, m in denoisers.items()
    ],
}
fig, ax = plt.subplots(figsize=(7, 3.5), layout="constrained")
width = 0.27
positions = np.arange(len(corruption_levels))
for i, (label, values) in enumerate(rows.items()):
    ax.bar(positions + (i - 1) * width, values, width, label=label)
ax.set_xticks(positions, labels=list(corruption_levels))
ax.set_ylabel("mean squared error\nto the clean digits")
ax.set_ylim(top=1.3 * max(rows["corrupted input"]))
ax.legend(loc="upper center", ncols=3, fontsize="small")
for label, values in rows.items():
    print(f"{label:22s}", "  ".join(f"{v:.4f}" for v in values))
plt.show()
