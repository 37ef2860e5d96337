"""The baseline: nginx + fcgiwrap + `git http-backend`, with HTTP Basic auth like the gate."""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path

from bench.commands import run
from bench.errors import BenchmarkError
from bench.servers import Child, Launcher, accepts, wait_until

_CONFIG = """\
worker_processes 1;
daemon off;
master_process on;
user root;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {root}/tmp/body;
    fastcgi_temp_path {root}/tmp/fastcgi;
    proxy_temp_path {root}/tmp/proxy;
    uwsgi_temp_path {root}/tmp/uwsgi;
    scgi_temp_path {root}/tmp/scgi;
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 0;
        location ~ "^/[A-Za-z0-9._-]+\\.git/(info/refs|HEAD|git-upload-pack|git-receive-pack)$" {{
            auth_basic "git";
            auth_basic_user_file {root}/htpasswd;
            include /etc/nginx/fastcgi_params;
            fastcgi_param SCRIPT_FILENAME {backend};
            fastcgi_param GIT_PROJECT_ROOT {repos};
            fastcgi_param GIT_HTTP_EXPORT_ALL 1;
            fastcgi_param GIT_PROTOCOL $http_git_protocol;
            fastcgi_param PATH_INFO $uri;
            fastcgi_param REMOTE_USER $remote_user;
            fastcgi_pass unix:{root}/fcgiwrap.sock;
        }}
        location / {{ return 404; }}
    }}
}}
"""


def missing_tools() -> list[str]:
    """Debian packages the baseline needs that are not installed."""
    wanted = {"nginx": "nginx", "fcgiwrap": "fcgiwrap", "openssl": "openssl"}
    return [package for tool, package in wanted.items() if shutil.which(tool) is None]


def _backend() -> Path:
    return Path(run(["git", "--exec-path"]).strip()) / "git-http-backend"


def _htpasswd(users: Mapping[str, str]) -> str:
    """An htpasswd file (apr1-MD5, as `htpasswd -m` writes) for the given users."""
    lines = [
        f"{user}:{run(['openssl', 'passwd', '-apr1', password]).strip()}"
        for user, password in users.items()
    ]
    return "\n".join(lines) + "\n"


class NginxGit:
    """nginx (one worker) in front of fcgiwrap, serving `repos` on 127.0.0.1:port."""

    def __init__(
        self,
        root: Path,
        repos: Path,
        port: int,
        users: Mapping[str, str],
        launch: Launcher = list,
    ) -> None:
        self.root, self.repos, self.port, self._users = root, repos, port, users
        env = {"PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")}
        socket_path = root / "fcgiwrap.sock"
        self._fcgiwrap = Child(
            "fcgiwrap",
            launch(["fcgiwrap", "-c", "2", "-s", f"unix:{socket_path}"]),
            root / "fcgiwrap.log",
            env,
        )
        self._nginx = Child(
            "nginx",
            launch(
                ["nginx", "-p", f"{root}/", "-e", f"{root}/error.log", "-c", f"{root}/nginx.conf"]
            ),
            root / "nginx.log",
            env,
        )

    def start(self) -> None:
        """Write the configuration, start fcgiwrap and nginx, wait until the port answers."""
        if missing := missing_tools():
            raise BenchmarkError(
                f"the nginx baseline needs the Debian packages {missing}: run bench/install-deps.sh"
            )
        (self.root / "tmp").mkdir(parents=True, exist_ok=True)
        (self.root / "htpasswd").write_text(_htpasswd(self._users))
        (self.root / "nginx.conf").write_text(
            _CONFIG.format(root=self.root, port=self.port, repos=self.repos, backend=_backend())
        )
        self._fcgiwrap.start()
        wait_until(lambda: (self.root / "fcgiwrap.sock").is_socket(), 10, "fcgiwrap's socket")
        self._nginx.start()
        wait_until(lambda: self._ready(), 10, f"nginx on 127.0.0.1:{self.port}")

    def _ready(self) -> bool:
        self._nginx.check_alive()
        return accepts(self.port)

    def check_alive(self) -> None:
        """Raise BenchmarkError when nginx or fcgiwrap has died."""
        self._nginx.check_alive()
        self._fcgiwrap.check_alive()

    def stop(self) -> None:
        """Stop nginx (graceful) and fcgiwrap."""
        self._nginx.stop()
        self._fcgiwrap.stop()
