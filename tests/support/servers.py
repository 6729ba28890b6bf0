"""Real processes for end-to-end tests: the portal as `radar portal`, and nginx in front of it as an
authenticating reverse proxy (HTTP basic sign-in, passing the user on as a trusted header)."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, timeout_s: float = 90, auth: str | None = None) -> bool:
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        try:
            req = urllib.request.Request(url)
            if auth:
                req.add_header("Authorization", auth)
            if urllib.request.urlopen(req, timeout=2).read() == b"ok":
                return True
        except OSError:
            time.sleep(0.3)
    return False


@contextmanager
def portal(db: Path, env: dict, log: Path, port: int | None = None, cwd: Path | None = None) -> Iterator[str]:
    """`radar portal` on `port` (default a free one), run from `cwd` (where Streamlit looks for
    .streamlit/secrets.toml); yields its URL; stops it (and its Streamlit child) at the end."""
    port = port or free_port()
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "radar", "portal", "--db", str(db), "--port", str(port)],
                                env=os.environ | env, stdout=out, stderr=subprocess.STDOUT, cwd=cwd)
    url = f"http://localhost:{port}"
    try:
        if not wait_until_up(f"{url}/_stcore/health"):
            raise RuntimeError(f"the portal did not start; its log:\n{log.read_text()[-3000:]}")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def nginx_available() -> bool:
    return Path(NGINX).exists()


NGINX_CONF = """
worker_processes 1;
{user}
daemon off;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {root}/body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
    map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            auth_basic "Account Radar";
            auth_basic_user_file {root}/htpasswd;
            proxy_pass {upstream};
            proxy_http_version 1.1;
            proxy_set_header Host $host;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header {header} $remote_user;   # replaces anything the browser sent
            proxy_read_timeout 3600s;
        }}
    }}
}}
"""


@contextmanager
def signing_proxy(upstream: str, users: dict[str, str], root: Path, header: str = "X-Forwarded-Email") -> Iterator[str]:
    """nginx on a free port: HTTP basic sign-in for `users` (name -> password), then the signed-in
    name passed to `upstream` in `header`. Yields the proxy's URL."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "htpasswd").write_text("".join(f"{u}:{{PLAIN}}{p}\n" for u, p in users.items()))
    port = free_port()
    conf = root / "nginx.conf"
    conf.write_text(NGINX_CONF.format(root=root, port=port, upstream=upstream, header=header,
                                      user="user root;" if os.geteuid() == 0 else ""))
    proc = subprocess.Popen([NGINX, "-p", str(root), "-c", str(conf)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError(f"nginx did not start: {proc.stderr.read().decode()[-2000:]}")
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
