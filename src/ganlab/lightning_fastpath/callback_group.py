"""CallbackGroup: a run's own callbacks handed to Lightning as one, so a hook costs a call only where it acts.

Lightning calls every hook on every callback, inside a profiler context, whether the callback implements
the hook or not: under manual optimization an iteration runs eight hooks, so a dozen callbacks make about a
hundred visits per iteration, nearly all to Lightning's empty defaults (docs/speed.md has the cost).
Lightning offers no way to register a callback for some hooks only; the group is the supported way round
it: Lightning visits the group once per hook, and the group calls, in their order, the members whose class
overrides that hook (each still in its own `[Callback]<name>.<hook>` profiler action, so
`trainer.profiler=simple` times them as before).

Members are the callbacks Lightning never looks for by type (`grouped`): a subclass of one of Lightning's
own callbacks (ModelCheckpoint, a progress bar, EarlyStopping, ...) stays in `trainer.callbacks` itself,
where Lightning finds it. Their state is saved in checkpoints under the group, keyed by each member's
`state_key`. ganlab's parts never look each other up (they publish to the run's record, ganlab.run_record);
to inspect a trainer's callbacks by type, as tests do, use `find_callback(trainer, kind)` or `every_callback(trainer)`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

import pytorch_lightning as pl
from pytorch_lightning.callbacks import Callback

# every hook Lightning calls on a callback with the trainer first; the checkpoint-state methods are below
HOOKS = tuple(
    name
    for name, _ in inspect.getmembers(Callback, inspect.isfunction)
    if name.startswith("on_") or name in ("setup", "teardown")
)

LIGHTNING_PACKAGES = ("pytorch_lightning", "lightning")

CallbackType = TypeVar("CallbackType", bound=Callback)


def implements(instance: object, hook: str, base: type = Callback) -> bool:
    """Whether `instance`'s class overrides `base`'s `hook` (a callback's by default, or a LightningModule's)."""
    return getattr(type(instance), hook) is not getattr(base, hook)


def found_by_type(callback: Callback) -> bool:
    """Whether it derives from one of Lightning's callbacks (other than Callback): Lightning looks those up."""
    return any(
        cls is not Callback and issubclass(cls, Callback) and cls.__module__.split(".")[0] in LIGHTNING_PACKAGES
        for cls in type(callback).__mro__
    )


def _dispatcher(hook: str) -> Callable[..., None]:
    def dispatch(self: CallbackGroup, trainer: pl.Trainer, *args: Any, **kwargs: Any) -> None:
        self.call_members(hook, trainer, *args, **kwargs)

    dispatch.__name__ = dispatch.__qualname__ = hook
    return dispatch


class CallbackGroup(Callback):
    def __init__(self, members: Iterable[Callback]) -> None:
        self.members = list(members)
        self._implementing = {
            hook: [
                (getattr(member, hook), f"[Callback]{member.state_key}.{hook}")
                for member in self.members
                if implements(member, hook)
            ]
            for hook in HOOKS
        }

    def call_members(self, hook: str, trainer: pl.Trainer, *args: Any, **kwargs: Any) -> None:
        for method, action in self._implementing[hook]:
            with trainer.profiler.profile(action):
                method(trainer, *args, **kwargs)

    def state_dict(self) -> dict[str, Any]:
        return {member.state_key: state for member in self.members if (state := member.state_dict())}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        for member in self.members:
            if member.state_key in state_dict:
                member.load_state_dict(state_dict[member.state_key])


for _hook in HOOKS:
    if _hook not in vars(CallbackGroup):
        setattr(CallbackGroup, _hook, _dispatcher(_hook))


def grouped(callbacks: Iterable[Callback]) -> list[Callback]:
    """`callbacks` with those Lightning does not look up by type gathered into one CallbackGroup, placed
    where the first of them was (a lone one is left as it is)."""
    callbacks = list(callbacks)
    members = [callback for callback in callbacks if not found_by_type(callback)]
    if len(members) < 2:
        return callbacks
    others = [callback for callback in callbacks if found_by_type(callback)]
    first = callbacks.index(members[0])  # every callback before the first member is one of the others
    return [*others[:first], CallbackGroup(members), *others[first:]]


def hook_methods(callbacks: Iterable[Callback], hook: str) -> list[Callable[..., None]]:
    """The methods that `hook` calls on `callbacks`, a group's members' in its place: none for a hook that no
    callback implements."""
    methods: list[Callable[..., None]] = []
    for callback in callbacks:
        if isinstance(callback, CallbackGroup):
            methods += [method for method, _ in callback._implementing[hook]]
        elif implements(callback, hook):
            methods.append(getattr(callback, hook))
    return methods


def every_callback(trainer: pl.Trainer) -> Iterator[Callback]:
    """The trainer's callbacks, a group's members in its place."""
    for callback in trainer.callbacks:
        yield from callback.members if isinstance(callback, CallbackGroup) else (callback,)


def find_callback(trainer: pl.Trainer, kind: type[CallbackType]) -> CallbackType | None:
    """The trainer's first callback of type `kind`, in a group or not; None without one."""
    return next((callback for callback in every_callback(trainer) if isinstance(callback, kind)), None)
