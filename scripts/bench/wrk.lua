-- Requests for wrk, configured through the environment by scripts/bench/runner.py.
--   BENCH_MODE   "path": GET the URL as given (wrk sends one prebuilt request)
--                "ids": GET <url path><random line of BENCH_IDS> (page ids)
--                "create": POST a page with a unique slug and a random author
--                          (a random line of BENCH_IDS) to the URL
--   BENCH_TOKEN  bearer token sent with every request
--   BENCH_RUN    slug prefix, unique to this run, so that no two creates collide
-- done() prints one line, "BENCH_RESULT {json}", that the runner reads.

local mode = os.getenv("BENCH_MODE") or "path"
local token = os.getenv("BENCH_TOKEN")
local run = os.getenv("BENCH_RUN") or "bench"
local ids = {}
local counter = 0
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("thread_no", threads)
end

function init(args)
  local ids_file = os.getenv("BENCH_IDS")
  if ids_file then
    for line in io.lines(ids_file) do
      ids[#ids + 1] = line
    end
  end
  math.randomseed(os.time() + 7919 * thread_no)
  if token then
    wrk.headers["Authorization"] = "Bearer " .. token
  end
  if mode == "create" then
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/json"
  end
end

if mode == "ids" then
  function request()
    return wrk.format(nil, wrk.path .. ids[math.random(#ids)])
  end
elseif mode == "create" then
  local template = '{"title":"Benchmark page %d","slug":"%s-%d-%d",'
    .. '"content":"Written by the benchmark.","status":"DRAFT","published":false,'
    .. '"keywords":["bench"],"metadata":{"source":"bench","n":%d},"price":"9.99",'
    .. '"authorId":"%s"}'
  function request()
    counter = counter + 1
    local body = string.format(template, counter, run, thread_no, counter, counter,
      ids[math.random(#ids)])
    return wrk.format(nil, nil, nil, body)
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"non_2xx":%d,"socket_errors":%d,'
      .. '"timeouts":%d,"p50_us":%d,"p99_us":%d}\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
