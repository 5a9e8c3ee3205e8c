"""
===========================================================
The digits in two dimensions: PCA, an autoencoder and a VAE
===========================================================

Three transformers squeeze the 64 pixels of scikit-learn's handwritten digits
into two numbers each. PCA keeps the two directions of largest variance; an
autoencoder learns a nonlinear map; a variational autoencoder learns a
nonlinear map whose codes are pulled towards a standard normal distribution.
:class:`~sklearn_ae.plotting.LatentSpaceDisplay` draws each latent space with
one colour per digit.
"""

# %%
# Three models, one interface
# ---------------------------
# The estimators are interchangeable: each one is fitted with ``fit`` and
# encodes with ``transform``. Pixels are scaled to [0, 1].
import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.model_selection import cross_val_score
from sklearn.neighbors import KNeighborsClassifier

from sklearn_ae import AutoencoderTransformer, VAETransformer
from sklearn_ae.plotting import LatentSpaceDisplay

X, y = load_digits(return_X_y=True)
X = X / 16

models = {
    "PCA": PCA(n_components=2),
    "Autoencoder": AutoencoderTransformer(
        n_components=2, hidden_layer_sizes=(128, 32), max_iter=150, random_state=0
    ),
    "VAE": VAETransformer(
        n_components=2, hidden_layer_sizes=(128, 32), max_iter=150, random_state=0
    ),
}
for model in models.values():
    model.fit(X)

# %%
# The latent spaces side by side
# ------------------------------
# PCA's map is a linear shadow of the data: many digits overlap. The
# autoencoder pulls most classes apart into clusters, at a scale and place of
# its own choosing. The VAE also separates the classes, but its codes fill a
# round region of about the size of its standard normal prior, without large
# holes: decoding any point of that region gives a plausible digit, which is
# what makes it a generative model.
fig, axes = plt.subplots(1, 3, figsize=(15, 4.8), layout="constrained")
for ax, (name, model) in zip(axes, models.items(), strict=True):
    disp = LatentSpaceDisplay.from_estimator(model, X, y, ax=ax, legend=ax is axes[-1])
    ax.set_title(name)
disp.legend_.set_bbox_to_anchor((1.02, 1.0))
disp.legend_.set_loc("upper left")
disp.legend_.set_title("digit")

# %%
# How much of the class structure survives?
# -----------------------------------------
# A nearest-neighbour classifier on the two codes measures how well each map
# keeps digits of one class together (5-fold cross-validation on the codes;
# the encoders saw no labels).
for name, model in models.items():
    Z = model.transform(X)
    accuracy = cross_val_score(KNeighborsClassifier(), Z, y, cv=5).mean()
    print(f"{name:12s} 2-D k-NN accuracy: {accuracy:.2f}")

plt.show()
