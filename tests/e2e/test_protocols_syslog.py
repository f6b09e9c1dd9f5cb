"""Syslog with util-linux's `logger` as the sender: RFC 5424 over TCP with octet counting and
with line framing, and over UDP; RFC 3164 over UDP and TCP; structured data; the tenant of
SYSLOG_TENANT; UDP messages the pipeline could not store counted; off by default. And Debian's
rsyslog as a relay, as it runs on hosts: run unprivileged with its own configuration, it
forwards what local programs log to logpipe in RFC 5424 over TCP with octet counting and in
RFC 3164 over UDP, and over TLS (RFC 5425, its OpenSSL driver) to SYSLOG_TLS_PORT, where a sender
that does not trust logpipe's CA gets nothing through."""

import contextlib
import signal
import socket
import ssl
import subprocess

import pytest

from conftest import binary, wait_until
from protocol_support import (FULL_SPOOL_ENV, refused_when_full, searchable, tenant_env,
                              tenant_hits)
from tls_support import Authority, authority, tls_env  # noqa: F401 (authority: a fixture)


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


RSYSLOG_TLS_CONFIG = """\
global(workDirectory="{work}" DefaultNetstreamDriverCAFile="{ca}")
module(load="imuxsock" SysSock.Use="off")
ruleset(name="tls") {{
  action(type="omfwd" target="127.0.0.1" port="{port}" protocol="tcp"
         StreamDriver="ossl" StreamDriverMode="1" StreamDriverAuthMode="x509/name"
         StreamDriverPermittedPeers="localhost"
         TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format")
}}
input(type="imuxsock" Socket="{work}/tls.sock" Ruleset="tls" UseSpecialParser="off")
"""


@pytest.fixture
def tls_logpipe(start_logpipe, authority, monkeypatch):
    """logpipe with only the syslog TLS listener, on a certificate for localhost and 127.0.0.1
    issued by the test's CA (its HTTP ports speak HTTPS then: the test's requests trust it)."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(authority.certificate))
    return start_logpipe(env={**tls_env(*authority.issue("logpipe")), "SYSLOG_TLS_PORT": "0"})


@contextlib.contextmanager
def rsyslog_over_tls(work, port, ca):
    """An rsyslogd of its own forwarding what is logged to `<work>/tls.sock` over TLS (its
    OpenSSL netstream driver, the server checked against `ca` and the name localhost) in RFC
    5424 with octet counting, as RFC 5425 has it."""
    work.mkdir()
    config = work / "rsyslog.conf"
    config.write_text(RSYSLOG_TLS_CONFIG.format(work=work, port=port, ca=ca))
    daemon = subprocess.Popen(["rsyslogd", "-n", "-f", str(config), "-i", str(work / "pid")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert wait_until(lambda: (work / "tls.sock").is_socket(), 30), "rsyslogd did not start"
        yield work / "tls.sock"
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(30)


def handshake_failures(logpipe):
    return logpipe.metric_series("syslog_tls_handshake_failures_total").get(
        '{reason="handshake"}', 0)


def test_syslog_over_tls_needs_a_certificate(tmp_path):
    result = subprocess.run([binary(), "run"], env={"LOGPIPE_DATA_DIR": str(tmp_path),
                                                    "SYSLOG_TLS_PORT": "0"},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "syslog-tls-port (SYSLOG_TLS_PORT) needs tls-cert-file (TLS_CERT_FILE)" in result.stderr


def test_rsyslog_forwards_over_tls_with_octet_counting(tls_logpipe, authority, tmp_path):
    assert tls_logpipe.syslog_port is None and tls_logpipe.syslog_tls_port is not None
    with rsyslog_over_tls(tmp_path / "rsyslog", tls_logpipe.syslog_tls_port,
                          authority.certificate) as sock:
        subprocess.run(["logger", "--socket", str(sock), "--rfc5424", "-t", "ledger",
                        "-p", "local3.err", "--msgid", "PAY", "--sd-id", "order@32473",
                        "--sd-param", 'id="o-7"', "payment failed"], check=True, timeout=30)
        subprocess.run(["logger", "--socket", str(sock), "--rfc5424", "-t", "ledger",
                        "-p", "user.warning", "balance low"], check=True, timeout=30)
        hits = searchable(tls_logpipe, 2, service="ledger")
    assert_the_rfc5424_mapping(hits)
    assert {hit["message"]: hit["level"] for hit in hits} == {
        "payment failed": "ERROR", "balance low": "WARN"}
    assert handshake_failures(tls_logpipe) == 0


def test_rsyslog_without_the_ca_sends_nothing(tls_logpipe, tmp_path):
    stranger = Authority(tmp_path, "someone-elses-ca")
    with rsyslog_over_tls(tmp_path / "rsyslog", tls_logpipe.syslog_tls_port,
                          stranger.certificate) as sock:
        subprocess.run(["logger", "--socket", str(sock), "--rfc5424", "-t", "ledger",
                        "never trusted"], check=True, timeout=30)
        # rsyslog refuses the certificate, and logpipe sees the handshake fail.
        assert wait_until(lambda: handshake_failures(tls_logpipe) > 0, 60)
    assert tls_logpipe.metric_series("logs_produced_by_protocol_total").get(
        '{protocol="syslog"}', 0) == 0


def test_a_client_without_the_ca_refuses_the_certificate(tls_logpipe):
    context = ssl.create_default_context()  # the system's CAs, which never issued this one
    with socket.create_connection(("127.0.0.1", tls_logpipe.syslog_tls_port), timeout=30) as raw:
        with pytest.raises(ssl.SSLCertVerificationError):
            context.wrap_socket(raw, server_hostname="localhost")


def test_an_octet_counted_message_over_tls_from_pythons_ssl(tls_logpipe, authority):
    context = ssl.create_default_context(cafile=str(authority.certificate))
    message = b"<165>1 2026-12-02T10:00:00.000Z relay-1 audit - ID47 - user logged in"
    with socket.create_connection(("127.0.0.1", tls_logpipe.syslog_tls_port), timeout=30) as raw:
        with context.wrap_socket(raw, server_hostname="localhost") as stream:
            stream.sendall(b"%d %s" % (len(message), message))
    hits = searchable(tls_logpipe, 1, service="audit")
    assert [(hit["message"], hit["level"], hit["host"]) for hit in hits] == [
        ("user logged in", "INFO", "relay-1")]
