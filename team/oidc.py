"""Single sign-on for the team server: Streamlit's st.login over OpenID Connect.

An admin describes the organisation's identity provider in a small TOML
file given to ``workprint team serve --oidc FILE``::

    server_metadata_url = "https://id.example.org/.well-known/openid-configuration"
    client_id = "workprint-team"
    client_secret = "..."
    redirect_uri = "https://team.example.org:8501/oauth2callback"

The server turns it into the ``[auth]`` section of a secrets file in its own
owner-only state folder (with a fresh cookie secret each start, so login
cookies of an earlier run open nothing) and points Streamlit at that file
alone (``--secrets.files``), so no ~/.streamlit/secrets.toml is read. Which
account an identity signs in as is team.accounts' business (bind-oidc).
"""

from __future__ import annotations

import json
import os
import secrets
import tomllib
from pathlib import Path
from urllib.parse import urlparse

OIDC_ENV = "WORKPRINT_TEAM_OIDC"  # "1" when the server was started with --oidc
SECRETS_FILE = "streamlit-secrets.toml"
KEYS = ("server_metadata_url", "client_id", "client_secret", "redirect_uri")


class OidcConfigError(ValueError):
    """The --oidc file cannot be used: names what is wrong."""


def enabled() -> bool:
    return os.environ.get(OIDC_ENV, "") == "1"


def read_config(path: Path | str) -> dict[str, str]:
    """The provider's settings from ``path``. Raises OidcConfigError naming the problem."""
    path = Path(path)
    try:
        if path.stat().st_mode & 0o077:
            raise OidcConfigError(f"{path} holds the client secret but others can read it: chmod 600 {path}")
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise OidcConfigError(f"{path}: no such file (the --oidc settings)") from None
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise OidcConfigError(f"{path} cannot be read as TOML: {exc}") from None
    missing = [k for k in KEYS if not isinstance(data.get(k), str) or not data[k].strip()]
    if missing:
        raise OidcConfigError(f"{path} needs {', '.join(missing)} (text): see `workprint team serve --help`")
    unknown = sorted(set(data) - set(KEYS))
    if unknown:
        raise OidcConfigError(f"{path} has settings this server does not know: {', '.join(unknown)}")
    for key in ("server_metadata_url", "redirect_uri"):
        url = urlparse(data[key])
        if url.scheme not in ("http", "https") or not url.netloc:
            raise OidcConfigError(f"{path}: {key} = {data[key]!r} is not an http(s) address")
    if not urlparse(data["redirect_uri"]).path.endswith("/oauth2callback"):
        raise OidcConfigError(f"{path}: redirect_uri must end in /oauth2callback (Streamlit's callback), "
                              f"e.g. https://team.example.org:8501/oauth2callback")
    return {k: data[k] for k in KEYS}


def write_secrets(state: Path, settings: dict[str, str] | None) -> Path:
    """The secrets file Streamlit reads, owner-only: an [auth] section for
    ``settings``, or nothing at all without single sign-on."""
    path = Path(state) / SECRETS_FILE
    lines = ["# Written by `workprint team serve` at each start; edits are lost."]
    if settings:
        lines.append("[auth]")
        for key, value in {**settings, "cookie_secret": secrets.token_urlsafe(32)}.items():
            lines.append(f"{key} = {json.dumps(value)}")  # a JSON string is a TOML basic string
    temp = path.with_name(f".{path.name}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with open(fd, "w", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")
    os.replace(temp, path)
    return path
