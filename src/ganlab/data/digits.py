"""scikit-learn's bundled handwritten digits: 1797 images of 8x8 pixels, 17 grey levels, ten classes.

Real data that ships with the package, so the default run needs no download.
"""

from __future__ import annotations

import torch

from ganlab.data.in_memory import InMemoryImageDataModule


class DigitsDataModule(InMemoryImageDataModule):
    def load(self) -> tuple[torch.Tensor, torch.Tensor]:
        from sklearn.datasets import load_digits  # deferred: importing scikit-learn takes a while

        digits = load_digits()
        # grey levels 0..16 -> 0..255; the 17 levels stay distinct
        images = torch.from_numpy(digits.images).mul(255.0 / 16.0).round().to(torch.uint8).unsqueeze(1)
        return images, torch.from_numpy(digits.target).long()
