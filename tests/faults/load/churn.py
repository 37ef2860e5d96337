"""Tokens created and revoked while requests run, with every moment on one monotonic clock.

The revoker writes the token file (atomically, as terok does) and notes when each write
had completed. Probers ask for a repository with tokens picked at random and note when
each request started and ended and what it got. Then:
- a request that started after its token's revocation had been written must be a 403;
- a request that ran entirely between its token's creation and the start of its
  revocation must be a 200 (the control: the tokens did work while they existed).
Requests that overlap a write may go either way and are not judged.
"""

from __future__ import annotations

import http.client
import random
import threading
import time
from dataclasses import dataclass, field

from tests.gate_support.gate import Site
from tests.gate_support.http import basic

REFS = "/alpha.git/info/refs?service=git-upload-pack"


@dataclass
class TokenLife:
    """When a churned token's creation was written, and when its revocation began and ended."""

    token: str
    created: float
    revoking: float = float("inf")
    revoked: float = float("inf")


@dataclass(frozen=True)
class Probe:
    """One request with a churned token: when it ran and what it got."""

    token: str
    started: float
    ended: float
    status: int


@dataclass
class Churn:
    """Creates and revokes tokens for project alpha while probers use them."""

    site: Site
    port: int
    stable: dict[str, dict[str, str]]  # tokens that stay (the cloners')
    lives: dict[str, TokenLife] = field(default_factory=dict)
    probes: list[Probe] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _write(self) -> None:
        live = {
            t: {"project": "alpha", "task": t}
            for t, life in self.lives.items()
            if life.revoking == float("inf")
        }
        self.site.write_tokens({**self.stable, **live})

    def revoke_in_turn(self, count: int, pause: float) -> None:
        """Create `count` tokens one after another, each revoked `pause` s after creation."""
        try:
            for number in range(count):
                token = f"tok-churn-{number:03d}"
                with self._lock:
                    self.lives[token] = TokenLife(token, created=float("inf"))
                    self._write()
                    self.lives[token].created = time.monotonic()
                time.sleep(pause)
                with self._lock:
                    self.lives[token].revoking = time.monotonic()
                    self._write()
                    self.lives[token].revoked = time.monotonic()
        finally:
            self.done.set()

    def probe_until_done(self, seed: int, limit: int) -> None:
        """Ask with random known tokens (live or revoked) until the revoker is done."""
        chooser = random.Random(seed)
        for _ in range(limit):
            if self.done.is_set():
                return
            with self._lock:
                tokens = list(self.lives)
            if tokens:
                self.probes.append(self._ask(chooser.choice(tokens)))
            else:
                time.sleep(0.01)

    def _ask(self, token: str) -> Probe:
        started = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request("GET", REFS, headers={"Authorization": basic(token)})
            response = conn.getresponse()
            response.read()
        finally:
            conn.close()
        return Probe(token, started, time.monotonic(), response.status)

    def verdicts(self) -> tuple[list[Probe], list[Probe], list[Probe]]:
        """(requests after revocation, those of them let in, requests while valid)."""
        after = [p for p in self.probes if p.started > self.lives[p.token].revoked]
        let_in = [p for p in after if p.status != 403]
        valid = [
            p
            for p in self.probes
            if self.lives[p.token].created < p.started and p.ended < self.lives[p.token].revoking
        ]
        return after, let_in, valid
