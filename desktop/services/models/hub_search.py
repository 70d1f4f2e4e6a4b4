"""Searching the Hugging Face hub for GGUF models, for `hearth models search` and the
model manager's search box.

Two of the hub's documented calls, through huggingface_hub's own HTTP client and headers:
`/api/models?search=…&filter=gguf` (the repos) and `/api/models/REPO/tree/main?recursive=true`
(a repo's files, with sizes and LFS sha256). `HF_ENDPOINT` is honoured, as for downloads.
Each call is bounded in time and made once: a hub that is down or slow costs a few
seconds and one sentence, never a hang. The answers are parsed by `core.hub_listing`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from desktop.core.errors import HearthError
from desktop.core.hub_listing import MAX_REPOS, HubFiles, HubRepo, parse_repos, parse_tree

__all__ = ["HubSearchError", "list_repo_files", "search_hub"]

TIMEOUT_S = 10.0  # per request: connect and each read
_MAX_QUERY = 200


class HubSearchError(HearthError):
    """The hub could not be asked, or gave no usable answer."""


def search_hub(query: str, *, endpoint: str | None = None, limit: int = 20) -> list[HubRepo]:
    """GGUF repos on the hub matching `query`, most downloaded first."""
    query = " ".join(query.split())[:_MAX_QUERY]
    if not query:
        raise HubSearchError("Type what to search for, e.g. “llama 3.2” or “qwen3”.")
    params = {"search": query, "filter": "gguf", "sort": "downloads", "direction": "-1",
              "limit": str(max(1, min(limit, MAX_REPOS)))}
    return parse_repos(_get_json(f"{_endpoint(endpoint)}/api/models", params, what=f"search for “{query}”"))


def list_repo_files(repo_id: str, *, endpoint: str | None = None) -> HubFiles:
    """What `repo_id` offers: its GGUF models by quantisation, and its projectors."""
    url = f"{_endpoint(endpoint)}/api/models/{quote(repo_id, safe='/')}/tree/main"
    return parse_tree(repo_id, _get_json(url, {"recursive": "true"}, what=f"list the files of {repo_id}"))


def _endpoint(endpoint: str | None) -> str:
    from huggingface_hub import constants

    return (endpoint or constants.ENDPOINT).rstrip("/")


def _get_json(url: str, params: dict[str, str], *, what: str) -> Any:
    import httpx2  # huggingface_hub's HTTP client
    from huggingface_hub.errors import HfHubHTTPError
    from huggingface_hub.utils import build_hf_headers, get_session, hf_raise_for_status

    try:  # huggingface_hub's own client (its http_backoff would log every failed try to the terminal)
        response = get_session().get(url, params=params, headers=build_hf_headers(), timeout=TIMEOUT_S)
        hf_raise_for_status(response)
        return response.json()
    except HfHubHTTPError as error:
        status = error.response.status_code if error.response is not None else 0
        if status == 404:
            raise HubSearchError(f"The hub has no such repository ({what}).") from error
        if status >= 500:
            raise HubSearchError(f"The hub is not available right now (it answered {status}); "
                                 "try again later.") from error
        raise HubSearchError(f"The hub could not {what} (it answered {status}).") from error
    except ValueError as error:  # not JSON
        raise HubSearchError(f"The hub's answer to “{what}” was not JSON.") from error
    except httpx2.TimeoutException as error:
        raise HubSearchError(f"The hub at {url.split('/api/')[0]} did not answer within {TIMEOUT_S:g} s; "
                             "try again later.") from error
    except Exception as error:  # connection errors (refused, no route, DNS): one sentence
        raise HubSearchError(f"Could not reach the hub at {url.split('/api/')[0]}; "
                             "check the connection (or HF_ENDPOINT).") from error
