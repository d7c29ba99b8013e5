"""Calls teo-mock with the official Tencent Cloud Python SDK (tencentcloud-sdk-python-intl-en).

Usage: python official_sdk.py <host:port> <secret-id> <secret-key>
Runs every case in each request style the SDK offers: TC3-HMAC-SHA256 over POST (JSON) and GET
(query string), HmacSHA256 over POST (form body), HmacSHA1 over GET, and TC3 over POST with a
multipart/form-data body.
Prints one JSON object per line: {"style": ..., "case": ..., "ok": bool, "code": ..., "request_id": ...}.
"""
import json
import sys

from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.teo.v20220901 import models, teo_client


STYLES = [
    ("tc3-post", "TC3-HMAC-SHA256", "POST"),
    ("tc3-get", "TC3-HMAC-SHA256", "GET"),
    ("hmacsha256-post", "HmacSHA256", "POST"),
    ("hmacsha1-get", "HmacSHA1", "GET"),
]


def client(endpoint, secret_id, secret_key, sign_method, req_method):
    http = HttpProfile(endpoint=endpoint, protocol="http", reqMethod=req_method)
    http.scheme = "http"
    profile = ClientProfile(signMethod=sign_method, httpProfile=http)
    return teo_client.TeoClient(credential.Credential(secret_id, secret_key), "", profile)


def run(style, case, call):
    try:
        response = call()
        body = json.loads(response.to_json_string())
        # Keep the transcript short: scalars as they are, lists as their length.
        summary = {k: (len(v) if isinstance(v, list) else v) for k, v in body.items()}
        print(json.dumps({"style": style, "case": case, "ok": True, "request_id": response.RequestId,
                          "response": summary}))
    except TencentCloudSDKException as e:
        print(json.dumps({"style": style, "case": case, "ok": False, "code": e.get_code(),
                          "message": e.get_message(), "request_id": e.get_request_id()}))


def main():
    endpoint, secret_id, secret_key = sys.argv[1:4]
    for style, sign_method, req_method in STYLES:
        good = client(endpoint, secret_id, secret_key, sign_method, req_method)
        run(style, "describe_zones", lambda: good.DescribeZones(models.DescribeZonesRequest()))

        logs = models.DownloadL4LogsRequest()
        logs.StartTime = "2024-05-01T00:00:00+08:00"
        logs.EndTime = "2024-05-01T03:00:00+08:00"
        logs.ZoneIds = ["zone-2o3h21ed8bpu"]
        logs.Limit = 300
        run(style, "download_l4_logs", lambda: good.DownloadL4Logs(logs))

        # Nested lists of objects, flattened as Filters.0.Values.0 by the form styles.
        zones = models.DescribeZonesRequest()
        zone_filter = models.AdvancedFilter()
        zone_filter.Name = "zone-name"
        zone_filter.Values = ["example.com", "example.org"]
        zone_filter.Fuzzy = True
        zones.Filters = [zone_filter]
        zones.Limit = 10
        run(style, "describe_zones_filtered", lambda: good.DescribeZones(zones))

        wrong_key = client(endpoint, secret_id, secret_key + "x", sign_method, req_method)
        run(style, "wrong_key", lambda: wrong_key.DescribeZones(models.DescribeZonesRequest()))

        missing = models.DownloadL4LogsRequest()
        missing.EndTime = "2024-05-01T03:00:00+08:00"
        run(style, "missing_required", lambda: good.DownloadL4Logs(missing))

        wrong_type = models.DownloadL4LogsRequest()
        wrong_type.StartTime = "2024-05-01T00:00:00+08:00"
        wrong_type.EndTime = "2024-05-01T03:00:00+08:00"
        wrong_type.Limit = "many"
        run(style, "wrong_type", lambda: good.DownloadL4Logs(wrong_type))


def multipart(endpoint, secret_id, secret_key):
    """TC3 over POST with a multipart/form-data body, the SDK's own encoding (`IsMultipart`, meant
    for actions with file parameters): lists go as JSON parts, scalars as text parts (it cannot
    encode a bare int, so numbers are given as text)."""
    style = "tc3-multipart"
    options = {"IsMultipart": True}
    good = client(endpoint, secret_id, secret_key, "TC3-HMAC-SHA256", "POST")
    bad = client(endpoint, secret_id, secret_key + "x", "TC3-HMAC-SHA256", "POST")

    def call(c, action, params):
        def go():
            return Reply(c.call_json(action, params, options=options)["Response"])
        return go

    run(style, "describe_zones", call(good, "DescribeZones", {}))
    run(style, "download_l4_logs", call(good, "DownloadL4Logs", {
        "StartTime": "2024-05-01T00:00:00+08:00", "EndTime": "2024-05-01T03:00:00+08:00",
        "ZoneIds": ["zone-2o3h21ed8bpu"], "Limit": "300"}))
    run(style, "describe_zones_filtered", call(good, "DescribeZones", {
        "Filters": [{"Name": "zone-name", "Values": ["example.com", "example.org"], "Fuzzy": True}],
        "Limit": "10"}))
    run(style, "wrong_key", call(bad, "DescribeZones", {}))
    run(style, "missing_required", call(good, "DownloadL4Logs", {"EndTime": "2024-05-01T03:00:00+08:00"}))
    run(style, "wrong_type", call(good, "DownloadL4Logs", {
        "StartTime": "2024-05-01T00:00:00+08:00", "EndTime": "2024-05-01T03:00:00+08:00", "Limit": "many"}))


class Reply:
    """What `run` reads from a typed response, for the untyped `call_json` answer."""

    def __init__(self, response):
        self.response = response
        self.RequestId = response.get("RequestId")

    def to_json_string(self):
        return json.dumps(self.response)


if __name__ == "__main__":
    main()
    multipart(*sys.argv[1:4])
