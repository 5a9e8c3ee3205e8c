"""
====================================================
Convolutional autoencoder and VAE on MNIST digits
====================================================

A fully connected network sees a 28 x 28 digit as 784 unrelated numbers; a
convolutional one knows which pixels are neighbours, and reuses the same
small filters all over the image. Pass
``architecture=ConvNet(input_shape=(1, 28, 28))`` to any neural estimator
to get one: the images stay flattened rows (``X`` is still 2-D, so scalers
and pipelines work as usual) and the network reshapes each row to one
channel of 28 x 28 pixels.

We train a convolutional :class:`~sklearn_ae.AutoencoderTransformer` and a
convolutional :class:`~sklearn_ae.VAETransformer` on the MNIST digits that
ship with the package, and compare their held-out reconstruction error with
PCA's at the same code size.

To keep the documentation build to about a minute on two CPU cores, every
network is trained for 10 epochs only, far from converged: the training
curves printed below are still falling.
"""

# %%
# Data
# ----
# :func:`~sklearn_ae.datasets.mnist_split` returns the package's convention:
# 8,000 training digits and 2,000 held-out ones, pixels as float32 in [0, 1],
# each image flattened row by row into 784 columns.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.decomposition import PCA

from sklearn_ae import AutoencoderTransformer, VAETransformer
from sklearn_ae.architectures import ConvNet
from sklearn_ae.datasets import mnist_split
from sklearn_ae.plotting import ReconstructionDisplay, SampleGridDisplay

X_train, X_test, y_train, y_test = mnist_split()
print(f"train {X_train.shape}, held out {X_test.shape}")

# %%
# The architecture
# ----------------
# ``input_shape`` is ``(channels, height, width)``, torch's order: one grey
# channel here. Each of the ``channels=(16, 32)`` convolutions has stride 2,
# so the maps shrink from 28 x 28 to 14 x 14 to 7 x 7; the last one is
# flattened (32 x 7 x 7 features) and goes through a dense layer
# (``hidden_layer_sizes``, 256 units by default) to the linear code head
# that the library adds. The decoder mirrors it, with transposed
# convolutions back to 28 x 28.
#
# The architecture only describes the network: each estimator builds its
# own at fit time, so the same object serves both models below.
n_components = 16
conv = ConvNet(input_shape=(1, 28, 28), channels=(16, 32))
training = dict(max_iter=10, batch_size=64, learning_rate_init=3e-3, random_state=0)

ae = AutoencoderTransformer(n_components=n_components, architecture=conv, **training)
ae = ae.fit(X_train)

# %%
# A convolutional VAE is the same network with two code heads (mean and
# log-variance of the posterior); the library adds the second head. With
# pixels in [0, 1], a Bernoulli likelihood is the usual choice for digits.
vae = VAETransformer(
    n_components=n_components, architecture=conv, likelihood="bernoulli", **training
)
vae = vae.fit(X_train)

pca = PCA(n_components=n_components).fit(X_train)

# %%
# Reconstructions of held-out digits
# ----------------------------------
# Top row of each panel: digits the models never saw; bottom row:
# ``inverse_transform(transform(X))``, through a code of 16 numbers. The VAE
# reconstructs from the posterior mean.
fig, axes = plt.subplots(2, 1, figsize=(8, 4.2), layout="constrained")
for ax, (name, model) in zip(axes, {"conv autoencoder": ae, "conv VAE": vae}.items(), strict=True):
    ReconstructionDisplay.from_estimator(model, X_test, n_images=10, ax=ax, vmin=0, vmax=1)
    ax.set_title(name)


# %%
# Held-out error against PCA
# --------------------------
# Mean squared error per pixel on the 2,000 held-out digits, each model with
# a code of 16 numbers. PCA is the best *linear* code of that size; the
# convolutional models beat it even after this short training.
def held_out_mse(model):
    return float(np.mean((model.inverse_transform(model.transform(X_test)) - X_test) ** 2))


print(f"{'model':18s} {'code size':>9s} {'held-out MSE':>13s}")
for name, model in {"PCA": pca, "conv autoencoder": ae, "conv VAE": vae}.items():
    print(f"{name:18s} {n_components:9d} {held_out_mse(model):13.4f}")

# %%
# The training curves
# -------------------
# ``history_`` holds one dict per epoch with the loss terms of the model:
# for the VAE, the reconstruction term and the KL divergence, in nats per
# digit. The reconstruction term is still falling after 10 epochs.
for name in ("train_reconstruction", "train_kl"):
    print(f"{name:22s}", " ".join(f"{epoch[name]:6.1f}" for epoch in vae.history_))

# %%
# New digits from the VAE
# -----------------------
# ``sample`` decodes draws from the VAE's standard normal prior; with a
# Bernoulli likelihood it returns the pixel probabilities.
fig, ax = plt.subplots(figsize=(7, 3), layout="constrained")
SampleGridDisplay.from_estimator(
    vae, n_samples=30, n_cols=10, random_state=0, ax=ax, vmin=0, vmax=1
)
ax.set_title("samples of the convolutional VAE")
plt.show()
