-- wrk script: cycles through pre-generated requests, one per line of the file named by the
-- first script argument ("<METHOD> <path?presigned-query>"); a PUT sends the bytes of the
-- file named by the second argument. done() prints one line "WRKJSON {...}" the benchmark
-- parses. Consecutive requests take consecutive lines, so concurrent connections work on
-- different keys.
local prepared = {}
local counter = 0
-- per thread: answers other than 2xx by status ("503:12,403:1") and the first such body
non2xx = ""
sample = ""
local bad = {}
local threads = {}

function setup(thread)
  threads[#threads + 1] = thread
end

function init(args)
  local body = nil
  if args[2] then
    local f = assert(io.open(args[2], "rb"))
    body = f:read("*a")
    f:close()
  end
  for line in io.lines(args[1]) do
    local method, path = line:match("^(%u+) (.+)$")
    if method then
      prepared[#prepared + 1] = wrk.format(method, path, nil, method == "PUT" and body or nil)
    end
  end
  assert(#prepared > 0, "no requests in " .. args[1])
end

function request()
  counter = counter + 1
  return prepared[(counter - 1) % #prepared + 1]
end

function response(status, headers, body)
  if status >= 200 and status < 300 then return end
  bad[status] = (bad[status] or 0) + 1
  local parts = {}
  for code, n in pairs(bad) do parts[#parts + 1] = code .. ":" .. n end
  non2xx = table.concat(parts, ",")
  if sample == "" and body then sample = body:sub(1, 300):gsub('[%c"\\]', " ") end
end

function done(summary, latency, requests)
  local e = summary.errors
  local codes, first = {}, ""
  for _, t in ipairs(threads) do
    local s = t:get("non2xx")
    if s and s ~= "" then codes[#codes + 1] = s end
    if first == "" then first = t:get("sample") or "" end
  end
  io.write(string.format(
    'WRKJSON {"non2xx":"%s","sample":"%s","requests":%d,"duration_us":%d,"bytes":%d,"status_errors":%d,"connect_errors":%d,"read_errors":%d,"write_errors":%d,"timeouts":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    table.concat(codes, ","), first, summary.requests, summary.duration, summary.bytes, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
