// Calls teo-mock with the official Tencent Cloud Node.js SDK (tencentcloud-sdk-nodejs-intl-en),
// once per request style the SDK offers: TC3-HMAC-SHA256 and the v1 signatures (HmacSHA256, the
// SDK's default, and HmacSHA1), each over POST and over GET.
//
// Usage: node official_node.js <teo.host:port> <secret-id> <secret-key> [style...]
// With no style named, every style runs.
// The endpoint must be a host name starting with "teo.": the SDK takes the TC3 credential scope's
// service from `endpoint.split(".")[0]`, so an IP address would sign for the wrong service. That
// name resolves to 127.0.0.1 inside this process only (no /etc/hosts), and no other name resolves,
// so the SDK can reach nothing but the mock on loopback.
//
// Prints one JSON object per line:
// {"style": ..., "case": ..., "ok": bool, "request_id": ..., "response": {...}} or
// {"style": ..., "case": ..., "ok": false, "code": ..., "message": ..., "request_id": ...,
//  "http_status": ...}.
"use strict";

const dns = require("dns");

const [endpoint, secretId, secretKey, ...onlyStyles] = process.argv.slice(2);
if (!endpoint || !secretId || !secretKey) {
  console.error("usage: node official_node.js <teo.host:port> <secret-id> <secret-key> [style...]");
  process.exit(2);
}
const mockHost = endpoint.split(":")[0];

// Installed before the SDK (and node-fetch under it) opens any socket; `net` reads `dns.lookup`
// when it connects. Node 20 asks for `all: true` (happy eyeballs), older callers for one address.
dns.lookup = function lookup(hostname, options, callback) {
  if (typeof options === "function") {
    callback = options;
    options = {};
  }
  if (hostname !== mockHost) {
    const error = new Error(`official_node.js resolves only ${mockHost}, not ${hostname}`);
    error.code = "ENOTFOUND";
    process.nextTick(callback, error);
    return;
  }
  const all = typeof options === "object" && options !== null && options.all;
  if (all) {
    process.nextTick(callback, null, [{ address: "127.0.0.1", family: 4 }]);
  } else {
    process.nextTick(callback, null, "127.0.0.1", 4);
  }
};

// The SDK wraps every request in an https proxy agent when http_proxy is set; the mock is local.
for (const name of ["http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"]) {
  delete process.env[name];
}

const tencentcloud = require("tencentcloud-sdk-nodejs-intl-en");
const { Credential, ClientProfile, HttpProfile } = tencentcloud.common;
const TeoClient = tencentcloud.teo.v20220901.Client;
const models = tencentcloud.teo.v20220901.Models;

// Every style the SDK has: `request()` picks TC3 for "TC3-HMAC-SHA256" and the v1 query-string
// signature for anything else; `reqMethod` chooses GET (query string) or POST (JSON body for TC3,
// form-urlencoded body for v1).
const STYLES = [
  { style: "tc3_post", signMethod: "TC3-HMAC-SHA256", reqMethod: "POST" },
  { style: "tc3_get", signMethod: "TC3-HMAC-SHA256", reqMethod: "GET" },
  { style: "hmac_sha256_post", signMethod: "HmacSHA256", reqMethod: "POST" },
  { style: "hmac_sha256_get", signMethod: "HmacSHA256", reqMethod: "GET" },
  { style: "hmac_sha1_get", signMethod: "HmacSHA1", reqMethod: "GET" },
  { style: "hmac_sha1_post", signMethod: "HmacSHA1", reqMethod: "POST" },
];

function client({ signMethod, reqMethod }, key) {
  const http = new HttpProfile();
  http.protocol = "http://";
  http.endpoint = endpoint;
  http.reqMethod = reqMethod;
  http.reqTimeout = 30;
  return new TeoClient(new Credential(secretId, key), "", new ClientProfile(signMethod, http));
}

// The SDK's calls take a callback; one promise per call so the cases run in order.
function call(teo, action, request) {
  return new Promise((resolve) => {
    try {
      teo[action](request, (error, response) => resolve({ error, response }));
    } catch (error) {
      resolve({ error, response: null });
    }
  });
}

async function run(style, name, teo, action, request) {
  const { error, response } = await call(teo, action, request);
  let line;
  if (error) {
    line = {
      style,
      case: name,
      ok: false,
      code: error.code === undefined ? null : error.code,
      message: error.message,
      request_id: error.requestId || null,
      http_status: error.httpCode === undefined ? null : error.httpCode,
    };
  } else {
    // Keep the transcript short: scalars as they are, lists as their length.
    const body = JSON.parse(response.to_json_string());
    const summary = {};
    for (const [k, v] of Object.entries(body)) {
      summary[k] = Array.isArray(v) ? v.length : v;
    }
    line = { style, case: name, ok: true, request_id: response.RequestId, response: summary };
  }
  console.log(JSON.stringify(line));
}

async function main() {
  const unknown = onlyStyles.filter((name) => !STYLES.some((s) => s.style === name));
  if (unknown.length > 0) {
    throw new Error(`unknown style(s) ${unknown.join(", ")}`);
  }
  for (const s of STYLES) {
    if (onlyStyles.length > 0 && !onlyStyles.includes(s.style)) {
      continue;
    }
    const good = client(s, secretKey);
    await run(s.style, "describe_zones", good, "DescribeZones", new models.DescribeZonesRequest());

    const logs = new models.DownloadL4LogsRequest();
    logs.StartTime = "2024-05-01T00:00:00+08:00";
    logs.EndTime = "2024-05-01T03:00:00+08:00";
    logs.ZoneIds = ["zone-2o3h21ed8bpu"];
    logs.Limit = 300;
    await run(s.style, "download_l4_logs", good, "DownloadL4Logs", logs);

    const wrongKey = client(s, secretKey + "x");
    await run(s.style, "wrong_key", wrongKey, "DescribeZones", new models.DescribeZonesRequest());

    const missing = new models.DownloadL4LogsRequest();
    missing.EndTime = "2024-05-01T03:00:00+08:00";
    await run(s.style, "missing_required", good, "DownloadL4Logs", missing);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
