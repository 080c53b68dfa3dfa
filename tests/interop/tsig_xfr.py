"""Transfers ZONE from 127.0.0.1@PORT signed with the HMAC-SHA256 key xfr.example (SECRET in
base64), with dnspython verifying the TSIG of every message, and prints the number of messages
and of records (the SOA once). Any failed verification raises, and the exit status says so.

Usage: /usr/bin/python3 tsig_xfr.py PORT ZONE SECRET
"""

import sys

import dns.query
import dns.tsigkeyring
import dns.zone


def main():
    port, origin, secret = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    ring = dns.tsigkeyring.from_text({"xfr.example.": ("hmac-sha256", secret)})
    messages = list(
        dns.query.xfr("127.0.0.1", origin, port=port, keyring=ring, keyname="xfr.example.")
    )
    zone = dns.zone.Zone(origin)
    for message in messages:
        for rrset in message.answer:
            zone.find_rdataset(rrset.name, rrset.rdtype, create=True).update(rrset)
    print(len(messages), sum(len(r) for _, r in zone.iterate_rdatasets()))


if __name__ == "__main__":
    main()
