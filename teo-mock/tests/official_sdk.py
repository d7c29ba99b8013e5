"""Calls teo-mock with the official Tencent Cloud Python SDK (tencentcloud-sdk-python-intl-en).

Usage: python official_sdk.py <host:port> <secret-id> <secret-key>
Prints one JSON object per line: {"case": ..., "ok": bool, "code": ..., "request_id": ...}.
"""
import json
import sys

from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.teo.v20220901 import models, teo_client


def client(endpoint, secret_id, secret_key):
    http = HttpProfile(endpoint=endpoint, protocol="http")
    http.scheme = "http"
    return teo_client.TeoClient(credential.Credential(secret_id, secret_key), "", ClientProfile(httpProfile=http))


def run(case, call):
    try:
        response = call()
        body = json.loads(response.to_json_string())
        # Keep the transcript short: scalars as they are, lists as their length.
        summary = {k: (len(v) if isinstance(v, list) else v) for k, v in body.items()}
        print(json.dumps({"case": case, "ok": True, "request_id": response.RequestId, "response": summary}))
    except TencentCloudSDKException as e:
        print(json.dumps({"case": case, "ok": False, "code": e.get_code(), "message": e.get_message(),
                          "request_id": e.get_request_id()}))


def main():
    endpoint, secret_id, secret_key = sys.argv[1:4]
    good = client(endpoint, secret_id, secret_key)
    run("describe_zones", lambda: good.DescribeZones(models.DescribeZonesRequest()))

    logs = models.DownloadL4LogsRequest()
    logs.StartTime = "2024-05-01T00:00:00+08:00"
    logs.EndTime = "2024-05-01T03:00:00+08:00"
    logs.ZoneIds = ["zone-2o3h21ed8bpu"]
    logs.Limit = 300
    run("download_l4_logs", lambda: good.DownloadL4Logs(logs))

    wrong_key = client(endpoint, secret_id, secret_key + "x")
    run("wrong_key", lambda: wrong_key.DescribeZones(models.DescribeZonesRequest()))

    missing = models.DownloadL4LogsRequest()
    missing.EndTime = "2024-05-01T03:00:00+08:00"
    run("missing_required", lambda: good.DownloadL4Logs(missing))


if __name__ == "__main__":
    main()
