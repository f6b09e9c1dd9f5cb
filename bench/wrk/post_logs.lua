-- wrk script: POSTs request bodies in turn to $REQUEST_PATH (default /logs) with $CONTENT_TYPE
-- (default application/x-ndjson). $BODY_FILE holds the bodies, each as its length in bytes in
-- decimal, a line feed, then its bytes (so protobuf bodies fit too). With $RATE set (requests per
-- second across all connections), each connection paces itself to its share. With
-- $AUTHORIZATION set, it is sent as the Authorization header. At the end it prints one line of
-- JSON with the counts and latency percentiles.
local body_file = assert(os.getenv("BODY_FILE"), "BODY_FILE must name the request bodies")
local file = assert(io.open(body_file, "rb"))
local bodies = {}
while true do
  local length = file:read("*l")
  if not length then
    break
  end
  bodies[#bodies + 1] = file:read(tonumber(length))
end
file:close()
assert(#bodies > 0, "BODY_FILE holds no body")

local headers = { ["Content-Type"] = os.getenv("CONTENT_TYPE") or "application/x-ndjson" }
local authorization = os.getenv("AUTHORIZATION")
if authorization and authorization ~= "" then
  headers["Authorization"] = authorization
end
local prepared = {}
for index, body in ipairs(bodies) do
  prepared[index] = wrk.format("POST", os.getenv("REQUEST_PATH") or "/logs", headers, body)
end
local next_request = 0

function request()
  next_request = next_request % #prepared + 1
  return prepared[next_request]
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
