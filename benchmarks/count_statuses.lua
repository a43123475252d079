-- wrk script for `make bench`: counts every answer that is not 200 OK (wrk's own
-- "Non-2xx or 3xx" line counts a redirect to the sign-in page as a success).
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  not_ok = 0
end

function response(status, headers, body)
  if status ~= 200 then
    not_ok = not_ok + 1
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("not_ok")
  end
  io.write(string.format("Not 200: %d\n", total))
end
