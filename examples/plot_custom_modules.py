"""
==========================================
Your own torch modules inside an estimator
==========================================

The built-in architectures (:class:`~sklearn_ae.architectures.MLP`,
:class:`~sklearn_ae.architectures.ConvNet`, ...) cover the common cases.
For anything else, write the two networks in PyTorch and hand them to
:class:`~sklearn_ae.architectures.TorchModules`: the estimator keeps its
whole scikit-learn interface (``fit``, ``transform``, ``inverse_transform``,
``sample``, ``score``, pipelines, grid search, pickling) and adds what the
model needs around your networks.

Here, on scikit-learn's 8 x 8 digits, a small convolutional encoder and
decoder written by hand serve first in an
:class:`~sklearn_ae.AutoencoderTransformer`, then, unchanged, in a
:class:`~sklearn_ae.VAETransformer`. To keep the documentation build
short, each model trains for 60 epochs only, on 1,257 digits.
"""

# %%
# The two networks
# ----------------
# The contract is about shapes only:
#
# * the **encoder** takes a batch of flattened rows ``(batch, n_features)``
#   and returns features of any width (more axes are flattened): the library
#   puts the linear code head on top, one for an autoencoder, two (mean and
#   log-variance) for a VAE;
# * the **decoder** takes codes ``(batch, n_components)`` and returns rows
#   ``(batch, n_features)``; the library adds the output link the loss needs
#   (a sigmoid for a Bernoulli likelihood or a cross-entropy loss).
#
# Define the classes at the top level of a module (or script), so that the
# fitted estimators can be pickled.
import pickle

import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn

from sklearn_ae import AutoencoderTransformer, VAETransformer
from sklearn_ae.architectures import TorchModules
from sklearn_ae.plotting import ReconstructionDisplay, SampleGridDisplay


class DigitEncoder(nn.Module):
    """Flattened 8 x 8 digits to 16 feature maps of 4 x 4."""

    def __init__(self):
        super().__init__()
        self.convs = nn.Sequential(
            nn.Conv2d(1, 16, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.Conv2d(16, 16, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )

    def forward(self, x):
        return self.convs(x.reshape(-1, 1, 8, 8))  # (batch, 16, 4, 4)


class DigitDecoder(nn.Module):
    """Codes to flattened 8 x 8 digits."""

    def __init__(self, n_components):
        super().__init__()
        self.expand = nn.Sequential(nn.Linear(n_components, 16 * 4 * 4), nn.ReLU())
        self.convs = nn.Sequential(
            nn.Upsample(scale_factor=2),
            nn.Conv2d(16, 16, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.Conv2d(16, 1, kernel_size=3, padding=1),
        )

    def forward(self, z):
        h = self.expand(z).reshape(-1, 16, 4, 4)
        return self.convs(h).flatten(1)  # (batch, 64)


n_components = 8
architecture = TorchModules(encoder=DigitEncoder(), decoder=DigitDecoder(n_components))
weights_passed_in = [p.detach().clone() for p in architecture.encoder.parameters()]

X, y = load_digits(return_X_y=True)
X_train, X_test = train_test_split(X / 16, test_size=0.3, random_state=0)

# %%
# An autoencoder
# --------------
# ``architecture=`` replaces the MLP that ``hidden_layer_sizes`` would build.
params = dict(n_components=n_components, max_iter=60, learning_rate_init=3e-3, random_state=0)
ae = AutoencoderTransformer(architecture=architecture, **params).fit(X_train)
codes = ae.transform(X_test)
print("codes:", codes.shape, " samples:", ae.sample(5, random_state=0).shape)

# %%
# The trained torch module shows what the library added: after your encoder,
# a ``Flatten`` (its output has three more axes) and the ``Linear`` code head.
print(ae.net_.module_)

# %%
# The modules you passed are never trained themselves: each fit trains deep
# copies, whose parameters are first re-initialised from ``random_state``
# (every layer's ``reset_parameters``). So the same seed gives the same
# model, and the architecture object can be reused, cloned or grid-searched.
# (Only layers that define ``reset_parameters``, as torch's do, are reset: a
# bare ``nn.Parameter`` of yours keeps the value you gave it.)
unchanged = all(
    torch.equal(before, after)
    for before, after in zip(weights_passed_in, architecture.encoder.parameters(), strict=True)
)
print("the encoder passed in is unchanged by fit:", unchanged)
again = AutoencoderTransformer(architecture=architecture, **params).fit(X_train)
print("same random_state, same codes:", np.array_equal(again.transform(X_test), codes))

# %%
# The same modules in a VAE
# -------------------------
# Nothing changes in your code: the VAE puts two heads on the encoder's
# features and, with ``likelihood="bernoulli"``, reads the decoder's output
# as the logits of the pixels.
vae = VAETransformer(architecture=architecture, likelihood="bernoulli", **params).fit(X_train)
print(vae.net_.module_.mean_head, vae.net_.module_.logvar_head, sep="\n")

# %%
# How well do they reconstruct digits they never saw? The default MLP at the
# same code size, trained for as many epochs, gives a reference.
mlp = AutoencoderTransformer(hidden_layer_sizes=(128,), **params).fit(X_train)


def held_out_mse(model):
    return float(np.mean((model.inverse_transform(model.transform(X_test)) - X_test) ** 2))


models = {"MLP autoencoder": mlp, "your modules, AE": ae, "your modules, VAE": vae}
for name, model in models.items():
    print(f"{name:18s} held-out MSE {held_out_mse(model):.4f}")

fig, axes = plt.subplots(2, 1, figsize=(7, 3.6), layout="constrained")
for ax, (name, model) in zip(axes, {"autoencoder": ae, "VAE": vae}.items(), strict=True):
    ReconstructionDisplay.from_estimator(
        model, X_test, n_images=10, image_shape=(8, 8), ax=ax, vmin=0, vmax=1
    )
    ax.set_title(f"your modules, {name}")

# %%
# Sampling
# --------
# ``sample`` works as for any estimator: the autoencoder decodes draws from
# a Gaussian fitted to its training codes, the VAE draws from its prior.
fig, axes = plt.subplots(1, 2, figsize=(8, 2.6), layout="constrained")
for ax, (name, model) in zip(axes, {"autoencoder": ae, "VAE": vae}.items(), strict=True):
    SampleGridDisplay.from_estimator(
        model, n_samples=20, n_cols=5, image_shape=(8, 8), random_state=0, ax=ax, vmin=0, vmax=1
    )
    ax.set_title(f"samples, {name}")

# %%
# Pickling
# --------
# A fitted model pickles with its modules, because their classes are
# importable by name (defined at the top level here).
restored = pickle.loads(pickle.dumps(vae))
same = np.array_equal(restored.transform(X_test), vae.transform(X_test))
print("restored model, same codes:", same)
plt.show()
