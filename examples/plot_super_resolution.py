"""
=================================================
Super-resolution with a user-defined corruption
=================================================

:class:`~sklearn_ae.DenoisingAE` learns to undo whatever corruption it is
trained with, and ``corruption=`` accepts your own: a function that takes a
training batch (a float32 torch tensor of shape ``(batch, n_features)``) and
returns the degraded batch, of the same shape. Here the degradation halves
the resolution of MNIST digits, so the model learns **super-resolution**:
from a 14 x 14 digit, recover the 28 x 28 one. We compare it with bilinear
interpolation of the same low-resolution images.

The same recipe gives inpainting (blank a random patch) or watermark
removal (overlay a mark): only the function changes.

To keep the documentation build to about a minute on two CPU cores, the
network trains for 10 epochs on 8,000 digits.
"""

# %%
# The degradation
# ---------------
# Each row is a flattened 28 x 28 image. ``downsample`` averages blocks of
# 2 x 2 pixels (a 14 x 14 image) and blows each one back up to 2 x 2
# identical pixels, so that its output has the input's shape, as a
# corruption must. It runs inside torch on every training batch. It is
# defined at the top level of the module so that the fitted model can be
# pickled.
import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F

from sklearn_ae import DenoisingAE
from sklearn_ae.architectures import ConvNet
from sklearn_ae.datasets import mnist_split

SIZE = 28  # MNIST images are 28 x 28
FACTOR = 2


def downsample(X):
    """Average-pool ``(batch, 784)`` rows by 2 and upsample back (nearest)."""
    images = X.reshape(-1, 1, SIZE, SIZE)
    low = F.avg_pool2d(images, FACTOR)
    return F.interpolate(low, scale_factor=FACTOR, mode="nearest").reshape(len(X), -1)


# %%
# Training
# --------
# The model sees ``downsample(batch)`` as input and is trained to reconstruct
# the full-resolution batch. A convolutional network suits images; the code
# must be wide enough to carry the detail of a 28 x 28 digit, so it has 64
# numbers here. The code head reads the last feature map directly
# (``hidden_layer_sizes=()``, no dense layer in between): in this short
# training that restored more detail than ``ConvNet``'s default dense layer
# of 256 units.
X_train, X_test, _, _ = mnist_split()

model = DenoisingAE(
    n_components=64,
    architecture=ConvNet(input_shape=(1, SIZE, SIZE), channels=(16, 32), hidden_layer_sizes=()),
    corruption=downsample,
    max_iter=10,
    batch_size=64,
    learning_rate_init=3e-3,
    random_state=0,
)
model.fit(X_train)

# %%
# Held-out digits
# ---------------
# The test digits are degraded by the same function, once. The model's
# super-resolved image is ``inverse_transform(transform(X_low))``; the
# baseline is bilinear interpolation of the same 14 x 14 images.
with torch.no_grad():
    test = torch.from_numpy(X_test)
    X_low = downsample(test).numpy()
    low = F.avg_pool2d(test.reshape(-1, 1, SIZE, SIZE), FACTOR)
    X_bilinear = (
        F.interpolate(low, size=(SIZE, SIZE), mode="bilinear", align_corners=False)
        .reshape(len(test), -1)
        .numpy()
    )
X_model = model.inverse_transform(model.transform(X_low))

# %%
# Side by side: the original digits, the low-resolution input (drawn with
# its 2 x 2 blocks), bilinear interpolation, and the model's output.
rows = {
    "original": X_test,
    "low resolution": X_low,
    "bilinear": X_bilinear,
    "DenoisingAE": X_model,
}
n_images = 8
fig, axes = plt.subplots(len(rows), n_images, figsize=(8, 4.4), layout="constrained")
for row, (name, images) in zip(axes, rows.items(), strict=True):
    for ax, image in zip(row, images[:n_images], strict=True):
        ax.imshow(image.reshape(SIZE, SIZE), cmap="gray_r", vmin=0, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
    row[0].set_ylabel(name, rotation=0, ha="right", va="center")

# %%
# Held-out error
# --------------
# Mean squared error per pixel against the original digits, over the 2,000
# held-out digits, and the peak signal-to-noise ratio it corresponds to for
# pixels in [0, 1] (``10 log10(1 / MSE)``, higher is better). Bilinear
# interpolation can only smooth the blocks; the model has learned what
# digits look like and draws sharp strokes instead.
print(f"{'method':16s} {'MSE':>8s} {'PSNR (dB)':>10s}")
for name, images in list(rows.items())[1:]:
    mse = float(np.mean((images - X_test) ** 2))
    print(f"{name:16s} {mse:8.4f} {10 * np.log10(1 / mse):10.2f}")
plt.show()
