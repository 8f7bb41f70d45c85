"""A value per slot, made again only when its inputs change: what `serve`'s cache is made of
(see `cache`). Light to import: the stages use it with or without a cache.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar

V = TypeVar("V")


class Memo(Generic[V]):
    """One value per slot (a manuscript's path, a page's output path), made again only when
    the inputs it is made from differ from the ones it was last made from.

    Inputs are compared with `==`, not hashed: most of them are the very objects the previous
    build used (the same parsed blocks, the same Source), and tuple equality short-cuts on
    identity, so checking that nothing changed costs next to nothing. `collect()`, after a
    successful build, forgets the slots that build did not use (a deleted chapter's page).
    """

    def __init__(self) -> None:
        self._kept: dict[object, tuple[object, V]] = {}
        self._used: dict[object, tuple[object, V]] = {}
        self.made = 0  # values made since the last `collect()`
        self.reused = 0

    def get(self, slot: object, inputs: object, make: Callable[[], V]) -> V:
        entry = self._used.get(slot) or self._kept.get(slot)
        if entry is not None and entry[0] == inputs:
            self.reused += 1
        else:
            entry = (inputs, make())
            self.made += 1
        self._used[slot] = entry
        return entry[1]

    def keep(self, slot: object) -> None:
        """Keep the value at `slot` for the next build, though this one did not ask for it: a
        value made from it was reused whole (see `BuildCache.prepare`)."""
        self.keep_all((slot,))

    def keep_all(self, slots: Iterable[object]) -> None:
        """`keep` each of `slots`, in one call: a character's thousand chapters."""
        used, kept = self._used, self._kept
        for slot in slots:
            if slot not in used and (entry := kept.get(slot)) is not None:
                used[slot] = entry

    def collect(self) -> None:
        self._kept, self._used = self._used, {}
        self.made = self.reused = 0


def recall(memo: Memo[V] | None, slot: object, inputs: object, make: Callable[[], V]) -> V:
    """`make()`; with a `memo` (`serve`'s), the value made for `slot` from equal `inputs` in an
    earlier build, if there is one."""
    return make() if memo is None else memo.get(slot, inputs, make)


def recall_whole(
    whole: Memo[V] | None,
    parts: Memo[Any] | None,
    slot: object,
    inputs: object,
    make: Callable[[], V],
    part_slots: Callable[[V], Iterable[object]],
) -> V:
    """`recall(whole, ...)`, for a value that `make` puts together from values it recalls
    from `parts`: when the whole is reused, the slots of `parts` it was made from
    (`part_slots(value)`) are kept with it, for the build where some of them change."""
    if whole is None:
        return make()
    made = whole.made
    value = whole.get(slot, inputs, make)
    if parts is not None and whole.made == made:
        parts.keep_all(part_slots(value))
    return value
