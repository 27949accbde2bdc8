# SPDX-License-Identifier: Apache-2.0
"""GetLogs of `rkt api-service` (SPEC.md §9.2; issue 15): the records of P/logs/<app>.log as
stored (Kubernetes' CRI log format), every app merged in time order or one app, the last N
lines, since/until bounds in seconds, following a running pod until it exits, a client that
goes away mid-stream, and bad requests (clear status codes, the service keeps serving). The
service runs as a non-root member of group rkt."""
import calendar
import os
import re
import time

import pytest

from apiutil import apipods, apisvc, status_of  # noqa: F401
from podtest import img, needs_root, wait_for  # noqa: F401

pytestmark = [pytest.mark.offline, needs_root]

REC = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?Z) (stdout|stderr) ([FP]) (.*)$")


def sh(script, name):
    return [f"--name={name}", "--exec=/bin/sh", "--", "-c", script]


def log_lines(pods, uuid, app):
    [p] = list((pods.dir / "pods").glob(f"*/{uuid}"))
    return (p / "logs" / f"{app}.log").read_text().splitlines()


def get_logs(c, **kw):
    return [ln for resp in c.GetLogs(c.pb.GetLogsRequest(**kw), timeout=60) for ln in resp.lines]


def test_get_logs(apipods, img, apisvc):
    r, uuid = apipods.run(img.path, *sh("for i in 1 2 3; do echo a$i; done; echo ea >&2", "a"),
                          "---", img.path, *sh("sleep 1; echo b1", "b"))
    assert r.code == 0, r
    a, b = log_lines(apipods, uuid, "a"), log_lines(apipods, uuid, "b")
    assert [REC.match(x).group(4) for x in a if " stdout " in x] == ["a1", "a2", "a3"]
    c = apisvc(apipods).connect()
    got = get_logs(c, pod_id=uuid)
    assert sorted(got) == sorted(a + b) and got[-1] == b[-1]  # merged in time order
    assert [REC.match(x).group(1) for x in got] == sorted(REC.match(x).group(1) for x in got)
    assert get_logs(c, pod_id=uuid[:8], app_name="b") == b
    assert get_logs(c, pod_id=uuid, app_name="a", lines=2) == a[-2:]
    assert get_logs(c, pod_id=uuid, lines=1) == b[-1:]
    assert get_logs(c, pod_id=uuid, since_time=1) == got
    assert get_logs(c, pod_id=uuid, since_time=4102444800) == []  # 2100
    assert get_logs(c, pod_id=uuid, until_time=1) == []
    # b wrote b1 at least a second after a's last line: the second b1 began in splits them
    b1 = calendar.timegm(time.strptime(REC.match(b[0]).group(1)[:19], "%Y-%m-%dT%H:%M:%S"))
    assert get_logs(c, pod_id=uuid, since_time=b1) == b
    assert get_logs(c, pod_id=uuid, since_time=1, until_time=b1) == a  # until is exclusive
    assert get_logs(c, pod_id=uuid, follow=True) == got  # an exited pod: what there is
    # bad requests: a clear status, and the service goes on
    pb = c.pb
    bad = [
        (dict(pod_id="00000000-0000-0000-0000-000000000000"), "NOT_FOUND", "no matches found"),
        (dict(pod_id=""), "INVALID_ARGUMENT", "UUID cannot be empty"),
        (dict(pod_id=uuid, app_name="nope"), "NOT_FOUND", "no app nope in pod"),
        (dict(pod_id=uuid, lines=-1), "INVALID_ARGUMENT", "lines"),
        (dict(pod_id=uuid, since_time=-1), "INVALID_ARGUMENT", "since_time"),
        (dict(pod_id=uuid, since_time=5, until_time=4), "INVALID_ARGUMENT", "since_time"),
    ]
    for req, code, text in bad:
        st = status_of(c.GetLogs, pb.GetLogsRequest(**req), timeout=30)
        assert st[0] == code and text in st[1], (req, st)
    r = apipods.ok("--insecure-options=image", "prepare", *apipods.stage1_args(), img.path)
    prepared = r.out.strip().splitlines()[-1]
    st = status_of(c.GetLogs, pb.GetLogsRequest(pod_id=prepared), timeout=30)
    assert st == ("FAILED_PRECONDITION", f'no logs for pod "{prepared}": it has not started')
    assert c.GetInfo(pb.GetInfoRequest()).info.api_version == "1.0.0-alpha"


def test_get_logs_follow_and_a_client_that_goes_away(apipods, img, apisvc, tmp_path):
    gate = tmp_path / "gate"
    gate.mkdir()
    os.chmod(gate, 0o777)
    script = ("echo first; i=0; while [ ! -e /gate/go ]; do sleep 0.05; i=$((i+1)); "
              "[ $i -gt 1200 ] && exit 9; done; echo second")
    p = apipods.start(f"--volume=gate,kind=host,source={gate}", img.path,
                      "--mount=volume=gate,target=/gate", *sh(script, "app"))
    wait_for(lambda: any("first" in x for x in _lines_or_none(apipods, p.uuid)),
             what="the first line logged")
    svc = apisvc(apipods)
    c = svc.connect()
    pb = c.pb
    gone = c.GetLogs(pb.GetLogsRequest(pod_id=p.uuid, follow=True), timeout=60)
    assert REC.match(next(gone).lines[0]).group(4) == "first"
    gone.cancel()  # mid-stream
    stream = c.GetLogs(pb.GetLogsRequest(pod_id=p.uuid, follow=True), timeout=60)
    assert [REC.match(x).group(4) for x in next(stream).lines] == ["first"]
    (gate / "go").touch()
    rest = [REC.match(x).group(4) for resp in stream for x in resp.lines]  # ends as the pod
    assert rest == ["second"]
    assert p.wait().code == 0
    assert svc.alive() and c.GetInfo(pb.GetInfoRequest()).info.api_version == "1.0.0-alpha"
    assert svc.stop() == 0


def _lines_or_none(pods, uuid):
    try:
        return log_lines(pods, uuid, "app")
    except (OSError, ValueError):
        return []
