"""Syslog with util-linux's `logger` as the sender: RFC 5424 over TCP with octet counting and
with line framing, and over UDP; RFC 3164 over UDP and TCP; structured data; the tenant of
SYSLOG_TENANT; UDP messages the pipeline could not store counted; off by default. And Debian's
rsyslog as a relay, as it runs on hosts: run unprivileged with its own configuration, it
forwards what local programs log to logpipe in RFC 5424 over TCP with octet counting and in
RFC 3164 over UDP."""

import signal
import socket
import subprocess

import pytest

from conftest import wait_until
from protocol_support import (FULL_SPOOL_ENV, refused_when_full, searchable, tenant_env,
                              tenant_hits)


@pytest.fixture
def logpipe(start_logpipe):
    return start_logpipe(env={"SYSLOG_PORT": "0"})


def logger(port, *arguments):
    subprocess.run(["logger", "--server", "127.0.0.1", "--port", str(port), *arguments],
                   check=True, timeout=30)


def assert_the_rfc5424_mapping(hits):
    """The hit of `payment failed`, sent as local3.err with msgid PAY and [order@32473 id="o-7"]."""
    failed = next(hit for hit in hits if hit["message"] == "payment failed")
    assert failed["level"] == "ERROR"
    assert failed["host"] == socket.gethostname()
    assert failed["labels"]["facility"] == "local3" and failed["labels"]["msgid"] == "PAY"
    assert failed["payload"]["order@32473"] == {"id": "o-7"}


def test_logger_over_tcp_and_udp_in_both_formats(logpipe):
    port = logpipe.syslog_port
    logger(port, "--tcp", "--octet-count", "--rfc5424", "-t", "billing", "-p", "local3.err",
           "--msgid", "PAY", "--sd-id", "order@32473", "--sd-param", 'id="o-7"',
           "payment failed")
    logger(port, "--tcp", "--rfc5424", "-t", "billing", "-p", "user.warning", "line framed")
    logger(port, "--udp", "--rfc5424", "-t", "billing", "-p", "daemon.debug", "over udp")
    logger(port, "--udp", "--rfc3164", "-t", "cron", "-p", "cron.info", "old style")
    logger(port, "--tcp", "--rfc3164", "-t", "cron", "-p", "cron.notice", "old style tcp")
    hits = searchable(logpipe, 3, service="billing")
    assert_the_rfc5424_mapping(hits)
    assert {hit["message"]: hit["level"] for hit in hits} == {
        "payment failed": "ERROR", "line framed": "WARN", "over udp": "DEBUG"}
    old = searchable(logpipe, 2, service="cron")
    assert sorted(hit["message"] for hit in old) == ["old style", "old style tcp"]
    assert {hit["labels"]["facility"] for hit in old} == {"cron"}
    assert logpipe.metric_series("logs_produced_by_protocol_total")['{protocol="syslog"}'] == 5


def test_a_last_line_without_its_line_feed_is_kept(logpipe):
    with socket.create_connection(("127.0.0.1", logpipe.syslog_port), timeout=30) as stream:
        stream.sendall(b"<14>1 - - closer - - - first\n<14>1 - - closer - - - last, no newline")
    hits = searchable(logpipe, 2, service="closer")
    assert sorted(hit["message"] for hit in hits) == ["first", "last, no newline"]


def test_syslog_is_off_by_default(start_logpipe):
    logpipe = start_logpipe()
    assert logpipe.syslog_port is None


def test_syslog_tenant_is_set_on_every_event(start_logpipe, tmp_path):
    logpipe = start_logpipe(env={**tenant_env(tmp_path), "SYSLOG_PORT": "0",
                                 "SYSLOG_TENANT": "acme"})
    logger(logpipe.syslog_port, "--tcp", "--octet-count", "-t", "tenanted", "hello")
    hits = tenant_hits(logpipe, 1, service="tenanted")
    assert [(hit["message"], hit["tenant"]) for hit in hits] == [("hello", "acme")]


def test_udp_messages_the_full_queue_refuses_are_counted(start_logpipe):
    logpipe = start_logpipe(env={**FULL_SPOOL_ENV, "SYSLOG_PORT": "0"})
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    # Large datagrams, so that whatever room the full spool has left is soon taken.
    datagram = b"<14>1 - - lost - - - " + b"x" * 60000

    def dropped(_):
        return logpipe.metric_series("syslog_messages_dropped_total").get(
            '{transport="udp",reason="not_stored"}', 0) > 0

    refused_when_full(logpipe, lambda: sender.sendto(datagram, ("127.0.0.1", logpipe.syslog_port)),
                      dropped)
    sender.close()


RSYSLOG_CONFIG = """\
global(workDirectory="{work}")
module(load="imuxsock" SysSock.Use="off")
ruleset(name="tcp") {{
  action(type="omfwd" target="127.0.0.1" port="{port}" protocol="tcp"
         TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format")
}}
ruleset(name="udp") {{
  action(type="omfwd" target="127.0.0.1" port="{port}" protocol="udp"
         template="RSYSLOG_TraditionalForwardFormat")
}}
input(type="imuxsock" Socket="{work}/tcp.sock" Ruleset="tcp" UseSpecialParser="off")
input(type="imuxsock" Socket="{work}/udp.sock" Ruleset="udp")
"""


@pytest.fixture
def rsyslog(logpipe, tmp_path):
    """An rsyslogd of its own (no system socket, loopback only) forwarding what is logged to
    `<folder>/tcp.sock` over TCP in RFC 5424 with octet counting and to `<folder>/udp.sock`
    over UDP in RFC 3164 to logpipe's syslog port; yields the folder."""
    work = tmp_path / "rsyslog"
    work.mkdir()
    config = work / "rsyslog.conf"
    config.write_text(RSYSLOG_CONFIG.format(work=work, port=logpipe.syslog_port))
    daemon = subprocess.Popen(["rsyslogd", "-n", "-f", str(config), "-i", str(work / "pid")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert wait_until(lambda: (work / "tcp.sock").is_socket() and
                          (work / "udp.sock").is_socket(), 30), "rsyslogd did not start"
        yield work
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(30)


def test_rsyslog_forwards_rfc5424_over_tcp_with_octet_counting(logpipe, rsyslog):
    subprocess.run(["logger", "--socket", str(rsyslog / "tcp.sock"), "--rfc5424", "-t", "ledger",
                    "-p", "local3.err", "--msgid", "PAY", "--sd-id", "order@32473",
                    "--sd-param", 'id="o-7"', "payment failed"], check=True, timeout=30)
    subprocess.run(["logger", "--socket", str(rsyslog / "tcp.sock"), "--rfc5424", "-t", "ledger",
                    "-p", "user.warning", "balance low"], check=True, timeout=30)
    hits = searchable(logpipe, 2, service="ledger")
    assert_the_rfc5424_mapping(hits)
    assert {hit["message"]: hit["level"] for hit in hits} == {
        "payment failed": "ERROR", "balance low": "WARN"}


def test_rsyslog_forwards_rfc3164_over_udp(logpipe, rsyslog):
    subprocess.run(["logger", "--socket", str(rsyslog / "udp.sock"), "-t", "cron", "-p",
                    "cron.notice", "job started"], check=True, timeout=30)
    subprocess.run(["logger", "--socket", str(rsyslog / "udp.sock"), "-t", "cron", "-p",
                    "cron.debug", "job details"], check=True, timeout=30)
    hits = searchable(logpipe, 2, service="cron")
    assert {hit["message"]: hit["level"] for hit in hits} == {
        "job started": "INFO", "job details": "DEBUG"}
    assert {hit["labels"]["facility"] for hit in hits} == {"cron"}
    assert {hit["host"] for hit in hits} == {socket.gethostname()}
    assert logpipe.metric_series("logs_produced_by_protocol_total")['{protocol="syslog"}'] == 2
