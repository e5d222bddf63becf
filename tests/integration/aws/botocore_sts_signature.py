#!/usr/bin/python3
"""The reference SigV4 Authorization header of an STS request, from python3-botocore.

Usage: botocore_sts_signature.py URL REGION AT(YYYYMMDDTHHMMSSZ) BODY
Credentials come from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN (optional).
Signs POST URL with BODY as form data (the way botocore's STS client sends AssumeRole) with
SigV4Auth for service sts at the instant AT, and prints the Authorization header.
"""
import datetime
import os
import sys
from unittest import mock

import botocore.auth
import botocore.credentials
from botocore.awsrequest import AWSRequest


def main():
    url, region, at, body = sys.argv[1:5]
    fixed = datetime.datetime.strptime(at, "%Y%m%dT%H%M%SZ")

    class FixedClock(datetime.datetime):
        @classmethod
        def utcnow(cls):
            return fixed

        @classmethod
        def now(cls, tz=None):
            return fixed.replace(tzinfo=tz) if tz else fixed

    credentials = botocore.credentials.Credentials(
        os.environ["AWS_ACCESS_KEY_ID"],
        os.environ["AWS_SECRET_ACCESS_KEY"],
        os.environ.get("AWS_SESSION_TOKEN") or None,
    )
    request = AWSRequest(method="POST", url=url, data=body,
                         headers={"Content-Type":
                                  "application/x-www-form-urlencoded; charset=utf-8"})
    with mock.patch.object(botocore.auth.datetime, "datetime", FixedClock):
        botocore.auth.SigV4Auth(credentials, "sts", region).add_auth(request)
    print(request.headers["Authorization"])


if __name__ == "__main__":
    main()
