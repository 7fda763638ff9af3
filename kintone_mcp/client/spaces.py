"""Which path each app is reached on: ``/k/v1/`` or ``/k/guest/{space}/v1/`` (docs/kintone-api.md §1).

Kintone refuses a guest-space app on the normal path (400 ``GAIA_IL23``) and an app on the path of a guest space it
is not in (403 ``CB_NO02``), so one client used to reach either the normal apps or one guest space. Here every app
has its own path, learnt rather than configured: the connection sends to the path it knows (the configured guest
space, or the normal path, for an app it has not met), and on one of those two refusals it probes the candidate
paths with ``app.json`` (a read that changes nothing), remembers the one that answers, and sends again. The
refusals happen before anything is done, so sending again is safe even for writes.

Candidates come from what Kintone said: the space named in the refusal's text (the sandbox names it; Kintone's
own message does not, measured by cli-kintone's report, so it is only a hint), an app list's ``spaceId``, the
configured guest space, and the guest spaces other apps were found in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

#: a guest-space app called on the normal path
GUEST_APP_ON_NORMAL_PATH = "GAIA_IL23"
#: a guest path for an app outside that guest space (Kintone's generic "no privilege" code)
NOT_IN_THIS_SPACE = "CB_NO02"
_SPACE_IN_TEXT = re.compile(r"/k/guest/(\d+)/|guest space (\d+)", re.IGNORECASE)

Space = int | None


def space_named_in(text: str) -> int | None:
    """The guest space id a refusal's message names, if it names one."""
    for match in _SPACE_IN_TEXT.finditer(text or ""):
        number = match.group(1) or match.group(2)
        if number:
            return int(number)
    return None


@dataclass
class AppSpaces:
    """App id -> the guest space it lives in (None: the normal path), as far as this connection has learnt."""

    #: the configured guest space (KINTONE_GUEST_SPACE_ID): the path of apps not met yet
    default: int | None = None
    _known: dict[int, Space] = field(default_factory=dict)
    #: spaceId from app lists: a guess to try first (a space id alone does not say it is a guest space)
    _hints: dict[int, int] = field(default_factory=dict)
    #: spaces the space APIs found to be guest spaces (their own calls go to their guest path)
    _guest: set[int] = field(default_factory=set)

    def of(self, app: int) -> Space:
        return self._known.get(app, self.default)

    def knows(self, app: int) -> bool:
        return app in self._known

    def learn(self, app: int, space: Space) -> None:
        self._known[app] = space

    def hint(self, app: int, space: int) -> None:
        self._hints[app] = space

    def mark_guest(self, space: int) -> None:
        self._guest.add(space)

    def is_guest(self, space: int) -> bool:
        return space in self._guest or space == self.default

    def guest_spaces(self) -> list[int]:
        """Every guest space this connection knows of: the configured one, those apps were found in, and those
        the space APIs met."""
        found = {s for s in self._known.values() if s is not None} | self._guest
        if self.default is not None:
            found.add(self.default)
        return sorted(found)

    def candidates(self, app: int, used: Space, message: str) -> list[Space]:
        """Paths to probe after ``used`` was refused, most likely first: refused on a guest path, the normal path;
        then the guest spaces that may hold the app."""
        guesses = [space_named_in(message), self._hints.get(app), self.default, *self.guest_spaces()]
        out: list[Space] = [None] if used is not None else []
        for space in guesses:
            if space is not None and space != used and space not in out:
                out.append(space)
        return out
