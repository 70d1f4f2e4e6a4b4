"""The model manager's hub search, off the GUI thread.

One worker thread; a new search replaces one still waiting, and a search that finishes
after a newer one was asked for is not reported (the person has moved on). Each repo's
file listing is a request of its own, so a search stops between them when cancelled.

Signals:
    found(str, list): the query, and [(HubRepo, HubFiles)] for the repos that matched.
    failed(str, str): the query, and one sentence saying why it failed.
"""

from __future__ import annotations

import logging
import queue
import threading

from PySide6.QtCore import QObject, Signal

from desktop.core.errors import HearthError
from desktop.services.models.hub_search import list_repo_files, search_hub

__all__ = ["HubSearcher"]

log = logging.getLogger(__name__)
_REPOS = 10  # repos listed per search (each costs one more request)


class HubSearcher(QObject):
    found = Signal(str, list)
    failed = Signal(str, str)

    def __init__(self, *, endpoint: str | None = None) -> None:
        super().__init__()
        self._endpoint = endpoint
        self._queries: queue.Queue[str | None] = queue.Queue()
        self._latest = ""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="hearth-hub-search", daemon=True)
        self._thread.start()

    def search(self, query: str) -> None:
        self._latest = query
        self._queries.put(query)

    def cancel(self) -> None:
        """Forget the search in flight: it stops between requests and reports nothing."""
        self._latest = ""

    def shutdown(self, timeout: float = 15.0) -> None:
        """Stop after the request in flight (each is bounded in time) and join."""
        self._stop.set()
        self._queries.put(None)
        self._thread.join(timeout)

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        while (query := self._queries.get()) is not None:
            if query != self._latest or self._stop.is_set():
                continue  # a newer search was asked for meanwhile
            try:
                results = []
                for repo in search_hub(query, endpoint=self._endpoint, limit=_REPOS):
                    if query != self._latest or self._stop.is_set():
                        break
                    results.append((repo, list_repo_files(repo.repo_id, endpoint=self._endpoint)))
                else:
                    self.found.emit(query, results)
            except HearthError as error:
                self.failed.emit(query, str(error))
            except Exception as error:  # a bug: logged in full, one sentence for the person
                log.exception("hub search failed")
                self.failed.emit(query, f"The search failed ({error}).")
