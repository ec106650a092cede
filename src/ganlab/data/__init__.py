"""LightningDataModules. Each yields training batches in the generator's output range (`value_range`)
and offers `data_shape` (after `setup`) and a fixed `validation_sample(n)` for pictures and checks."""
