#!/usr/bin/python3
"""Generates the benchmark zones and dnsperf query files.

    gen.py zone HOSTS ORIGIN FILE        one zone: HOSTS names x (A, AAAA, TXT) + mail-auth records
    gen.py queries HOSTS ORIGIN FILE N   N queries: 40 % mail TXT, 30 % A, 10 % AAAA, 10 % MX, 10 % NXDOMAIN
    gen.py lab COUNT DIR                 COUNT small lab zones mNNNN.lab.example.zone in DIR

Addresses come from the benchmarking range 198.18.0.0/15 (RFC 2544) and 2001:db8::/32.
The DKIM key is a fixed real 2048-bit RSA public key (SubjectPublicKeyInfo), so zone checks
find nothing to say about it.
"""
import os
import random
import sys

DKIM_P = (
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA33kFHJYIEeWjTwmWklON"
    "so27PsvIZDXCO9rs+Wy4SV1lY8YVcE6AkgtewaQqwu5A/3hYsbCDY7v7c9seuPMF"
    "qiudSKsET6K4m+n1nU7XNX4yXeV5lkSHyQZorsP3ZrBz5CUlmoCyH6yFWQH8qj1/"
    "E8AgPVvgaylluLNSrxFvrcNjiO6g++ZeuFGI7ktahfqgwlEt8bnCek+S2VFrnS4H"
    "N2jIbSSO2ScdKDuPHzjCgSmmvm7/68b4/A/Fz1YRBJ4a8f7I9UHyzNvPXdv6iUZm"
    "ES0F2c37Y6bBAuZR2Kol/efQnQjiUz7pXlS0vu5A0bRMYPl0HmMWRJO5uIcmiIFt"
    "/wIDAQAB"
)


def header(origin, serial=2025103001):
    return (
        f"$ORIGIN {origin}.\n$TTL 3600\n"
        f"@ SOA ns.{origin}. hostmaster.{origin}. {serial} 3600 900 1209600 300\n"
        f"@ NS ns.{origin}.\n"
        f"@ MX 10 mail.{origin}.\n"
        f'@ TXT "v=spf1 ip4:198.18.0.25 mx -all"\n'
        f'_dmarc TXT "v=DMARC1; p=quarantine; rua=mailto:dmarc@{origin}"\n'
        f'sel1._domainkey TXT "v=DKIM1; k=rsa; p={DKIM_P[:200]}" "{DKIM_P[200:]}"\n'
        f"ns A 198.18.0.53\nmail A 198.18.0.25\n"
    )


def zone(hosts, origin, path):
    with open(path, "w") as f:
        f.write(header(origin))
        for i in range(hosts):
            f.write(f"h{i} A 198.{18 + (i >> 16) % 2}.{(i >> 8) & 255}.{i & 255}\n")
            f.write(f"h{i} AAAA 2001:db8::{i >> 16:x}:{i & 0xffff:x}\n")
            f.write(f'h{i} TXT "host {i}"\n')


def queries(hosts, origin, path, n):
    rnd = random.Random(42)
    with open(path, "w") as f:
        for _ in range(n):
            r = rnd.random()
            h = rnd.randrange(hosts)
            if r < 0.10:
                f.write(f"{origin} TXT\n")
            elif r < 0.20:
                f.write(f"_dmarc.{origin} TXT\n")
            elif r < 0.30:
                f.write(f"sel1._domainkey.{origin} TXT\n")
            elif r < 0.40:
                f.write(f"h{h}.{origin} TXT\n")
            elif r < 0.70:
                f.write(f"h{h}.{origin} A\n")
            elif r < 0.80:
                f.write(f"h{h}.{origin} AAAA\n")
            elif r < 0.90:
                f.write(f"{origin} MX\n")
            else:
                f.write(f"nx{h}.{origin} A\n")


def lab(count, d):
    os.makedirs(d, exist_ok=True)
    for n in range(1, count + 1):
        origin = f"m{n:04d}.lab.example"
        with open(os.path.join(d, origin + ".zone"), "w") as f:
            f.write(header(origin))
            for name in ("receiver", "sender"):
                f.write(f"{name} A 198.18.{n >> 8}.{n & 255}\n")


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "zone":
        zone(int(sys.argv[2]), sys.argv[3], sys.argv[4])
    elif cmd == "queries":
        queries(int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5]))
    elif cmd == "lab":
        lab(int(sys.argv[2]), sys.argv[3])
    else:
        sys.exit(__doc__)
