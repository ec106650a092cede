import pytest

from ganlab.errors import ConfigError
from ganlab.validate import problems, validate_config


def test_the_default_config_is_valid(make_config):
    assert problems(make_config()) == []


@pytest.mark.parametrize(
    "override, message",
    [
        ("data.batch_size=0", "data.batch_size = 0: must be a positive integer"),
        ("data.batch_size=2.5", "data.batch_size = 2.5: must be a positive integer"),
        ("optim.lr=-1", "optim.lr = -1: must be a positive number"),
        ("optim.generator.lr=0", "optim.generator.lr = 0: must be a positive number"),
        ("model.adam.lr=abc", "model.adam.lr = 'abc': must be a positive number"),
        ("optim.betas=[0.5,1.2]", "optim.betas = [0.5, 1.2]: must be two numbers in [0, 1), e.g. [0.5, 0.999]"),
        ("d_steps=0", "d_steps = 0: must be a positive integer (updates per iteration)"),
        ("seed=-3", "seed = -3: must be a non-negative integer"),
        ("model.latent.dim=0", "model.latent.dim = 0: must be a positive integer"),
        ("model.discriminator.dropout=1.0", "model.discriminator.dropout = 1.0: must be a dropout rate in [0, 1)"),
        (
            "trainer.limit_val_batches=1.5",
            "trainer.limit_val_batches = 1.5: must be a fraction in [0.0, 1.0] of each evaluation's samples, "
            "a whole number of batches (0: no evaluations), or null (all)",
        ),
        (
            "trainer.max_steps=0",
            "trainer.max_steps = 0: must be a positive number of iterations, "
            "or -1 to train for trainer.max_epochs instead",
        ),
    ],
)
def test_a_bad_value_is_named_with_what_is_allowed(make_config, override, message):
    assert problems(make_config(override)) == [message]


def test_one_mistake_gives_one_message_even_when_interpolated_elsewhere(make_config):
    # optim.lr feeds optim.generator.lr and optim.discriminator.lr through ${..lr}
    assert problems(make_config("optim.lr=-1")) == ["optim.lr = -1: must be a positive number"]


def test_momentum_is_checked_for_sgd(make_config):
    assert problems(make_config("optim=sgd", "optim.momentum=1.5")) == [
        "optim.momentum = 1.5: must be a number in [0, 1)"
    ]


def test_training_without_any_limit_is_refused(make_config):
    assert problems(make_config("trainer.max_steps=-1", "trainer.max_epochs=-1")) == [
        "trainer.max_steps = -1 and trainer.max_epochs = -1: training would never end; set one of them"
    ]


def test_a_missing_value_is_reported(make_config):
    assert problems(make_config("data.batch_size=???")) == [
        "data.batch_size is required but has no value (???): set it on the command line, data.batch_size=..."
    ]


def test_all_problems_come_in_one_error(make_config):
    with pytest.raises(ConfigError) as caught:
        validate_config(make_config("data.batch_size=0", "optim.lr=-1"))
    text = str(caught.value)
    assert text.startswith("invalid configuration, nothing was trained:")
    assert "  data.batch_size = 0: must be a positive integer" in text
    assert "  optim.lr = -1: must be a positive number" in text
    assert caught.value.problems == [
        "data.batch_size = 0: must be a positive integer",
        "optim.lr = -1: must be a positive number",
    ]
