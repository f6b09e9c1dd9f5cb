-- wrk script: POSTs the NDJSON body in $BODY_FILE to /logs on every request. With $RATE set
-- (requests per second across all connections), each connection paces itself to its share.
-- With $AUTHORIZATION set, it is sent as the Authorization header.
-- At the end it prints one line of JSON with the counts and latency percentiles.
local body_file = assert(os.getenv("BODY_FILE"), "BODY_FILE must name the request body")
local file = assert(io.open(body_file, "rb"))
local body = file:read("*a")
file:close()

wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/x-ndjson"
local authorization = os.getenv("AUTHORIZATION")
if authorization and authorization ~= "" then
  wrk.headers["Authorization"] = authorization
end

local rate = tonumber(os.getenv("RATE") or "0")
local connections = tonumber(os.getenv("CONNECTIONS") or "64")

function delay()
  if rate > 0 then
    return connections * 1000 / rate
  end
  return 0
end

function done(summary, latency, requests)
  io.write(string.format(
    '{"requests":%d,"seconds":%.3f,"errors":%d,"non2xx":%d,"p50_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration / 1e6,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, latency:percentile(50), latency:percentile(99), latency.max))
end
