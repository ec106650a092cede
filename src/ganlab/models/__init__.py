"""Generator and discriminator architectures.

Contract every architecture keeps: a generator maps z of shape (N, latent_dim) to samples of shape
(N, *data_shape) in the range of its `output_activation`; a discriminator maps (N, *data_shape) to raw
logits of shape (N,). Both take `data_shape` from the datamodule, so none hard-codes an image size.
"""
