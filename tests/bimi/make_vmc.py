"""Makes mark certificates (VMC-shaped, self-signed: no mark verifying authority issued them)
for the tests of `zonectl bimi evidence` and the checkdmarc oracle.

A certificate carries what BIMI receivers read: the extended key usage for BIMI
(1.3.6.1.5.5.7.3.31), the domains in subjectAltName, a markType in the subject, and the logo in
the logotype extension (RFC 3709, 1.3.6.1.5.5.7.1.12) as a gzip-compressed, base64 data: URI,
as mark verifying authorities write it.

Usage: python make_vmc.py LOGO.svg OUT.pem DOMAIN[,DOMAIN…] NOT_BEFORE NOT_AFTER [flags]
where the dates are YYYY-MM-DD and the flags drop or change one piece: no-eku, no-logotype,
no-san, plain-logotype (not gzip-compressed), png-logotype (another media type),
unknown-critical (a critical extension 1.2.3.4), pilot-critical (the BIMI Group's pilot
identifier 1.3.6.1.4.1.53087.4.1, critical, as DigiCert's certificates carry it), two-logotypes (the extension twice; x509 tools
refuse to build that, so it is spliced into the DER and the signature no longer matches).
"""

import base64
import datetime
import gzip
import hashlib
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID, ObjectIdentifier

BIMI_EKU = ObjectIdentifier("1.3.6.1.5.5.7.3.31")
LOGOTYPE = ObjectIdentifier("1.3.6.1.5.5.7.1.12")
MARK_TYPE = ObjectIdentifier("1.3.6.1.4.1.53087.1.13")
SHA256_OID = bytes([0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01])


def tlv(tag, content):
    n = len(content)
    if n < 0x80:
        length = bytes([n])
    else:
        raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(raw)]) + raw
    return bytes([tag]) + length + content


def logotype(image, media_type="image/svg+xml", compress=True):
    """LogotypeExtn with the image as the subject logo (RFC 3709 §4.1, implicit tags)."""
    data = gzip.compress(image, mtime=0) if compress else image
    uri = f"data:{media_type};base64,".encode() + base64.b64encode(data)
    alg = tlv(0x30, tlv(0x06, SHA256_OID) + tlv(0x05, b""))
    hash_and_value = tlv(0x30, alg + tlv(0x04, hashlib.sha256(image).digest()))
    details = tlv(
        0x30,
        tlv(0x16, media_type.encode()) + tlv(0x30, hash_and_value) + tlv(0x30, tlv(0x16, uri)),
    )
    logotype_data = tlv(0xA0, tlv(0x30, tlv(0x30, details)))
    return tlv(0x30, tlv(0xA2, logotype_data))


def make(logo, domains, not_before, not_after, flags=()):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "XX"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Apple Example Ltd"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Apple Example Ltd"),
            x509.NameAttribute(MARK_TYPE, "Registered Mark"),
        ]
    )
    issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test Mark Authority (not an MVA)")])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
    )
    if "no-eku" not in flags:
        builder = builder.add_extension(x509.ExtendedKeyUsage([BIMI_EKU]), critical=False)
    if "no-san" not in flags:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(d) for d in domains]), critical=False
        )
    if "no-logotype" not in flags:
        value = logotype(
            logo,
            media_type="image/png" if "png-logotype" in flags else "image/svg+xml",
            compress="plain-logotype" not in flags,
        )
        builder = builder.add_extension(x509.UnrecognizedExtension(LOGOTYPE, value), critical=False)
    if "pilot-critical" in flags:
        builder = builder.add_extension(
            x509.UnrecognizedExtension(ObjectIdentifier("1.3.6.1.4.1.53087.4.1"), b"\x05\x00"),
            critical=True,
        )
    if "unknown-critical" in flags:
        builder = builder.add_extension(
            x509.UnrecognizedExtension(ObjectIdentifier("1.2.3.4"), b"\x05\x00"), critical=True
        )
    cert = builder.sign(key, hashes.SHA256())
    if "two-logotypes" in flags:
        return two_logotypes(cert.public_bytes(serialization.Encoding.DER))
    return cert.public_bytes(serialization.Encoding.PEM)


def read_tlv(der, at):
    """(tag, header length, content length) of the DER value at `at`."""
    tag, first = der[at], der[at + 1]
    if first < 0x80:
        return tag, 2, first
    n = first & 0x7F
    return tag, 2 + n, int.from_bytes(der[at + 2 : at + 2 + n], "big")


def two_logotypes(der):
    """The certificate with its last extension (the logotype) written twice, lengths fixed up."""
    _, cert_h, _ = read_tlv(der, 0)
    _, tbs_h, tbs_len = read_tlv(der, cert_h)
    tbs = der[cert_h : cert_h + tbs_h + tbs_len]
    rest = der[cert_h + tbs_h + tbs_len :]
    # Walk the TBS fields to the [3] extensions wrapper.
    at = tbs_h
    while True:
        tag, h, n = read_tlv(tbs, at)
        if tag == 0xA3:
            break
        at += h + n
    _, seq_h, seq_len = read_tlv(tbs, at + h)
    exts = tbs[at + h + seq_h : at + h + seq_h + seq_len]
    k, last = 0, b""
    while k < len(exts):
        _, eh, en = read_tlv(exts, k)
        last = exts[k : k + eh + en]
        k += eh + en
    new_tbs = tlv(0x30, tbs[tbs_h:at] + tlv(0xA3, tlv(0x30, exts + last)))
    cert = tlv(0x30, new_tbs + rest)
    b64 = base64.encodebytes(cert).decode().replace("\n", "")
    lines = [b64[i : i + 64] for i in range(0, len(b64), 64)]
    return ("-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n").encode()


def day(text):
    return datetime.datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=datetime.timezone.utc)


if __name__ == "__main__":
    logo_path, out, domains, start, end, *flags = sys.argv[1:]
    with open(logo_path, "rb") as f:
        pem = make(f.read(), domains.split(","), day(start), day(end), flags)
    with open(out, "wb") as f:
        f.write(pem)
