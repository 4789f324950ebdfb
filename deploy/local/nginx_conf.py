"""The front door's nginx configuration: one source for the local stack and for Kubernetes.

``deploy/local/frontdoor.sh`` writes it for the services' local ports (``local``);
``deploy/kubernetes/generate.py`` puts the same server block, with the services' Kubernetes
Services as upstreams, into the ``frontdoor`` ConfigMap.  Both answer what nginx itself refuses
(400 malformed request, 405, 413, 414, 502-504 as 503 with ``Retry-After``) from the same small
files in the API's error format (the Open311 error list under ``/open311/``, XML for ``.xml``),
and unknown paths with the JSON 404: no answer of the platform is an HTML page.

    python deploy/local/nginx_conf.py local DIR HTTP_PORT HUB_CODE   # writes DIR/__errors/*, DIR/nginx.conf
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
SERVICES = ("intake", "routing", "followup", "notification", "assessment")
MAX_BODY = "25m"

# status, code, English, Indonesian
ERRORS = (
    (400, "bad_request", "The request is malformed.", "Permintaan tidak berbentuk dengan benar."),
    (405, "method_not_allowed", "This method is not allowed here; see the Allow header.",
     "Metode ini tidak diizinkan di sini; lihat header Allow."),
    (413, "too_large", "The request is too large (at most 25 MB).", "Permintaan terlalu besar (paling besar 25 MB)."),
    (414, "too_large", "The request address is too long.", "Alamat permintaan terlalu panjang."),
    (503, "unavailable", "The service did not answer. If this request made a change, it may or may not be recorded: "
                         "resend it with the same Idempotency-Key after Retry-After seconds.",
     "Layanan tidak menjawab. Jika permintaan ini mengubah data, perubahan mungkin tercatat atau tidak: kirim ulang "
     "dengan Idempotency-Key yang sama setelah Retry-After detik."),
)
# The front door's deadline per exact path (issue 22): no connection to the service within the first
# figure, or no answer within the second, and the client gets the 503 above (Retry-After, "may or may
# not be recorded"), so a report's submission is answered within 2 s even when intake is starved or
# waits for a dead store (intake's own deadline, GROUP_COMMIT_DEADLINE_SECONDS 1.5, answers first when
# it can). The connect timeout matters when intake's accept queue is full: the kernel then drops the
# SYN and the connect would wait for its retransmission (1 s, then 3 s). Only these paths: an evidence
# upload or an export may rightly take longer.
# LAPOR_FRONTDOOR_REPORTS_TIMEOUT moves the answer figure (nginx time syntax, e.g. "10s"): the test
# suite's shared stacks use a longer one, with intake's INTAKE_GROUP_COMMIT_DEADLINE_SECONDS, so that a
# loaded CI machine does not turn behaviour tests into 503s; the fault tests keep these defaults.
DEADLINES = {"/reports": ("300ms", os.environ.get("LAPOR_FRONTDOOR_REPORTS_TIMEOUT") or "1500ms")}
NOT_FOUND = {"errors": [{"field": None, "code": "not_found", "message": "No such endpoint; see /openapi.json.",
                         "message_id": "Alamat tidak dikenal; lihat /openapi.json."}]}


def error_files() -> dict[str, str]:
    """File name -> content of every error answer nginx gives itself (served from ``__errors/``)."""
    files = {}
    for status, code, english, indonesian in ERRORS:
        files[f"{status}.json"] = json.dumps({"errors": [{"field": None, "code": code, "message": english,
                                                          "message_id": indonesian}]}, ensure_ascii=False)
        files[f"{status}.open311.json"] = json.dumps([{"code": status, "description": english}], ensure_ascii=False)
        files[f"{status}.open311.xml"] = ('<?xml version="1.0" encoding="utf-8"?><errors><error><code>'
                                          f"{status}</code><description>{english}</description></error></errors>")
    return files


def routes() -> list[tuple[str, str]]:
    """(path prefix, service) of deploy/local/routes.txt."""
    lines = (HERE / "routes.txt").read_text().splitlines()
    return [tuple(line.split()) for line in lines if line.strip() and not line.startswith("#")]


def _quoted(document: dict) -> str:
    return "'" + json.dumps(document, ensure_ascii=False) + "'"


def http_settings() -> list[str]:
    """The ``http {}`` settings both front doors share (inside the block)."""
    return [
        f"client_max_body_size {MAX_BODY};",
        "server_tokens off;",
        r"map $uri $lapor_error_ext { ~^/open311/.*\.xml$ .open311.xml; ~^/open311/ .open311.json; default .json; }",
        "charset_types application/json text/xml;",
    ]


def error_config(errors_root: str) -> list[str]:
    """The ``server {}`` lines that turn nginx's own errors into the error files under ``errors_root/__errors``."""
    types = "charset utf-8; types { application/json json; text/xml xml; }"
    return [
        "error_page 400 494 /__errors/400$lapor_error_ext;",
        "error_page 405 /__errors/405$lapor_error_ext;",
        "error_page 413 /__errors/413$lapor_error_ext;",
        "error_page 414 /__errors/414$lapor_error_ext;",
        "error_page 502 503 504 =503 /__errors/503$lapor_error_ext;",
        f"location ^~ /__errors/ {{ internal; root {errors_root}; {types} }}",
        f'location ^~ /__errors/405 {{ internal; root {errors_root}; {types} add_header Allow "GET, HEAD" always; }}',
        f"location ^~ /__errors/503 {{ internal; root {errors_root}; {types} add_header Retry-After 5 always; }}",
    ]


def server(listen: str, upstream: Callable[[str], str], errors_root: str, openapi_file: str, hub_code: str,
           extra: tuple[str, ...] = ()) -> list[str]:
    """The ``server {}`` block: routes.txt's prefixes to ``upstream(service)``, /openapi.json, /api,
    the JSON 404 for anything else, and the error files."""
    api = {"name": "LAPOR-Hub", "hub": hub_code, "openapi": "/openapi.json"}
    lines = [f"listen {listen};", *extra,
             "proxy_http_version 1.1;",
             "proxy_set_header Host $host;",
             "proxy_set_header X-Forwarded-For $remote_addr;",
             "proxy_set_header X-Forwarded-Proto $scheme;",
             "proxy_set_header X-Forwarded-Host $http_host;",  # with its port: links handed out (issue 21)
             'proxy_set_header Connection "";',
             # when the front door got the request (epoch s): replaces a client's own header; intake's
             # admission control counts a submission's wait from it (issue 23, contract.admission)
             'proxy_set_header X-Request-Start "t=${msec}";',
             f"location = /openapi.json {{ default_type application/json; alias {openapi_file}; }}",
             f"location = /api {{ default_type application/json; return 200 {_quoted(api)}; }}"]
    for prefix, service in routes():
        if prefix == "/":  # the home page only: unknown paths keep the JSON 404 below
            lines.append(f"location = / {{ proxy_pass http://{upstream(service)}; }}")
        else:
            lines.append(f"location ^~ {prefix} {{ proxy_pass http://{upstream(service)}; }}")
        if prefix in DEADLINES:
            connect, answer = DEADLINES[prefix]
            lines.append(f"location = {prefix} {{ proxy_connect_timeout {connect}; proxy_send_timeout {answer}; "
                         f"proxy_read_timeout {answer}; proxy_pass http://{upstream(service)}; }}")
    lines.append(f"location / {{ default_type application/json; return 404 {_quoted(NOT_FOUND)}; }}")
    return ["server {", *(f"  {line}" for line in lines + error_config(errors_root)), "}"]


def local(run_dir: str, http_port: int, hub_code: str) -> str:
    """nginx.conf of the local front door (deploy/local/frontdoor.sh) in ``run_dir``."""
    def upstream(service: str) -> str:
        return f"127.0.0.1:{http_port + 1 + SERVICES.index(service)}"

    lines = [
        "worker_processes 1;",
        f"pid {run_dir}/nginx.pid;",
        f"error_log {run_dir}/logs/error.log warn;",
        "events { worker_connections 1024; }",
        "http {",
        # combined, plus the time nginx took to answer (s, ms resolution): bench/frontdoor_faults.py reads it
        "  log_format timed '$remote_addr - $remote_user [$time_local] \"$request\" $status $body_bytes_sent "
        "\"$http_referer\" \"$http_user_agent\" $request_time';",
        f"  access_log {run_dir}/logs/access.log timed;",
        f"  client_body_temp_path {run_dir}/tmp/body; proxy_temp_path {run_dir}/tmp/proxy;",
        f"  fastcgi_temp_path {run_dir}/tmp/fastcgi; uwsgi_temp_path {run_dir}/tmp/uwsgi; scgi_temp_path {run_dir}/tmp/scgi;",
        *(f"  {line}" for line in http_settings()),
        *(f"  {line}" for line in server(f"127.0.0.1:{http_port}", upstream, run_dir, f"{run_dir}/openapi.json",
                                         hub_code)),
        "}",
    ]
    return "\n".join(lines) + "\n"


def write_local(run_dir: str, http_port: int, hub_code: str) -> None:
    errors = Path(run_dir) / "__errors"
    errors.mkdir(parents=True, exist_ok=True)
    for name, content in error_files().items():
        (errors / name).write_text(content)
        (errors / name).chmod(0o644)
    errors.chmod(0o755)
    (Path(run_dir) / "nginx.conf").write_text(local(run_dir, http_port, hub_code))


if __name__ == "__main__":
    if len(sys.argv) != 5 or sys.argv[1] != "local":
        sys.exit(__doc__)
    write_local(sys.argv[2], int(sys.argv[3]), sys.argv[4])
