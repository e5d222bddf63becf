#!/usr/bin/python3
"""The reference IAM auth token, from Debian's python3-botocore (not from Funnel's code).

Usage: botocore_token.py USER CACHE REGION SERVICE SERVERLESS(0|1) AT(YYYYMMDDTHHMMSSZ)[,AT...]
Credentials come from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN (optional).
Prints the presigned URL of GET https://CACHE/?Action=connect&User=USER[&ResourceType=...]
without "https://", signed with SigV4 for 900 s at the instant AT (one line per AT when several
are given), as the AWS documentation's ElastiCache IAM example builds it
(RequestSigner.generate_presigned_url).
"""
import datetime
import os
import sys
from unittest import mock
from urllib.parse import urlencode

import botocore.auth
import botocore.credentials
import botocore.session
from botocore.model import ServiceId
from botocore.signers import RequestSigner


def main():
    user, cache, region, service, serverless, instants = sys.argv[1:7]
    for at in instants.split(","):
        print(token(user, cache, region, service, serverless,
                    datetime.datetime.strptime(at, "%Y%m%dT%H%M%SZ")))


def token(user, cache, region, service, serverless, fixed):
    class FixedClock(datetime.datetime):
        @classmethod
        def utcnow(cls):
            return fixed

    credentials = botocore.credentials.Credentials(
        os.environ["AWS_ACCESS_KEY_ID"],
        os.environ["AWS_SECRET_ACCESS_KEY"],
        os.environ.get("AWS_SESSION_TOKEN") or None,
    )
    session = botocore.session.Session()
    signer = RequestSigner(ServiceId(service), region, service, "v4", credentials,
                           session.get_component("event_emitter"))
    params = {"Action": "connect", "User": user}
    if serverless == "1":
        params["ResourceType"] = "ServerlessCache"
    url = "https://" + cache + "/?" + urlencode(params)
    request = {"method": "GET", "url": url, "body": {}, "headers": {}, "context": {}}
    with mock.patch.object(botocore.auth.datetime, "datetime", FixedClock):
        signed = signer.generate_presigned_url(request, operation_name="connect",
                                               expires_in=900, region_name=region)
    return signed.removeprefix("https://")


if __name__ == "__main__":
    main()
