"""Certificates for the TLS tests, made at test time by the openssl CLI (no key is committed),
and the settings that turn TLS on."""

import subprocess
import uuid

import pytest


def openssl(*arguments):
    subprocess.run(["openssl", *map(str, arguments)], check=True, capture_output=True, timeout=60)


class Authority:
    """A throwaway CA in `folder` that issues EC P-256 certificates."""

    def __init__(self, folder, name):
        self.folder = folder
        self.name = name
        self.key = folder / f"{name}.key"
        self.certificate = folder / f"{name}.pem"
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", self.key, "-out", self.certificate, "-subj", f"/CN={name}", "-days", 2,
                "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign")

    def issue(self, name, hosts="DNS:localhost,IP:127.0.0.1", days=1):
        """A certificate named `name` for `hosts`, valid for `days` (negative: already expired);
        returns (certificate file, key file)."""
        key, request = self.folder / f"{name}.key", self.folder / f"{name}.csr"
        certificate, extensions = self.folder / f"{name}.pem", self.folder / f"{name}.ext"
        extensions.write_text(f"subjectAltName={hosts}\nbasicConstraints=critical,CA:FALSE\n"
                              "keyUsage=critical,digitalSignature\n"
                              "extendedKeyUsage=serverAuth,clientAuth\n"
                              "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n")
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", key, "-out", request, "-subj", f"/CN={name}")
        openssl("x509", "-req", "-in", request, "-CA", self.certificate, "-CAkey", self.key,
                "-set_serial", uuid.uuid4().int >> 66, "-days", days, "-extfile", extensions,
                "-out", certificate)
        return certificate, key


@pytest.fixture
def authority(tmp_path):
    folder = tmp_path / "pki"
    folder.mkdir()
    return Authority(folder, "logpipe-test-ca")


def tls_env(certificate, key, client_ca=None):
    env = {"TLS_CERT_FILE": str(certificate), "TLS_KEY_FILE": str(key),
           "SEARCH_RETENTION_DAYS": "36500"}
    if client_ca:
        env["TLS_CLIENT_CA_FILE"] = str(client_ca)
    return env
