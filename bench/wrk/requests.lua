-- wrk script for bench/api.py: POST requests read from a file and cycled in order, one
-- per line "path<TAB>device<TAB>token<TAB>json body"; device and token may be "-" (none).
local requests = {}
local next_index = 0

function init(args)
  for line in io.lines(args[1]) do
    local path, device, token, body = line:match("([^\t]+)\t([^\t]+)\t([^\t]+)\t(.+)")
    local headers = {["Content-Type"] = "application/json"}
    if device ~= "-" then
      headers["X-Device-Id"] = device
      headers["Authorization"] = "Bearer " .. token
    end
    requests[#requests + 1] = wrk.format("POST", path, headers, body)
  end
  assert(#requests > 0, "no requests read from " .. args[1])
end

function request()
  next_index = next_index % #requests + 1
  return requests[next_index]
end
